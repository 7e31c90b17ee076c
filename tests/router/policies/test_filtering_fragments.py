"""Cutting an operation whose fragments each spread the one before twice.

The cut inlines fragments; a fragment spread again under the same conditions
is inlined once, so the cut takes the time of the document's length.
"""

from __future__ import annotations

from graphql import FragmentDefinitionNode, OperationDefinitionNode, build_schema, parse, print_ast

from router.policies.filtering import filter_operation, touched
from router.policies.requirements import AccessRules, Requirement

SCHEMA = build_schema(
    """
    type Query { categories: [Category!]! }
    type Category { id: ID! name: String! secret: String }
    """
)
AUTHENTICATED = Requirement("authenticated")
RULES = AccessRules({("Category", "secret"): frozenset({AUTHENTICATED})})


def test_doubling_fragments_are_cut_once_each() -> None:
    fragments = ["fragment F0 on Category { id secret }"] + [
        f"fragment F{i} on Category {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 30)
    ]
    document = parse("{ categories { ...F29 } } " + " ".join(fragments))
    operation = next(d for d in document.definitions if isinstance(d, OperationDefinitionNode))
    by_name = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }

    needed = touched(SCHEMA, RULES, operation, by_name)
    cut = filter_operation(SCHEMA, RULES, operation, by_name, needed)

    assert needed == {AUTHENTICATED}
    assert cut.removed == (("categories", "@", "secret"),)
    nested = "... on Category { " * 30 + "id" + " }" * 30
    assert " ".join(print_ast(cut.document).split()) == f"{{ categories {{ {nested} }} }}"
