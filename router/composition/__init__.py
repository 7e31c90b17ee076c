"""Federation v2 composition: subgraph SDLs in, an Apollo-format supergraph SDL out.

`compose` never raises on bad input: it returns the supergraph, or every error
found, each with a stable code, the subgraphs involved and a schema coordinate.
"""

from router.composition.errors import Code, CompositionError
from router.composition.pipeline import CompositionResult, SubgraphSource, compose

__all__ = ["Code", "CompositionError", "CompositionResult", "SubgraphSource", "compose"]
