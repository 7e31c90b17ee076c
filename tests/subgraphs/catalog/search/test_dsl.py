"""The cluster DSL: what reaches OpenSearch/Elasticsearch, and reading bulk answers."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from subgraphs.catalog.search import dsl
from subgraphs.catalog.search.port import InvalidCursor, SearchFilter, SearchQuery


def test_query_text_reaches_the_cluster_only_as_terms_in_match_clauses() -> None:
    text = '"running" AND shoes*) {"query_string": {"query": "*:*"}}'
    body = dsl.search_request(SearchQuery(text)).body
    assert body is not None
    clauses = body["query"]["bool"]["must"]
    queried = {m["multi_match"]["query"] for c in clauses for m in c["bool"]["should"]}
    assert queried == {"running", "and", "shoes", "query", "string"}
    assert _keys(body["query"]) == {
        *("bool", "must", "filter", "should", "multi_match"),
        *("query", "fields", "fuzziness", "max_expansions"),
    }
    assert "*" not in json.dumps(body["query"])


def test_a_query_without_terms_asks_nothing() -> None:
    request = dsl.search_request(SearchQuery("*** ((("))
    assert request.body is None
    page = dsl.search_page(request, None)
    assert (page.hits, page.total, page.has_next_page) == ((), 0, False)
    assert [(facet.name, facet.values) for facet in page.facets] == [
        ("category", ()),
        ("price", ()),
        ("inStock", ()),
    ]


def test_filters_become_bool_filters_on_whole_cents() -> None:
    search_filter = SearchFilter("cat-1", Decimal("9.991"), Decimal("20"), in_stock=False)
    body = dsl.search_request(SearchQuery("", search_filter)).body
    assert body is not None
    assert body["query"]["bool"] == {
        "must": [dsl.MATCH_ALL],
        "filter": [
            {"term": {"category_id": "cat-1"}},
            {"range": {"price_cents": {"gte": 1000, "lte": 2000}}},
            {"term": {"in_stock": False}},
        ],
    }
    assert body["sort"] == [{"created_at": {"order": "desc"}}, {"id": {"order": "asc"}}]


def test_relevance_pages_stop_at_the_result_window() -> None:
    first = dsl.search_request(SearchQuery("gift", first=3))
    made = dsl.search_page(first, _response(["a", "b", "c", "d"]))
    after = dsl.search_request(SearchQuery("gift", first=3, after=made.hits[-1].cursor))
    assert after.body is not None
    assert (after.body["from"], after.body["size"]) == (3, 4)
    deep = dsl.SearchRequest(first.body, first.fingerprint, 3, False, dsl.RESULT_WINDOW - 2)
    late = dsl.search_page(deep, _response(["y", "z"]))
    beyond = dsl.search_request(SearchQuery("gift", first=3, after=late.hits[-1].cursor))
    assert beyond.body is not None
    assert (beyond.body["from"], beyond.body["size"]) == (dsl.RESULT_WINDOW, 0)
    with pytest.raises(InvalidCursor):
        dsl.search_request(SearchQuery("", first=3, after=made.hits[-1].cursor))


def test_bulk_failures_raise_but_deleting_a_missing_document_does_not() -> None:
    dsl.check_bulk({"errors": False, "items": []})
    dsl.check_bulk({"errors": True, "items": [{"delete": {"_id": "x", "status": 404}}]})
    rejected = {"index": {"_id": "y", "status": 429, "error": {"type": "es_rejected"}}}
    with pytest.raises(dsl.BulkRejected, match="1 bulk actions failed, first: index y"):
        dsl.check_bulk({"errors": True, "items": [{"delete": {"status": 404}}, rejected]})


def _keys(value: object) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {key for child in value.values() for key in _keys(child)}
    if isinstance(value, list):
        return {key for child in value for key in _keys(child)}
    return set()


def _response(ids: list[str]) -> dsl.JSON:
    empty: dsl.JSON = {"buckets": []}
    return {
        "hits": {
            "total": {"value": 100, "relation": "eq"},
            "hits": [{"_id": i, "sort": [1.5, i]} for i in ids],
        },
        "aggregations": {"category": empty, "price": empty, "inStock": empty},
    }
