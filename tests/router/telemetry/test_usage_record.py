"""The usage log's pieces without a broker: the coordinates an operation uses (computed
once per prepared operation), the client and user of a request, the record's wire form
(read back by insights' own code) and a full queue that drops and counts."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import jwt

from router.operation import DocumentCache, DocumentLimits
from router.operation.coordinates import field_coordinates
from router.policies import token_subject
from router.supergraph import load_supergraph
from router.telemetry import Telemetry, UsageLog, UsageRecord, usage_record
from router.telemetry.usage import client_of, user_hash
from subgraphs.insights.analytics.facts import Operation, operation_of
from subgraphs.platform.events import Event
from tests.router.execution.shop import SDL

QUERY = """
query Shop($upc: String!) {
  product(upc: $upc) { ...Details reviews { body } }
  topProducts(first: 2) @include(if: true) { __typename name }
  __schema { queryType { name } }
}
fragment Details on Product { name price }
"""


def prepared_shop() -> tuple[DocumentCache, str]:
    schema = load_supergraph(SDL).api_schema
    return DocumentCache(schema, DocumentLimits(15_000, 50, 200, 4_000), 10, Telemetry()), QUERY


def test_coordinates_are_fields_and_arguments_through_fragments_computed_once() -> None:
    cache, query = prepared_shop()
    prepared = cache.prepare(query).select("Shop")
    first = field_coordinates(cache.schema, prepared)
    assert first == (
        "Product.name",
        "Product.price",
        "Product.reviews",
        "Query.product",
        "Query.product(upc:)",
        "Query.topProducts",
        "Query.topProducts(first:)",
        "Review.body",
    )
    # The same document again is the same prepared operation, with its coordinates kept.
    again = cache.prepare(query).select("Shop")
    assert again is prepared
    assert field_coordinates(cache.schema, again) is first


def test_the_client_comes_from_apollo_headers_or_shopgraph_s() -> None:
    apollo = {"apollographql-client-name": "ios", "apollographql-client-version": "2.1"}
    assert client_of(apollo) == ("ios", "2.1")
    assert client_of({"x-shopgraph-client": "storefront/1.4.0"}) == ("storefront", "1.4.0")
    assert client_of({"x-shopgraph-client": "scripts"}) == ("scripts", "")
    assert client_of({}) == ("", "")


def test_the_user_is_hashed_from_the_token_subject() -> None:
    token = jwt.encode({"sub": "u42"}, "any key: the router only reads sub", algorithm="HS256")
    headers = {"authorization": f"Bearer {token}"}
    assert token_subject(headers) == "u42"
    assert token_subject({"authorization": "Bearer not-a-jwt"}) is None
    assert token_subject({}) is None
    assert user_hash("u42") == user_hash("u42") != user_hash("u43")
    assert "u42" not in user_hash("u42")
    assert user_hash(None) == ""


def test_a_record_is_the_event_insights_reads() -> None:
    at = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    record = UsageRecord(
        "Shop", "ab" * 32, "ios", "2.1", ("Query.product", "Product.name"), 12.5, 1,
        user_hash("u42"), at, uuid.UUID(int=7),
    )  # fmt: skip
    event = Event.from_bytes(record.to_bytes())
    assert (event.type, event.subject_id, event.occurred_at) == (
        "operation.executed",
        "ab" * 32,
        at,
    )
    assert operation_of(event) == Operation(
        str(uuid.UUID(int=7)), at, "Shop", "ab" * 32, "ios", "2.1", 12.5, 1, user_hash("u42"),
        ("Product.name", "Query.product"),
    )  # fmt: skip


class UnstartedSink:
    async def start(self) -> None:
        raise AssertionError("the log was not started")

    async def send(self, records: Sequence[bytes]) -> None:
        raise AssertionError("the log was not started")

    async def close(self) -> None:
        return None


def test_a_full_queue_drops_and_counts_without_waiting() -> None:
    drops: list[None] = []
    log = UsageLog(UnstartedSink(), 2, lambda: drops.append(None))
    query = "{ me { name } }"
    for _ in range(5):
        log.record(
            usage_record(None, hashlib.sha256(query.encode()).hexdigest(), {}, (), 1.0, 0, None)
        )
    assert (log.dropped, len(drops)) == (3, 3)
