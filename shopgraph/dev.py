"""`shopgraph dev`: every subgraph, the payments worker and the router in one process on
the embedded backends, with the demo shop (catalog, customers, reviews) seeded on first start."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from pydantic import SecretStr
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from router.config import RouterConfig
from router.http import create_router_app
from router.http.negotiation import prefers_html
from router.http.storefront import storefront_page
from shopgraph.demo import seed_demo_shop
from shopgraph.registry import SUBGRAPHS, SubgraphEntry
from shopgraph.subscriptions import deployed
from shopgraph.supergraph import compose_subgraphs
from subgraphs.commerce.app import create_app as create_commerce_app
from subgraphs.commerce.payments.worker import running_payments_worker
from subgraphs.commerce.settings import CommerceSettings
from subgraphs.platform.auth.keys import load_key_pair
from subgraphs.platform.resources import SharedPlatform
from subgraphs.platform.settings import Settings

DEV_MANIFEST = Path("schema/operations/manifest.json")
DEV_REST = Path("schema/rest.yaml")  # the seed's REST API over those documents
STOREFRONT_DIR = Path(__file__).parent / "storefront"


def create_dev_app(settings: Settings, port: int) -> Starlette:
    """Each subgraph at `/subgraphs/<name>/`, the supergraph at `/graphql`.

    The router reaches the subgraphs over HTTP on this same port, as it would
    reach separate processes, so `port` must be the one the app is served on.
    """
    # Commerce reaches catalog over HTTP on this same port, as it would another process.
    commerce = CommerceSettings(catalog_url=f"http://127.0.0.1:{port}/subgraphs/catalog/graphql")
    if settings.service_token is None and not settings.embedded:
        # Dev on real databases: every subgraph is in this process, so a secret of
        # its own lets commerce reserve stock (embedded dev keeps one in the data dir).
        token = SecretStr(secrets.token_urlsafe(32))
        settings = settings.model_copy(update={"service_token": token})
    shared = SharedPlatform()
    apps = {
        name: (
            create_commerce_app(settings, shared.borrow, commerce)
            if name == "commerce"
            else entry.create_app(settings, shared.borrow)
        )
        for name, entry in SUBGRAPHS.items()
    }

    def url_of(entry: SubgraphEntry) -> str:
        return f"http://127.0.0.1:{port}/subgraphs/{entry.name}/graphql"

    # The router verifies bearer tokens with the key the users subgraph signs with
    # at start, and follows its JWKS after a rotation (`shopgraph keys rotate`).
    public_pem = load_key_pair(settings).public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # The storefront's session header reaches insights (trackEvent) through the router.
    config = RouterConfig(
        jwt_public_key=public_pem.decode(),
        jwks_url=f"http://127.0.0.1:{port}/subgraphs/users/.well-known/jwks.json",
        forward_headers=("authorization", "x-shopgraph-session"),
        cors_allow_localhost=True,
        storefront_dir=STOREFRONT_DIR,
    )
    if config.trusted_documents_manifest is None and DEV_MANIFEST.is_file():
        # Run from a checkout (`make run`): trusted document ids work out of the box.
        config = config.model_copy(update={"trusted_documents_manifest": DEV_MANIFEST})
        if config.rest_config is None and DEV_REST.is_file():
            config = config.model_copy(update={"rest_config": DEV_REST})
    router = create_router_app(compose_subgraphs(url_of), config)

    @asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # Starlette does not run the lifespans of mounted apps; start them here.
        async with shared.open(settings, deployed(settings)), AsyncExitStack() as stack:
            for app in [*apps.values(), router]:
                await stack.enter_async_context(app.router.lifespan_context(app))
            # First start: a demo shop to browse. The indexer picks the new
            # products up from their events like any other change.
            await seed_demo_shop(
                apps["catalog"].state.services,
                apps["users"].state.services,
                apps["social"].state.services,
            )
            # The payments worker runs here too, on the shared in-process bus.
            await stack.enter_async_context(
                running_payments_worker(apps["commerce"].state.services)
            )
            yield

    async def index(request: Request) -> Response:
        if prefers_html(request.headers.get("accept")):
            return await storefront_page(request, STOREFRONT_DIR)  # browsers get the shop
        return JSONResponse(
            {
                "graphql": "/graphql",
                "subgraphs": {name: f"/subgraphs/{name}/graphql" for name in apps},
            }
        )

    routes: list[BaseRoute] = [Route("/", index)]
    routes += [Mount(f"/subgraphs/{name}", app) for name, app in apps.items()]
    routes.append(Mount("", router))
    app = Starlette(routes=routes, lifespan=lifespan)
    # Each subgraph's app, so tests can reach its services (statement counts).
    app.state.subgraphs = apps
    # The router's app, so tests can reach its state (the subscription hub).
    app.state.router = router
    return app
