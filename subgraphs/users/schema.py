"""The users subgraph's GraphQL API. Resolvers parse, call one service, shape the payload."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

import strawberry
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from subgraphs.platform.auth.principal import Role
from subgraphs.platform.context import RequestContext
from subgraphs.platform.errors import (
    UserError,
    forbidden,
    user_error_list,
)
from subgraphs.platform.schema import federation_schema
from subgraphs.users import accounts, refresh_tokens
from subgraphs.users.accounts import Account, SignedIn
from subgraphs.users.errors import UsersErrorCode
from subgraphs.users.services import UserServices


@dataclass(frozen=True)
class UserLoaders:
    accounts: DataLoader[str, Account | None]


def make_loaders(services: UserServices) -> UserLoaders:
    async def load_accounts(ids: list[str]) -> list[Account | None]:
        found = await accounts.accounts_by_id(services, ids)
        return [found.get(user_id) for user_id in ids]

    return UserLoaders(accounts=DataLoader(load_fn=load_accounts))


Context: TypeAlias = RequestContext[UserServices, UserLoaders]


def client_address(info: Info[Context, None]) -> str:
    """The caller's address, which per-address rate limits count under."""
    client = info.context.request.client
    return client.host if client is not None else "unknown"


strawberry.enum(Role, name="Role")


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID
    username: str
    created_at: datetime
    private_email: strawberry.Private[str]
    private_role: strawberry.Private[Role]

    @strawberry.field(description="Visible to the user and to staff only.")
    def email(self, info: Info[Context, None]) -> str:
        self._require_self_or_staff(info)
        return self.private_email

    @strawberry.field(
        description="Visible to the user and to staff only: shown to anyone, it would "
        "point attackers at the staff accounts."
    )
    def role(self, info: Info[Context, None]) -> Role:
        self._require_self_or_staff(info)
        return self.private_role

    def _require_self_or_staff(self, info: Info[Context, None]) -> None:
        principal = info.context.require_principal()
        if not principal.may_see(self.id):
            raise forbidden()

    @classmethod
    async def resolve_reference(cls, info: Info[Context, None], id: strawberry.ID) -> User | None:
        account = await info.context.loaders.accounts.load(str(id))
        return None if account is None else cls.of(account)

    @classmethod
    async def resolve_references(
        cls, info: Info[Context, None], keys: list[dict[str, object]]
    ) -> list[User | None]:
        """All the users one `_entities` asks for, in one statement (platform/schema.py).

        Already one batch: through the DataLoader, each key was a future and a
        callback more, for nothing to share with in an `_entities` request."""
        ids = [str(key["id"]) for key in keys]
        found = await accounts.accounts_by_id(info.context.services, ids)
        return [None if (account := found.get(i)) is None else cls.of(account) for i in ids]

    @classmethod
    def of(cls, account: Account) -> User:
        return cls(
            id=strawberry.ID(account.id),
            username=account.username,
            private_role=account.role,
            created_at=account.created_at,
            private_email=account.email,
        )


@strawberry.input
class RegisterInput:
    username: str
    email: str
    password: str


@strawberry.input
class LoginInput:
    email: str
    password: str


@strawberry.type
class AuthPayload:
    user: User | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    errors: list[UserError] = user_error_list()

    @classmethod
    def signed_in(cls, info: Info[Context, None], result: SignedIn) -> AuthPayload:
        # From here on this operation acts for the account that just signed in,
        # so the payload may show it its own email.
        info.context.principal = result.account.principal
        return cls(
            user=User.of(result.account),
            access_token=result.access_token,
            refresh_token=result.refresh_token,
        )


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user.")
    async def me(self, info: Info[Context, None]) -> User | None:
        principal = info.context.require_principal()
        return await User.resolve_reference(info, strawberry.ID(principal.user_id))

    @strawberry.field(
        description="Anyone sees a user's public profile; email and role are for self and staff."
    )
    async def user(self, info: Info[Context, None], id: strawberry.ID) -> User | None:
        return await User.resolve_reference(info, id)


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def register(self, info: Info[Context, None], input: RegisterInput) -> AuthPayload:
        result = await accounts.register(
            info.context.services,
            input.username,
            input.email,
            input.password,
            client_address(info),
        )
        return AuthPayload.signed_in(info, result)

    @strawberry.mutation
    async def login(self, info: Info[Context, None], input: LoginInput) -> AuthPayload:
        result = await accounts.log_in(
            info.context.services, input.email, input.password, client_address(info)
        )
        return AuthPayload.signed_in(info, result)

    @strawberry.mutation(description="Spends a refresh token and returns new tokens.")
    async def refresh_token(self, info: Info[Context, None], refresh_token: str) -> AuthPayload:
        result = await accounts.refresh(info.context.services, refresh_token)
        return AuthPayload.signed_in(info, result)

    @strawberry.mutation(description="Ends the session of this refresh token; false if unknown.")
    async def logout(self, info: Info[Context, None], refresh_token: str) -> bool:
        return await refresh_tokens.revoke(info.context.services.database, refresh_token)


schema = federation_schema(query=Query, mutation=Mutation, types=[User], error_codes=UsersErrorCode)
