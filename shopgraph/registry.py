"""The subgraphs this installation runs, and where each listens when served alone.

Subgraph modules are imported only when a command needs them, so `shopgraph
--help` stays fast and a broken subgraph cannot stop the others' commands.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette

from shopgraph.subscriptions import open_platform
from subgraphs.platform.app import PlatformOpener
from subgraphs.platform.settings import Settings


@dataclass(frozen=True)
class SubgraphEntry:
    name: str
    port: int
    module: str

    def create_app(
        self, settings: Settings, platform_opener: PlatformOpener | None = None
    ) -> Starlette:
        app_module = importlib.import_module(f"{self.module}.app")
        create: Callable[[Settings, PlatformOpener], Starlette] = app_module.create_app
        return create(settings, platform_opener or open_platform)

    def check_own_settings(self) -> None:
        """Reads the subgraph's own settings (`CommerceSettings`, ...) from the environment,
        as its start-up will: pydantic's errors for a bad value, before anything runs."""
        settings_module = importlib.import_module(f"{self.module}.settings")
        getattr(settings_module, f"{self.name.title()}Settings")()

    def sdl(self) -> str:
        """The subgraph's schema as a router reads it from `_service { sdl }`."""
        schema_module = importlib.import_module(f"{self.module}.schema")
        result = schema_module.schema.execute_sync("{ _service { sdl } }")
        if result.errors:
            raise RuntimeError(f"{self.name} cannot print its schema: {result.errors}")
        sdl: str = result.data["_service"]["sdl"]
        return sdl

    def migrate(self, settings: Settings) -> Coroutine[Any, Any, None]:
        services_module = importlib.import_module(f"{self.module}.services")
        migrate: Callable[[Settings], Coroutine[Any, Any, None]] = services_module.migrate
        return migrate(settings)


SUBGRAPHS: dict[str, SubgraphEntry] = {
    entry.name: entry
    for entry in [
        SubgraphEntry("users", 4001, "subgraphs.users"),
        SubgraphEntry("catalog", 4002, "subgraphs.catalog"),
        SubgraphEntry("commerce", 4003, "subgraphs.commerce"),
        SubgraphEntry("social", 4004, "subgraphs.social"),
        SubgraphEntry("insights", 4005, "subgraphs.insights"),
    ]
}
