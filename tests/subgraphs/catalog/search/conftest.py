"""One search suite, four backends: database on SQLite and PostgreSQL, OpenSearch, Elasticsearch.

`backend` is widened here from the storage backends to the search backends, so
every test of this directory runs once per backend and the database ones get
the shared `database` fixture. OpenSearch is the osmem-server test server
(PyPI), started once per session on a free loopback port; Elasticsearch runs
only where ELASTICSEARCH_URL points at a real one.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterator

import pytest

from shopgraph.loopback import free_port
from subgraphs.catalog.search.elasticsearch import ElasticsearchSearch
from subgraphs.catalog.search.factory import create_search_backend
from subgraphs.catalog.search.opensearch import OpenSearchSearch
from subgraphs.catalog.search.port import SearchBackend
from subgraphs.platform.database import Database
from tests.backends import IN_CI
from tests.subgraphs.catalog.search.corpus import CORPUS

SEARCH_BACKENDS = ("sqlite", "postgres", "opensearch", "elasticsearch")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "opensearch: needs an OpenSearch-protocol server")
    config.addinivalue_line("markers", "elasticsearch: needs ELASTICSEARCH_URL")


@pytest.fixture(params=SEARCH_BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def opensearch_url() -> Iterator[str]:
    """An in-memory OpenSearch-protocol server for the whole session."""
    try:
        from osmem_server import OsmemServer  # type: ignore[import-untyped]  # ships no hints
    except ImportError:
        reason = "osmem-server is not installed (pip install osmem-server)"
        if IN_CI:
            pytest.fail(f"{reason} (CI=true: a missing service is a failure)")
        pytest.skip(reason)
    server = OsmemServer.start(addr=f"127.0.0.1:{free_port()}", japanese=False)
    yield server.url
    server.close()
    # osmem-server reads its start-up line from the pipe and never closes it; left
    # to the garbage collector it is a ResourceWarning (an error in this suite).
    if server.process.stdout is not None:
        server.process.stdout.close()


@pytest.fixture
def search_target(backend: str, request: pytest.FixtureRequest) -> Database | str:
    """The backend's storage: a Database, or a cluster URL.

    A plain fixture, so that it may ask for the async `database` fixture by name.
    """
    if backend in ("sqlite", "postgres"):
        database: Database = request.getfixturevalue("database")
        return database
    if backend == "opensearch":
        url: str = request.getfixturevalue("opensearch_url")
        return url
    elasticsearch_url = os.environ.get("ELASTICSEARCH_URL")
    if not elasticsearch_url:
        # Also under CI: no Elasticsearch runs on these machines, and its client
        # refuses OpenSearch servers; the shared DSL is tested through opensearch.
        pytest.skip("ELASTICSEARCH_URL is not set: no live Elasticsearch to test against")
    return elasticsearch_url


@pytest.fixture
async def empty_search(backend: str, search_target: Database | str) -> AsyncIterator[SearchBackend]:
    """A started, empty backend of this test's kind, with its own index."""
    index = f"products_{secrets.token_hex(4)}"
    search: SearchBackend
    if isinstance(search_target, Database):
        search = create_search_backend("database", search_target, None)
    elif backend == "opensearch":
        search = OpenSearchSearch(search_target, index, refresh=True)
    else:
        search = ElasticsearchSearch(search_target, index, refresh=True)
    await search.start()
    yield search
    await _drop(search_target, backend, index)
    await search.close()


@pytest.fixture
async def search(empty_search: SearchBackend) -> SearchBackend:
    """A backend holding the whole corpus."""
    await empty_search.index(CORPUS)
    return empty_search


async def _drop(target: Database | str, backend: str, index: str) -> None:
    # Databases vanish with the test's schema or file; cluster indexes are dropped here.
    if isinstance(target, Database):
        return
    if backend == "opensearch":
        from opensearchpy import AsyncOpenSearch

        opensearch = AsyncOpenSearch(hosts=[target])
        await opensearch.indices.delete(index=index)
        await opensearch.close()
    else:
        from elasticsearch import AsyncElasticsearch

        elasticsearch = AsyncElasticsearch(target)
        await elasticsearch.indices.delete(index=index)
        await elasticsearch.close()
