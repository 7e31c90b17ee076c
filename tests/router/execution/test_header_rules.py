"""Header rules per subgraph: propagate (renamed, defaulted), insert, remove."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from router.config import RouterConfig
from router.execution.headers import HeaderRule
from router.operation import GraphQLRequest
from tests.router.execution.fakes import answer, entities, gateway, subgraphs
from tests.router.execution.shop import SDL

QUERY = "{ me { name } topProducts { name } }"
RULES = {
    "all": [
        {"propagate": "x-client", "rename": "x-client-name"},
        {"insert": "x-via", "value": "router"},
    ],
    "users": [
        {"propagate": "x-tenant", "default": "shop"},
        {"remove": "authorization"},
    ],
    "products": [{"remove": "x-via"}],
}
CLIENT = {"authorization": "Bearer t", "x-client": "web", "cookie": "secret", "x-other": "no"}
OWN = {"host", "content-type", "accept", "accept-encoding", "user-agent", "content-length"}


def sent(headers: dict[str, str]) -> dict[str, str]:
    """What the subgraph got beyond what any HTTP client sends."""
    lowered = {name.lower(): value for name, value in headers.items()}
    return {name: value for name, value in lowered.items() if name not in OWN}


async def test_each_subgraph_gets_what_its_rules_say_and_nothing_else() -> None:
    handlers = {
        "users": answer({"me": {"name": "Ada"}}),
        "products": answer({"topProducts": [{"name": "Table"}]}),
        "reviews": entities(lambda _: {}),
    }
    async with subgraphs(**handlers) as fakes, gateway(SDL, fakes, header_rules=RULES) as router:
        response = await router.execute(GraphQLRequest(QUERY), CLIENT)

    assert response.body == {"data": {"me": {"name": "Ada"}, "topProducts": [{"name": "Table"}]}}
    [users] = fakes["users"].received
    [products] = fakes["products"].received
    assert sent(dict(users.headers)) == {
        "x-client-name": "web",
        "x-via": "router",
        "x-tenant": "shop",
    }
    assert sent(dict(products.headers)) == {"authorization": "Bearer t", "x-client-name": "web"}


@pytest.mark.parametrize(
    "rule",
    [{}, {"propagate": "a", "remove": "b"}, {"insert": "a"}, {"remove": "a", "rename": "b"}],
)
def test_a_rule_with_no_or_several_actions_is_refused(rule: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        HeaderRule.model_validate(rule)
    with pytest.raises(ValidationError):
        RouterConfig(header_rules={"users": [rule]})
