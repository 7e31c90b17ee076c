"""Choosing a search backend by name, as settings do."""

from __future__ import annotations

import pytest

from subgraphs.catalog.search.database import DatabaseSearch
from subgraphs.catalog.search.elasticsearch import ElasticsearchSearch
from subgraphs.catalog.search.factory import create_search_backend
from subgraphs.catalog.search.opensearch import OpenSearchSearch
from subgraphs.platform.database import Database


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_each_kind_builds_its_backend(database: Database) -> None:
    assert isinstance(create_search_backend("database", database, None), DatabaseSearch)
    assert isinstance(create_search_backend(" Database ", database, "ignored"), DatabaseSearch)
    opensearch = create_search_backend("opensearch", database, "http://127.0.0.1:9200")
    elasticsearch = create_search_backend("elasticsearch", database, "http://127.0.0.1:9200")
    assert isinstance(opensearch, OpenSearchSearch)
    assert isinstance(elasticsearch, ElasticsearchSearch)
    await opensearch.close()
    await elasticsearch.close()


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    ("kind", "url", "message"),
    [
        ("solr", "http://127.0.0.1:8983", "unknown search backend 'solr': choose one of"),
        ("opensearch", None, "the opensearch search backend needs a URL"),
        ("elasticsearch", "", "the elasticsearch search backend needs a URL"),
    ],
)
async def test_a_wrong_choice_says_what_is_wrong(
    database: Database, kind: str, url: str | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        create_search_backend(kind, database, url)
