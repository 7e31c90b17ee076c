"""Administrative actions behind the CLI's `users` commands."""

from __future__ import annotations

from shopgraph.subscriptions import open_platform
from subgraphs.platform.auth.principal import Role
from subgraphs.platform.errors import DomainError, InvalidInput, user_errors
from subgraphs.platform.settings import Settings
from subgraphs.users.accounts import create_account
from subgraphs.users.services import open_services


async def create_staff_account(
    settings: Settings, username: str, email: str, password: str
) -> list[str]:
    """Creates the account; returns what was wrong with the input, if anything."""
    async with open_platform(settings) as platform, open_services(platform) as services:
        try:
            await create_account(services, username, email, password, role=Role.STAFF)
        except (DomainError, InvalidInput) as error:
            return [f"{e.code}: {e.message}" for e in user_errors(error)]
    return []
