"""The registry (shopgraph/subscriptions.py) names every consumer group the code base
consumes, with exactly the types it consumes: a consumer added without its group in
the registry, or consuming other types than its declaration, fails here. And an
installation's platform declares the registry less `SHOPGRAPH_UNDEPLOYED_GROUPS`.

Consumers are found in the source: every call of `running_consumers(bus, group,
types, ...)` and of a bus's `.consume(group, types)` in subgraphs/ and shopgraph/
(outside the bus machinery itself). Their group and types must be module-level
values (a subgraph's Subscription constants), which are read from the imported
module.
"""

from __future__ import annotations

import ast
import importlib
import inspect
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from shopgraph.subscriptions import deployed, open_platform, subscriptions
from subgraphs.insights.analytics.worker import AnalyticsWorker
from subgraphs.insights.subscriptions import ANALYTICS
from subgraphs.platform.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SEARCHED = ("subgraphs", "shopgraph")
# Where the bus port, its implementations and `running_consumers` live: they pass
# their callers' groups along rather than naming any.
MACHINERY = ROOT / "subgraphs" / "platform" / "events"


@dataclass(frozen=True)
class ConsumerCall:
    where: str
    group: str
    types: frozenset[str]


class UnreadableValueError(Exception):
    """A consumer names its group or types with something that is not a module value."""


def _value(node: ast.expr, module: ModuleType) -> object:
    """What `node` (a name, an attribute of one, a constant or a tuple of those, with
    starred parts) is in `module`."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        if node.id not in vars(module):
            raise UnreadableValueError(node.id)
        return vars(module)[node.id]
    if isinstance(node, ast.Attribute):
        return getattr(_value(node.value, module), node.attr)
    if isinstance(node, ast.Tuple | ast.List):
        items: list[object] = []
        for element in node.elts:
            if isinstance(element, ast.Starred):
                items.extend(_iterable(_value(element.value, module)))
            else:
                items.append(_value(element, module))
        return tuple(items)
    raise UnreadableValueError(ast.unparse(node))


def _iterable(value: object) -> tuple[object, ...]:
    if not isinstance(value, tuple | list | frozenset | set):
        raise UnreadableValueError(repr(value))
    return tuple(value)


def _group_and_types(call: ast.Call) -> tuple[ast.expr, ast.expr] | None:
    function = call.func
    if isinstance(function, ast.Name) and function.id == "running_consumers":
        return call.args[1], call.args[2]
    if isinstance(function, ast.Attribute) and function.attr == "consume" and len(call.args) == 2:
        return call.args[0], call.args[1]
    return None


def consumer_calls() -> list[ConsumerCall]:
    found = []
    for top in SEARCHED:
        for path in sorted((ROOT / top).rglob("*.py")):
            if path.is_relative_to(MACHINERY):
                continue
            tree = ast.parse(path.read_text(), str(path))
            calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)]
            named = [(call, _group_and_types(call)) for call in calls]
            if not any(arguments for _, arguments in named):
                continue
            relative = path.relative_to(ROOT)
            module = importlib.import_module(".".join(relative.with_suffix("").parts))
            for call, arguments in named:
                if arguments is None:
                    continue
                where = f"{relative}:{call.lineno}"
                try:
                    group, types = (_value(argument, module) for argument in arguments)
                except UnreadableValueError as error:
                    raise AssertionError(
                        f"{where} consumes a group named by {error}, not by a module value: "
                        "name it in its subgraph's subscriptions and the registry"
                    ) from error
                assert isinstance(group, str), where
                found.append(ConsumerCall(where, group, frozenset(map(str, _iterable(types)))))
    return found


def test_every_consumer_consumes_a_registered_group_with_its_registered_types() -> None:
    registered = {s.group: frozenset(s.types) for s in subscriptions()}
    calls = consumer_calls()

    consumed = {call.group: call.types for call in calls}
    unregistered = [call.where for call in calls if call.group not in registered]
    assert unregistered == [], "consumers of groups the registry does not name"
    disagreeing = [
        call.where for call in calls if registered.get(call.group, call.types) != call.types
    ]
    assert disagreeing == [], "consumers of other types than the registry declares"
    # And the other way round: a registered group nobody consumes would only fill up.
    assert consumed == registered
    assert sorted(registered) == [
        "catalog.search-indexer",
        "commerce.carts",
        "commerce.orders",
        "commerce.payments",
        "commerce.product-cache",
        "insights.analytics",
        "insights.recommendations",
        "social.catalog",
        "social.purchases",
    ]


def test_the_analytics_worker_reads_the_log_as_the_registered_group() -> None:
    # It reads Kafka through its own consumer, not `consume`: the registry says so.
    default = inspect.signature(AnalyticsWorker).parameters["group"].default
    assert (default, ANALYTICS.reads_log) == (ANALYTICS.group, True)
    assert [s for s in subscriptions() if s.reads_log] == [ANALYTICS]


async def test_the_platform_declares_every_group_but_the_undeployed(tmp_path: Path) -> None:
    social = ("social.catalog", "social.purchases")
    settings = Settings(data_dir=tmp_path, undeployed_groups=social)

    async with open_platform(settings) as platform:
        declared = [s.group for s in platform.declarations.subscriptions]

    assert declared == [s.group for s in subscriptions() if s.group not in social]
    assert len(declared) == len(subscriptions()) - 2
    assert deployed(Settings(data_dir=tmp_path)) == subscriptions()


def test_an_undeployed_group_must_be_a_group(tmp_path: Path) -> None:
    # A typo would keep the queue it meant to leave out, filling up: refused at start.
    settings = Settings(data_dir=tmp_path, undeployed_groups=("social.purchase",))

    with pytest.raises(
        ValueError,
        match=r"^SHOPGRAPH_UNDEPLOYED_GROUPS: no consumer group is named social.purchase;",
    ):
        deployed(settings)
