"""The composition corpus: one `cases/*.case` file per case.

A case file holds `# ` comment lines (the first one describes the case; a
`# interop: skip <reason>` line takes it out of the cross-check against The
Guild's composition), then sections:

    --- subgraph NAME [URL]     a subgraph SDL (URL defaults to http://NAME.local/graphql)
    --- supergraph              the expected output, from `enum join__Graph` on,
                                after the expected `schema ...` line
    --- errors                  one expected error a line: CODE COORDINATE SUBGRAPHS
                                (COORDINATE or SUBGRAPHS "-" when absent; SUBGRAPHS
                                comma-separated)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from router.composition import CompositionError, SubgraphSource

CASES = Path(__file__).parent / "cases"

ErrorKey = tuple[str, str | None, tuple[str, ...]]


@dataclass(frozen=True)
class Case:
    name: str
    description: str
    subgraphs: tuple[SubgraphSource, ...]
    supergraph: str | None
    errors: tuple[ErrorKey, ...]  # sorted; one entry per expected error
    interop_skip: str | None

    @property
    def valid(self) -> bool:
        return self.supergraph is not None


def error_key(error: CompositionError) -> ErrorKey:
    return (error.code, error.coordinate, error.subgraphs)


def error_keys(errors: tuple[CompositionError, ...]) -> tuple[ErrorKey, ...]:
    return tuple(sorted((error_key(e) for e in errors), key=repr))


def body(sdl: str) -> str:
    """The part of a supergraph the corpus pins: the schema line, then `enum join__Graph` on.

    The directive definitions in between are the same text for every case that
    links the same specs, which the schema line already shows.
    """
    schema_line = sdl.split("\n", 1)[0]
    return schema_line + "\n\n" + sdl[sdl.index("enum join__Graph") :].strip() + "\n"


def load_case(path: Path) -> Case:
    comments: list[str] = []
    sections: list[tuple[str, list[str]]] = []
    for line in path.read_text().splitlines():
        if line.startswith("--- "):
            sections.append((line[4:].strip(), []))
        elif sections:
            sections[-1][1].append(line)
        elif line.startswith("# "):
            comments.append(line[2:])
    subgraphs: list[SubgraphSource] = []
    supergraph: str | None = None
    errors: list[ErrorKey] = []
    for header, lines in sections:
        text = "\n".join(lines).strip() + "\n"
        kind, *rest = header.split()
        if kind == "subgraph":
            name = rest[0]
            url = rest[1] if len(rest) > 1 else f"http://{name}.local/graphql"
            subgraphs.append(SubgraphSource(name, url, text))
        elif kind == "supergraph":
            supergraph = text
        elif kind == "errors":
            errors.extend(_error_line(line) for line in lines if line.strip())
    skip = next((c.split(":", 1)[1].strip() for c in comments if c.startswith("interop:")), None)
    return Case(
        path.stem,
        comments[0] if comments else "",
        tuple(subgraphs),
        supergraph,
        tuple(sorted(errors, key=repr)),
        skip.removeprefix("skip").strip() if skip else None,
    )


def _error_line(line: str) -> ErrorKey:
    code, coordinate, subgraphs = line.split()
    return (
        code,
        None if coordinate == "-" else coordinate,
        () if subgraphs == "-" else tuple(subgraphs.split(",")),
    )


def load_cases() -> list[Case]:
    return [load_case(path) for path in sorted(CASES.glob("*.case"))]
