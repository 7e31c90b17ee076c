"""The social subgraph as an ASGI app."""

from __future__ import annotations

from starlette.applications import Starlette

from subgraphs.platform.app import PlatformOpener, SubgraphSpec, create_subgraph_app
from subgraphs.platform.resources import open_platform
from subgraphs.platform.settings import Settings
from subgraphs.social.schema import SocialLoaders, make_loaders, schema
from subgraphs.social.services import NAME, SocialServices, check_ready, open_services
from subgraphs.social.settings import SocialSettings

SPEC: SubgraphSpec[SocialServices, SocialLoaders, SocialSettings] = SubgraphSpec(
    name=NAME,
    schema=schema,
    open_services=open_services,
    make_loaders=make_loaders,
    check_ready=check_ready,
)


def create_app(
    settings: Settings,
    platform_opener: PlatformOpener = open_platform,
    social: SocialSettings | None = None,
) -> Starlette:
    """`social` overrides the subgraph's own settings (tests); by default they are read
    from the environment."""
    return create_subgraph_app(SPEC, settings, platform_opener, social)
