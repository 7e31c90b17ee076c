"""Running the schema extensions' hooks of a request, each extension type's hooks found once.

Strawberry's runner looks every hook of every extension up again for every
stage of every request: it checks what kind of function each is, wraps it in
a fresh context manager (`functools.wraps` included) and opens an
`AsyncExitStack` per stage. With the subgraphs' four extensions that was 16
look-ups a request, about a fifth of what `schema.execute` cost for a small
operation.

`HookRunner` enters the same hooks in the same order and leaves them in
reverse, with exceptions passed into them as `contextlib` does; only the
looking up is done once per extension type (`HookTable`), and only the
extensions that report results are asked for them. Types with a hook
that is not a plain generator (async hooks, callables) keep Strawberry's own
runner, for the whole request.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.utils.await_maybe import await_maybe

# The stages a request passes through (streamed results keep Strawberry's runner).
STAGES = ("on_operation", "on_parse", "on_validate", "on_execute")

# One hook of an extension type: called with the extension, it is the stage's context.
Hook = Callable[[SchemaExtension], AbstractContextManager[None]]


@dataclass(frozen=True)
class Hooks:
    """What an extension type does in a request: its hooks by stage, and whether it
    reports results (`get_results`, merged into the answer's `extensions`)."""

    stages: Mapping[str, Hook]
    reports: bool


class HookTable:
    """Each extension type's hooks; None for a type Strawberry's runner must run."""

    def __init__(self) -> None:
        self._types: dict[type[SchemaExtension], Hooks | None] = {}

    def of(self, extension_type: type[SchemaExtension]) -> Hooks | None:
        if extension_type not in self._types:
            self._types[extension_type] = _hooks(extension_type)
        return self._types[extension_type]


def _hooks(extension_type: type[SchemaExtension]) -> Hooks | None:
    found: dict[str, Hook] = {}
    for stage in STAGES:
        hook = getattr(extension_type, stage)
        if hook is getattr(SchemaExtension, stage):
            continue  # not implemented: nothing to enter
        if not inspect.isgeneratorfunction(hook):
            return None
        found[stage] = contextmanager(hook)
    return Hooks(found, extension_type.get_results is not SchemaExtension.get_results)


class HookRunner(SchemaExtensionsRunner):
    """Strawberry's runner, with the stages entered from hooks looked up beforehand."""

    def __init__(
        self,
        execution_context: ExecutionContext,
        extensions: list[SchemaExtension],
        stages: Mapping[str, Sequence[tuple[SchemaExtension, Hook]]],
        reporting: Sequence[SchemaExtension],
    ) -> None:
        super().__init__(execution_context, extensions)
        self._stages = stages
        self._reporting = reporting

    @classmethod
    def create(
        cls,
        table: HookTable,
        execution_context: ExecutionContext,
        extensions: list[SchemaExtension],
    ) -> SchemaExtensionsRunner:
        stages: dict[str, list[tuple[SchemaExtension, Hook]]] = {stage: [] for stage in STAGES}
        reporting = []
        for extension in extensions:
            hooks = table.of(type(extension))
            if hooks is None:
                return SchemaExtensionsRunner(execution_context, extensions)
            for stage, hook in hooks.stages.items():
                stages[stage].append((extension, hook))
            if hooks.reports:
                reporting.append(extension)
        return cls(execution_context, extensions, stages, reporting)

    def operation(self) -> Stage:  # type: ignore[override]  # enters as Strawberry's does
        return Stage(self._stages["on_operation"])

    def parsing(self) -> Stage:  # type: ignore[override]
        return Stage(self._stages["on_parse"])

    def validation(self) -> Stage:  # type: ignore[override]
        return Stage(self._stages["on_validate"])

    def executing(self) -> Stage:  # type: ignore[override]
        return Stage(self._stages["on_execute"])

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for extension in self._reporting:
            data.update(await await_maybe(extension.get_results()))
        data.update(ctx.extensions_results)
        return data


class Stage:
    """One stage's hooks as one context manager, with or without `async`."""

    __slots__ = ("_hooks", "_stack")

    def __init__(self, hooks: Sequence[tuple[SchemaExtension, Hook]]) -> None:
        self._hooks = hooks
        self._stack: AbstractContextManager[Any] = nullcontext()

    def __enter__(self) -> None:
        if not self._hooks:
            return
        if len(self._hooks) == 1:  # the stack would only pass calls on
            extension, hook = self._hooks[0]
            self._stack = hook(extension)
            self._stack.__enter__()
            return
        # A hook failing to enter leaves those entered before it as they are, as
        # Strawberry's runner does (their generators are closed when collected).
        stack = ExitStack()
        for extension, hook in self._hooks:
            stack.enter_context(hook(extension))
        self._stack = stack

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        return self._stack.__exit__(exc_type, exc_value, traceback)

    async def __aenter__(self) -> None:
        self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        return self.__exit__(exc_type, exc_value, traceback)
