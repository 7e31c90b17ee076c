"""Each subgraph owns its settings; all of them read the same `SHOPGRAPH_*` variables."""

from __future__ import annotations

import pytest
from pydantic_settings import BaseSettings

from subgraphs.catalog.settings import CatalogSettings
from subgraphs.commerce.settings import CommerceSettings
from subgraphs.insights.settings import InsightsSettings
from subgraphs.platform.settings import Settings
from subgraphs.social.settings import SocialSettings
from subgraphs.users.settings import UsersSettings

OWN: list[type[BaseSettings]] = [
    UsersSettings,
    CatalogSettings,
    CommerceSettings,
    SocialSettings,
    InsightsSettings,
]


def test_every_setting_has_one_owner() -> None:
    owners: dict[str, list[str]] = {}
    every: list[type[BaseSettings]] = [Settings, *OWN]
    for settings in every:
        for name in settings.model_fields:
            owners.setdefault(name, []).append(settings.__name__)

    assert {name: found for name, found in owners.items() if len(found) > 1} == {}


def test_the_platform_keeps_no_subgraph_s_own_setting() -> None:
    moved = {
        "login_max_failures",
        "register_ip_max",
        "argon2_time_cost",
        "refresh_token_ttl_seconds",
        "search_backend",
        "search_url",
        "catalog_url",
        "reservation_ttl_seconds",
        "checkout_hold_seconds",
        "payments_concurrency",
    }
    assert moved & set(Settings.model_fields) == set()


def test_the_variables_keep_their_names(monkeypatch: pytest.MonkeyPatch) -> None:
    variables = {
        "SHOPGRAPH_LOGIN_MAX_FAILURES": "3",
        "SHOPGRAPH_LOGIN_IP_MAX_FAILURES": "7",
        "SHOPGRAPH_REFRESH_TOKEN_TTL_SECONDS": "60",
        "SHOPGRAPH_PASSWORD_HASHING_SLOTS": "2",
        "SHOPGRAPH_SEARCH_BACKEND": "opensearch",
        "SHOPGRAPH_SEARCH_URL": "http://search:9200",
        "SHOPGRAPH_CATALOG_URL": "http://catalog:4002/graphql",
        "SHOPGRAPH_CHECKOUT_HOLD_SECONDS": "45",
        "SHOPGRAPH_PAYMENTS_CONCURRENCY": "4",
        "SHOPGRAPH_DATA_DIR": "/var/lib/shopgraph",
    }
    for name, value in variables.items():
        monkeypatch.setenv(name, value)

    users, catalog, commerce = UsersSettings(), CatalogSettings(), CommerceSettings()

    assert (
        users.login_max_failures,
        users.login_ip_max_failures,
        users.refresh_token_ttl_seconds,
        users.password_hashing_slots,
    ) == (3, 7, 60, 2)
    assert (catalog.search_backend, catalog.search_url) == ("opensearch", "http://search:9200")
    assert (
        commerce.catalog_url,
        commerce.checkout_hold_seconds,
        commerce.payments_concurrency,
    ) == ("http://catalog:4002/graphql", 45, 4)
    assert str(Settings().data_dir) == "/var/lib/shopgraph"


def test_a_bad_value_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOPGRAPH_CHECKOUT_HOLD_SECONDS", "0")
    with pytest.raises(ValueError, match="checkout_hold_seconds"):
        CommerceSettings()
