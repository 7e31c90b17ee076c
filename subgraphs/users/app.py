"""The users subgraph as an ASGI app, including the JWKS other services verify against."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from subgraphs.platform.app import PlatformOpener, SubgraphSpec, create_subgraph_app
from subgraphs.platform.resources import open_platform
from subgraphs.platform.settings import Settings
from subgraphs.users.schema import UserLoaders, make_loaders, schema
from subgraphs.users.services import NAME, UserServices, check_ready, open_services
from subgraphs.users.settings import UsersSettings


async def jwks(request: Request) -> JSONResponse:
    services: UserServices = request.app.state.services
    return JSONResponse(services.tokens.keys.jwks(), headers={"cache-control": "max-age=300"})


SPEC: SubgraphSpec[UserServices, UserLoaders, UsersSettings] = SubgraphSpec(
    name=NAME,
    schema=schema,
    open_services=open_services,
    make_loaders=make_loaders,
    check_ready=check_ready,
    routes=[Route("/.well-known/jwks.json", jwks)],
)


def create_app(
    settings: Settings,
    platform_opener: PlatformOpener = open_platform,
    users: UsersSettings | None = None,
) -> Starlette:
    """`users` overrides the subgraph's own settings (tests); by default they are read
    from the environment."""
    return create_subgraph_app(SPEC, settings, platform_opener, users)
