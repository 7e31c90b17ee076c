"""Choosing the search backend from configuration: "database", "opensearch" or "elasticsearch"."""

from __future__ import annotations

from subgraphs.catalog.search.port import SearchBackend
from subgraphs.platform.database import Database

KINDS = ("database", "opensearch", "elasticsearch")


def create_search_backend(
    kind: str,
    database: Database,
    url: str | None,
    *,
    index: str = "products",
    refresh: bool = False,
) -> SearchBackend:
    """The backend of `kind`; `url` is the cluster's address, unused by "database".

    `index` and `refresh` apply to the cluster backends (see their modules).
    Raises ValueError for an unknown kind or a cluster kind without a URL.
    """
    normalized = kind.strip().lower()
    if normalized == "database":
        # Imported here so that each process loads only the client it uses.
        from subgraphs.catalog.search.database import DatabaseSearch

        return DatabaseSearch(database)
    if normalized not in KINDS:
        raise ValueError(f"unknown search backend {kind!r}: choose one of {', '.join(KINDS)}")
    if not url:
        raise ValueError(f"the {normalized} search backend needs a URL, e.g. http://127.0.0.1:9200")
    if normalized == "opensearch":
        from subgraphs.catalog.search.opensearch import OpenSearchSearch

        return OpenSearchSearch(url, index, refresh=refresh)
    from subgraphs.catalog.search.elasticsearch import ElasticsearchSearch

    return ElasticsearchSearch(url, index, refresh=refresh)
