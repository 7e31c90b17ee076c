"""Which client headers each subgraph fetch carries: `forward_headers` plus `header_rules`.

Rules run in order, those under `all` first, then the subgraph's own:
`propagate` copies a client header (optionally under another name, or a
default when the client sent none), `insert` sets a fixed value, `remove`
drops a header an earlier rule added. Everything else the client sent stays
at the router: subgraphs see only what the configuration lets through.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Self

from pydantic import BaseModel, ConfigDict, model_validator

ALL = "all"  # rules for every subgraph


class HeaderRule(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    propagate: str | None = None  # client header to pass on
    rename: str | None = None  # with propagate: the name the subgraph gets
    default: str | None = None  # with propagate: sent when the client sent none
    insert: str | None = None  # header to set...
    value: str | None = None  # ...to this value
    remove: str | None = None  # header to drop

    @model_validator(mode="after")
    def _one_action(self) -> Self:
        actions = [a for a in (self.propagate, self.insert, self.remove) if a is not None]
        if len(actions) != 1:
            raise ValueError("a header rule has exactly one of propagate, insert, remove")
        if self.insert is not None and self.value is None:
            raise ValueError("insert needs a value")
        if self.propagate is None and (self.rename or self.default):
            raise ValueError("rename and default go with propagate")
        return self


class HeaderRules:
    def __init__(self, forward: Sequence[str], rules: Mapping[str, Sequence[HeaderRule]]) -> None:
        self._forward = tuple(name.lower() for name in forward)
        self._rules = rules
        # Every client header some fetch may carry, whatever the subgraph.
        propagated = (rule.propagate for given in rules.values() for rule in given)
        self.reads = frozenset((*self._forward, *(name.lower() for name in propagated if name)))

    def outgoing(self, subgraph: str, client: Mapping[str, str]) -> dict[str, str]:
        """The headers a fetch to `subgraph` carries, from the client's (lower-case names)."""
        sent = {name: value for name in self._forward if (value := client.get(name))}
        for rule in (*self._rules.get(ALL, ()), *self._rules.get(subgraph, ())):
            if rule.propagate is not None:
                value = client.get(rule.propagate.lower()) or rule.default
                if value is not None:
                    sent[(rule.rename or rule.propagate).lower()] = value
            elif rule.insert is not None and rule.value is not None:
                sent[rule.insert.lower()] = rule.value
            elif rule.remove is not None:
                sent.pop(rule.remove.lower(), None)
        return sent
