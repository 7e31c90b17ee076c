"""Where published schemas live: the `SchemaRegistry` port and its git-directory adapter.

The directory registry is plain files a repository versions:
`subgraphs/NAME.graphql` (each subgraph's SDL), `supergraph.graphql` (their
composition) and `CHANGELOG.md` (one entry per published change, newest first).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

CHANGELOG_TITLE = "# Schema changelog\n\nOne entry per published change, newest first.\n"


class RegistryUnreachable(Exception):
    """The registry could not be read or written: a usage error, not a failed check."""


@dataclass(frozen=True)
class PublishedSchemas:
    subgraphs: dict[str, str]  # name -> SDL
    supergraph: str | None  # None before the first publish


class SchemaRegistry(Protocol):
    """The published schemas, read by checks and updated by publish."""

    @property
    def location(self) -> str: ...

    def read(self) -> PublishedSchemas: ...

    def write(self, subgraphs: dict[str, str], supergraph: str, changelog_entry: str) -> None: ...


class DirectoryRegistry:
    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def location(self) -> str:
        return str(self.root)

    def subgraph_path(self, name: str) -> Path:
        return self.root / "subgraphs" / f"{name}.graphql"

    def read(self) -> PublishedSchemas:
        if not self.root.is_dir():
            raise RegistryUnreachable(f"no registry directory at {self.root}")
        folder = self.root / "subgraphs"
        subgraphs = (
            {path.stem: path.read_text() for path in sorted(folder.glob("*.graphql"))}
            if folder.is_dir()
            else {}
        )
        supergraph_path = self.root / "supergraph.graphql"
        supergraph = supergraph_path.read_text() if supergraph_path.is_file() else None
        return PublishedSchemas(subgraphs, supergraph)

    def write(self, subgraphs: dict[str, str], supergraph: str, changelog_entry: str) -> None:
        folder = self.root / "subgraphs"
        folder.mkdir(parents=True, exist_ok=True)
        for name, sdl in subgraphs.items():
            path = self.subgraph_path(name)
            if not path.is_file() or path.read_text() != sdl:
                path.write_text(sdl)
        for stale in folder.glob("*.graphql"):
            if stale.stem not in subgraphs:
                stale.unlink()
        (self.root / "supergraph.graphql").write_text(supergraph)
        changelog = self.root / "CHANGELOG.md"
        existing = changelog.read_text() if changelog.is_file() else CHANGELOG_TITLE
        head, _, rest = existing.partition("\n## ")
        entries = f"\n## {rest}" if rest else ""
        changelog.write_text(f"{head.rstrip()}\n\n{changelog_entry.rstrip()}\n{entries}")
