"""What a check or publish compares: the registry, the proposal, documents and approvals.

The proposal is the published set with the code's subgraphs (no arguments)
or one `--subgraph NAME --sdl FILE` put in; subgraphs published but absent
from the code stay as they are (they may be deployed from elsewhere).
Anything wrong with these inputs is a `SetupError` (exit code 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from router.supergraph import SupergraphError, load_supergraph
from shopgraph.schema_registry.approvals import ApprovalsInvalid, load_approvals
from shopgraph.schema_registry.check import CheckRequest
from shopgraph.schema_registry.operations import load_documents
from shopgraph.schema_registry.report import SdlFile
from shopgraph.schema_registry.store import (
    DirectoryRegistry,
    PublishedSchemas,
    RegistryUnreachable,
    SchemaRegistry,
)
from shopgraph.schema_registry.usage import UsageLog


class SetupError(Exception):
    """Bad arguments, unreadable files or an unreachable registry."""


@dataclass(frozen=True)
class CheckSetup:
    registry: SchemaRegistry
    request: CheckRequest
    files: Mapping[str, SdlFile]  # subgraph -> the file annotations point at


def open_registry(location: str) -> SchemaRegistry:
    if location.startswith(("http://", "https://")):
        from shopgraph.schema_registry.remote import RemoteRegistry

        return RemoteRegistry(location)
    if "://" in location:
        raise SetupError(
            f"unsupported registry {location!r}: pass a directory (the git registry, "
            "default schema) or the http(s):// URL of `shopgraph registry serve`"
        )
    if not Path(location).is_dir():
        raise SetupError(
            f"no registry directory at {location!r}: run from the project's root, "
            "or pass --registry DIR (the git registry) or --registry http(s)://HOST:PORT"
        )
    return DirectoryRegistry(Path(location))


def open_usage_log(location: str | None) -> UsageLog | None:
    if location is None:
        return None
    if not location.startswith("clickhouse://"):
        raise SetupError(f"unsupported usage log {location!r}: use clickhouse://host:port/db")
    from shopgraph.schema_registry.clickhouse_usage import ClickHouseUsageLog

    return ClickHouseUsageLog(location)


def published_urls(published: PublishedSchemas) -> dict[str, str]:
    """Subgraph URLs as the published supergraph records them, then where each listens alone."""
    from shopgraph.registry import SUBGRAPHS
    from shopgraph.supergraph import local_url

    urls = {name: local_url(entry) for name, entry in SUBGRAPHS.items()}
    if published.supergraph is not None:
        try:
            graphs = load_supergraph(published.supergraph).graphs.values()
        except SupergraphError as error:
            raise SetupError(f"the published supergraph is unreadable: {error}") from error
        urls.update({graph.name: graph.url for graph in graphs})
    return urls


def code_subgraphs() -> dict[str, str]:
    from shopgraph.registry import SUBGRAPHS

    return {name: entry.sdl() for name, entry in SUBGRAPHS.items()}


def prepare_check(
    location: str,
    subgraph: str | None,
    sdl_file: Path | None,
    operations: Path | None,
    approvals: Path | None,
    usage_days: int = 30,
    usage: str | None = None,
) -> CheckSetup:
    if (subgraph is None) != (sdl_file is None):
        raise SetupError("--subgraph and --sdl go together")
    registry = open_registry(location)
    try:
        published = registry.read()
    except RegistryUnreachable as error:
        raise SetupError(f"registry unreachable: {error}") from error
    urls = published_urls(published)
    proposed = dict(published.subgraphs)
    files: dict[str, SdlFile] = {}
    if isinstance(registry, DirectoryRegistry):
        files = {
            name: SdlFile(str(registry.subgraph_path(name)), sdl)
            for name, sdl in published.subgraphs.items()
        }
    if subgraph is not None and sdl_file is not None:
        if subgraph not in urls:
            known = ", ".join(sorted(urls))
            raise SetupError(f"unknown subgraph {subgraph!r}; known subgraphs: {known}")
        try:
            proposed[subgraph] = sdl_file.read_text()
        except OSError as error:
            raise SetupError(f"cannot read {sdl_file}: {error.strerror}") from error
        files[subgraph] = SdlFile(str(sdl_file), proposed[subgraph])
    else:
        proposed.update(code_subgraphs())
    root = Path(location) if isinstance(registry, DirectoryRegistry) else Path("schema")
    # Defaults may be absent (no approvals yet); a path the user gave must be there,
    # or a typo would check against nothing and pass.
    if approvals is not None and not approvals.is_file():
        raise SetupError(f"no approvals file at {approvals}")
    if operations is not None and not operations.is_dir():
        raise SetupError(f"no trusted documents folder at {operations}")
    try:
        approved = load_approvals(approvals or root / "approvals.yaml")
    except ApprovalsInvalid as error:
        raise SetupError(str(error)) from error
    documents = tuple(load_documents(operations or root / "operations"))
    request = CheckRequest(
        published, proposed, urls, documents, approved, open_usage_log(usage), usage_days
    )
    return CheckSetup(registry, request, files)
