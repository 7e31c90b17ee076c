"""The social subgraph as an ASGI app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette

from subgraphs.platform.app import PlatformOpener, SubgraphSpec, create_subgraph_app
from subgraphs.platform.resources import Platform, open_platform
from subgraphs.platform.settings import Settings
from subgraphs.social.schema import SocialLoaders, make_loaders, schema
from subgraphs.social.services import NAME, SocialServices, check_ready, open_services
from subgraphs.social.settings import SocialSettings


def create_app(
    settings: Settings,
    platform_opener: PlatformOpener = open_platform,
    social: SocialSettings | None = None,
) -> Starlette:
    """`social` overrides the subgraph's own settings (tests); by default they are read
    from the environment."""

    @asynccontextmanager
    async def services(platform: Platform) -> AsyncIterator[SocialServices]:
        async with open_services(platform, social) as opened:
            yield opened

    spec: SubgraphSpec[SocialServices, SocialLoaders] = SubgraphSpec(
        name=NAME,
        schema=schema,
        open_services=services,
        make_loaders=make_loaders,
        check_ready=check_ready,
    )
    return create_subgraph_app(spec, settings, platform_opener)
