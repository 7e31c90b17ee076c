"""Query terms, fuzziness and typo expansion: the rules every backend shares."""

from __future__ import annotations

import pytest

from subgraphs.catalog.search.analysis import (
    MAX_EXPANSIONS,
    MAX_TERMS,
    document_terms,
    edit_distance,
    expansions,
    max_edits,
    normalize,
    query_terms,
)


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("Running Shoes", ("running", "shoes")),
        ("  CAFÉ   crème ", ("cafe", "creme")),
        ('"running" AND (shoes OR NOT boots)*', ("running", "and", "shoes", "or", "not", "boots")),
        ("'; DROP TABLE x; --", ("drop", "table", "x")),
        ('{"query": {"match_all": {}}}', ("query", "match", "all")),
        ("t-shirt_size:XL^2 ~3", ("t", "shirt", "size", "xl", "2", "3")),
        ("shoes shoes SHOES", ("shoes",)),
        ("*** () \"\" '' --", ()),
        ("", ()),
    ],
)
def test_query_text_becomes_plain_terms(text: str, terms: tuple[str, ...]) -> None:
    assert query_terms(text) == terms


def test_long_queries_are_cut_to_a_few_short_terms() -> None:
    words = " ".join(f"word{number}" for number in range(2_000))
    assert query_terms(words) == tuple(f"word{number}" for number in range(MAX_TERMS))
    assert query_terms("x" * 10_000) == ("x" * 40,)


def test_documents_are_indexed_as_their_terms() -> None:
    assert normalize("Café Press — 8 cups!") == "cafe press 8 cups"
    assert document_terms("Running Shoes", "shoes for running") == {"running", "shoes", "for"}


@pytest.mark.parametrize(("term", "edits"), [("ab", 0), ("abc", 1), ("abcde", 1), ("abcdef", 2)])
def test_fuzziness_grows_with_the_term(term: str, edits: int) -> None:
    assert max_edits(term) == edits


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("runing", "running", 1),
        ("snekers", "sneakers", 1),
        ("snaekers", "sneakers", 1),  # a transposition is one edit
        ("shoes", "shoe", 1),
        ("kitten", "sitting", 3),
        ("same", "same", 0),
        ("", "abc", 3),
    ],
)
def test_edit_distance(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b, 5) == distance
    assert edit_distance(a, b, distance) == distance
    if distance:
        assert edit_distance(a, b, distance - 1) == distance  # over the limit: limit + 1


def test_expansions_are_close_words_closest_then_commonest() -> None:
    vocabulary = [
        ("running", 5),
        ("runny", 1),
        ("ruining", 9),
        ("rowing", 3),
        ("runningshoes", 1),
    ]
    assert expansions("runing", vocabulary) == ["ruining", "running", "rowing", "runny"]
    assert expansions("run", [("runner", 2), ("rub", 4), ("gun", 7), ("rut", 4)]) == [
        "gun",
        "rub",
        "rut",
    ]
    assert expansions("ab", [("ac", 1)]) == []
    many = [(f"shoe{letter}", 1) for letter in "abcdefghijklmnop"]
    assert len(expansions("shoex", many)) == MAX_EXPANSIONS
