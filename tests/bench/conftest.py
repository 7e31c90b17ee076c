"""bench/gateways is a folder of scripts, not a package: its modules become importable here.

Appended, not prepended, so that no name of theirs shadows an installed module.
"""

import sys
from pathlib import Path

GATEWAYS_BENCH = Path(__file__).parents[2] / "bench" / "gateways"
if str(GATEWAYS_BENCH) not in sys.path:
    sys.path.append(str(GATEWAYS_BENCH))
