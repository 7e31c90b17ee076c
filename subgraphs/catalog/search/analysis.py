"""Text analysis every backend shares: query terms, fuzziness and term expansion.

The user's text is never handed to a query language. It is cut here into plain
terms (letters and digits, case-folded, accents removed), and each backend
builds its query from these terms alone: quotes, operators, parentheses and
SQL or DSL fragments are punctuation and fall away.

Typo tolerance follows Elasticsearch's `fuzziness: AUTO`: a term of 1-2
characters must match exactly, 3-5 characters may be one edit away, longer
terms two edits (insertions, deletions, substitutions and transpositions of
neighbours). The database backends expand each query term into the indexed
words within that distance; the cluster backends get the same rule natively.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

MAX_TERMS = 12  # later terms of a long query are ignored: 10 KB of text is not a query
MAX_TERM_LENGTH = 40  # longer words are cut; prefix matching still finds them
MAX_EXPANSIONS = 10  # fuzzy variants per term, closest first (as `max_expansions`)

_WORD = re.compile(r"[^\W_]+")


def normalize(text: str) -> str:
    """`text` as its terms joined by single spaces: what the database indexes."""
    return " ".join(_words(text))


def query_terms(text: str) -> tuple[str, ...]:
    """The distinct terms of a query, in order, at most MAX_TERMS of them."""
    terms: list[str] = []
    for word in _words(text):
        term = word[:MAX_TERM_LENGTH]
        if term not in terms:
            terms.append(term)
            if len(terms) == MAX_TERMS:
                break
    return tuple(terms)


def document_terms(*texts: str) -> set[str]:
    """Every distinct term of a document's texts (for the vocabulary)."""
    return {word for text in texts for word in _words(text)}


def max_edits(term: str) -> int:
    """How many edits away a word may be and still match `term` (fuzziness AUTO)."""
    if len(term) <= 2:
        return 0
    return 1 if len(term) <= 5 else 2


def expansions(term: str, vocabulary: Iterable[tuple[str, int]]) -> list[str]:
    """Indexed words that `term` should also match as a typo, closest first.

    `vocabulary` holds candidate words with their document counts. Words that
    `term` already matches as a prefix are left out: the prefix query finds them.
    """
    limit = max_edits(term)
    scored: list[tuple[int, int, str]] = []
    for word, documents in vocabulary:
        if word.startswith(term):
            continue
        distance = edit_distance(term, word, limit)
        if distance <= limit:
            scored.append((distance, -documents, word))
    scored.sort()
    return [word for _, _, word in scored[:MAX_EXPANSIONS]]


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance of `a` and `b`, or `limit + 1` if above `limit`.

    Stops as soon as every cell of a row exceeds `limit`, so the many distant
    candidates of a vocabulary scan cost a row or two each.
    """
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous_previous: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            best = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                best = min(best, previous_previous[j - 2] + 1)
            current[j] = best
        if min(current) > limit:
            return limit + 1
        previous_previous, previous = previous, current
    return min(previous[len(b)], limit + 1)


def _words(text: str) -> Sequence[str]:
    # NFKD splits accented letters into base letter + combining mark; dropping
    # the marks makes "Café" and "cafe" the same term, as asciifolding does.
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _WORD.findall(folded)
