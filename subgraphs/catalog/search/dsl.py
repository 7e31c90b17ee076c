"""The Elasticsearch/OpenSearch query DSL of product search, for both clients.

Owns everything the two cluster backends send and read: index settings,
analyzers and mappings; bulk actions; search bodies (per-term multi_match over
name^3 and description with fuzziness AUTO, edge-ngram prefixes, bool filters,
facet aggregations, relevance sort with an id tie-break); and turning a search
response into a SearchPage. Only the transport differs between `opensearch`
and `elasticsearch`.

Paging: a blank query lists newest first and pages with `search_after` on
(created_at, id), exact integers and strings, so new products never shift a
page; the newest and price sorts page the same way on their field. Relevance
pages continue from an offset (`from`) instead: `search_after` on `_score`
breaks ties only when the server compares the very float it reported, which
Lucene does (float32 both ways) but the osmem test server does not (float64
inside, float32 out), and relevance order shifts under writes either way.
Offsets stop at the index's 10,000-hit result window.

Query text reaches the cluster only as single analyzed terms inside `match`
clauses, never as query_string syntax, so no input can become an operator.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from subgraphs.catalog.search import cursor, facets
from subgraphs.catalog.search.analysis import MAX_EXPANSIONS, MAX_TERM_LENGTH, query_terms
from subgraphs.catalog.search.port import (
    Facet,
    InvalidCursor,
    SearchDocument,
    SearchFilter,
    SearchHit,
    SearchOrder,
    SearchPage,
    SearchQuery,
)

JSON = dict[str, Any]

_FAMILY = "cluster"  # the same body runs on Elasticsearch and OpenSearch
_PREFIX_FIELD: JSON = {
    "type": "text",
    "analyzer": "product_prefix",
    "search_analyzer": "product_text",
}
_TEXT_FIELD: JSON = {
    "type": "text",
    "analyzer": "product_text",
    "fields": {"prefix": _PREFIX_FIELD},
}

INDEX: JSON = {
    "settings": {
        # One shard: a catalog fits easily, and scores then use one set of term
        # statistics, so relevance order is the same on every page.
        "number_of_shards": 1,
        "analysis": {
            "filter": {
                "product_edge_ngram": {
                    "type": "edge_ngram",
                    "min_gram": 1,
                    "max_gram": MAX_TERM_LENGTH,
                }
            },
            "analyzer": {
                "product_text": {
                    "type": "custom",
                    "tokenizer": "standard",
                    "filter": ["lowercase", "asciifolding"],
                },
                "product_prefix": {
                    "type": "custom",
                    "tokenizer": "standard",
                    "filter": ["lowercase", "asciifolding", "product_edge_ngram"],
                },
            },
        },
    },
    "mappings": {
        "dynamic": "strict",
        "properties": {
            "id": {"type": "keyword"},
            "name": _TEXT_FIELD,
            "description": _TEXT_FIELD,
            "category_id": {"type": "keyword"},
            "category_name": {"type": "keyword"},
            "price_cents": {"type": "long"},
            "currency": {"type": "keyword"},
            "in_stock": {"type": "boolean"},
            "created_at": {"type": "date"},
        },
    },
}

_CATEGORIES = 500  # more categories than a shop shows in a facet
_AGGREGATIONS: JSON = {
    "category": {
        "terms": {"field": "category_id", "size": _CATEGORIES},
        "aggs": {"name": {"terms": {"field": "category_name", "size": 1}}},
    },
    "price": {
        "range": {
            "field": "price_cents",
            "ranges": [
                {
                    "key": bucket.value,
                    **({} if bucket.from_cents is None else {"from": bucket.from_cents}),
                    **({} if bucket.to_cents is None else {"to": bucket.to_cents}),
                }
                for bucket in facets.PRICE_BUCKETS
            ],
        }
    },
    "inStock": {"terms": {"field": "in_stock", "size": 2}},
}

MATCH_ALL: JSON = {"match_all": {}}
RESULT_WINDOW = 10_000  # index.max_result_window: from + size may not pass it
BULK_CHUNK = 500  # documents per bulk request
# Per order other than relevance: the field it sorts by, exact integers all.
_FIELD_SORTS: dict[SearchOrder, JSON] = {
    SearchOrder.NEWEST: {"created_at": {"order": "desc"}},
    SearchOrder.PRICE_ASC: {"price_cents": {"order": "asc"}},
    SearchOrder.PRICE_DESC: {"price_cents": {"order": "desc"}},
}
_RELEVANCE_SORT: JSON = {"_score": {"order": "desc"}}


class BulkRejected(RuntimeError):
    """The cluster refused some actions of a bulk request; retry the batch."""


def source(document: SearchDocument) -> JSON:
    if document.created_at.utcoffset() is None:
        raise ValueError("SearchDocument.created_at must be timezone-aware")
    return {
        "id": document.id,
        "name": document.name,
        "description": document.description,
        "category_id": document.category_id,
        "category_name": document.category_name,
        "price_cents": facets.cents(document.price),
        "currency": document.currency,
        "in_stock": document.in_stock,
        "created_at": document.created_at.isoformat(),
    }


def bulk_upserts(index: str, documents: Sequence[SearchDocument]) -> list[JSON]:
    """`index` actions: each replaces the whole document with its id, so repeats are no-ops."""
    actions: list[JSON] = []
    for document in documents:
        actions += [{"index": {"_index": index, "_id": document.id}}, source(document)]
    return actions


def bulk_deletes(index: str, ids: Sequence[str]) -> list[JSON]:
    return [{"delete": {"_index": index, "_id": id_}} for id_ in ids]


def check_bulk(response: JSON) -> None:
    """Raise BulkRejected for failed actions; deleting a missing document is not a failure."""
    if not response.get("errors"):
        return
    failures = []
    for item in response["items"]:
        ((action, result),) = item.items()
        if action == "delete" and result.get("status") == 404:
            continue
        if result.get("status", 500) >= 300:
            failures.append(f"{action} {result.get('_id')}: {result.get('error')}")
    if failures:
        raise BulkRejected(f"{len(failures)} bulk actions failed, first: {failures[0]}")


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """A search body, or None when the text has no terms and nothing can match."""

    body: JSON | None
    fingerprint: str
    first: int
    by_field: bool  # paged with search_after on a field, not by offset
    offset: int = 0  # relevance pages: how many hits earlier pages showed


def search_request(query: SearchQuery) -> SearchRequest:
    first = cursor.page_size(query.first)
    blank = not query.text.strip()
    terms = query_terms(query.text)
    fingerprint = cursor.fingerprint(_FAMILY, None if blank else terms, query.filter, query.order)
    after = None if query.after is None else cursor.decode(query.after, fingerprint, int)
    field_sort = _FIELD_SORTS.get(query.effective_order)
    if not blank and not terms:
        return SearchRequest(None, fingerprint, first, field_sort is not None)
    offset = 0
    if after is not None and field_sort is None:
        offset = int(after[0])
        if offset < 0:
            raise InvalidCursor("the cursor is not one this search returned")
    body: JSON = {
        "query": {
            "bool": {
                "must": [_term_clause(term) for term in terms] or [MATCH_ALL],
                "filter": _filters(query.filter),
            }
        },
        "sort": [field_sort or _RELEVANCE_SORT, {"id": {"order": "asc"}}],
        "size": first + 1,
        "track_total_hits": True,
        "_source": False,
        "aggs": _AGGREGATIONS,
    }
    if field_sort is not None and after is not None:
        body["search_after"] = list(after)
    elif offset:
        start = min(offset, RESULT_WINDOW)
        body["from"], body["size"] = start, min(first + 1, RESULT_WINDOW - start)
    return SearchRequest(body, fingerprint, first, field_sort is not None, offset)


def search_page(request: SearchRequest, response: JSON | None) -> SearchPage:
    """The page of `request` from the cluster's `response` (None: nothing was asked)."""
    if response is None:
        return SearchPage((), 0, False, facets.build((), {}, {}))
    found = response["hits"]["hits"]
    hits = tuple(
        SearchHit(hit["_id"], cursor.encode(request.fingerprint, _key(request, n, hit), hit["_id"]))
        for n, hit in enumerate(found[: request.first])
    )
    total = int(response["hits"]["total"]["value"])
    return SearchPage(hits, total, len(found) > request.first, _facets(response["aggregations"]))


def _key(request: SearchRequest, number: int, hit: JSON) -> int:
    """Where paging goes on after this hit: its sort field's value, or the offset past it."""
    return int(hit["sort"][0]) if request.by_field else request.offset + number + 1


def _term_clause(term: str) -> JSON:
    # A word equal to the term matches both clauses and outranks prefixes and typos.
    return {
        "bool": {
            "should": [
                {
                    "multi_match": {
                        "query": term,
                        "fields": ["name^3", "description"],
                        "fuzziness": "AUTO",
                        "max_expansions": MAX_EXPANSIONS,
                    }
                },
                {"multi_match": {"query": term, "fields": ["name.prefix^3", "description.prefix"]}},
            ]
        }
    }


def _filters(search_filter: SearchFilter) -> list[JSON]:
    filters: list[JSON] = []
    if search_filter.category_id is not None:
        filters.append({"term": {"category_id": search_filter.category_id}})
    price: JSON = {}
    if search_filter.min_price is not None:
        price["gte"] = facets.min_cents(search_filter.min_price)
    if search_filter.max_price is not None:
        price["lte"] = facets.max_cents(search_filter.max_price)
    if price:
        filters.append({"range": {"price_cents": price}})
    if search_filter.in_stock is not None:
        filters.append({"term": {"in_stock": search_filter.in_stock}})
    return filters


def _facets(aggregations: JSON) -> tuple[Facet, ...]:
    categories = [
        (
            str(bucket["key"]),
            names[0]["key"] if (names := bucket["name"]["buckets"]) else None,
            int(bucket["doc_count"]),
        )
        for bucket in aggregations["category"]["buckets"]
    ]
    prices = {
        str(bucket["key"]): int(bucket["doc_count"]) for bucket in aggregations["price"]["buckets"]
    }
    stock = {
        str(bucket.get("key_as_string", bucket["key"])).lower() in {"true", "1"}: int(
            bucket["doc_count"]
        )
        for bucket in aggregations["inStock"]["buckets"]
    }
    return facets.build(categories, prices, stock)
