"""Accounts: registering, signing in, and reading users in batches."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select, update
from sqlalchemy.exc import IntegrityError

from subgraphs.platform.auth.passwords import MAX_PASSWORD_BYTES, HashingBusy
from subgraphs.platform.auth.principal import Principal, Role
from subgraphs.platform.columns import utc_now
from subgraphs.platform.errors import DomainError, InvalidInput
from subgraphs.platform.events import Event, add_to_outbox
from subgraphs.users import refresh_tokens
from subgraphs.users.errors import UsersErrorCode
from subgraphs.users.models import UserRow, outbox
from subgraphs.users.rules import account_key, registration_errors
from subgraphs.users.services import UserServices


@dataclass(frozen=True)
class Account:
    id: str
    username: str
    email: str
    role: Role
    created_at: datetime

    @property
    def principal(self) -> Principal:
        return Principal(self.id, self.role)

    @classmethod
    def of(cls, row: UserRow) -> Account:
        return cls(row.id, row.username, row.email, Role(row.role), row.created_at)


@dataclass(frozen=True)
class SignedIn:
    account: Account
    access_token: str
    refresh_token: str


async def create_account(
    services: UserServices, username: str, email: str, password: str, role: Role = Role.CUSTOMER
) -> Account:
    """Creates the account or raises InvalidInput; nothing is written on failure."""
    errors = registration_errors(username, email, password)
    if errors:
        raise InvalidInput(errors)
    row = UserRow(
        id=str(uuid.uuid4()),
        username=username,
        username_key=account_key(username),
        email=email.strip(),
        email_key=account_key(email),
        password_hash=await services.hasher.hash(password),
        role=role.value,
        created_at=utc_now(),
    )
    try:
        async with services.database.session() as session:
            session.add(row)
            await add_to_outbox(session, outbox, [_registered(row)])
        services.relay.notify()
    except IntegrityError as error:
        # The unique constraints decide between racing registrations; find out
        # which one this request lost on.
        raise InvalidInput(await _taken(services, row)) from error
    return Account.of(row)


def _registered(row: UserRow) -> Event:
    return Event.new("user.registered", row.id, {"username": row.username, "role": row.role})


async def _taken(services: UserServices, row: UserRow) -> list[DomainError]:
    async with services.database.session() as session:
        username_taken = await session.scalar(
            select(UserRow.id).where(UserRow.username_key == row.username_key)
        )
        email_taken = await session.scalar(
            select(UserRow.id).where(UserRow.email_key == row.email_key)
        )
    errors = []
    if username_taken:
        errors.append(
            DomainError(
                UsersErrorCode.USERNAME_TAKEN, "this username is taken", ["input", "username"]
            )
        )
    if email_taken:
        errors.append(
            DomainError(
                UsersErrorCode.EMAIL_TAKEN, "an account with this email exists", ["input", "email"]
            )
        )
    return errors or [
        DomainError(UsersErrorCode.CONFLICT, "the account could not be created; try again")
    ]


async def register(
    services: UserServices, username: str, email: str, password: str, client: str
) -> SignedIn:
    """Registers and signs in; at most `register_ip_max` per client address an hour."""
    if not await services.registrations.take(client):
        raise _rate_limited("too many registrations from this address; try again later")
    try:
        account = await create_account(services, username, email, password)
    except HashingBusy as busy:
        raise _rate_limited("the server is busy; try again in a moment") from busy
    return await _sign_in(services, account)


async def log_in(services: UserServices, email: str, password: str, client: str) -> SignedIn:
    """Signs in, or refuses; at most `login_max_failures` passwords of one account are
    ever checked per window, however many attempts race, and the client address's
    failures are limited across accounts (password spraying)."""
    if len(password.encode()) > MAX_PASSWORD_BYTES:
        raise DomainError(
            UsersErrorCode.PASSWORD_INVALID,
            f"a password has at most {MAX_PASSWORD_BYTES} bytes",
            ["input", "password"],
        )
    key = account_key(email)
    # Both attempts are taken before the password is verified: the atomic count
    # decides, so racing requests cannot all pass a check made before any failed.
    if not await services.ip_failed_logins.take(client):
        raise _rate_limited("too many failed sign-ins from this address; try again later")
    if not await services.failed_logins.take(key):
        wait = await services.failed_logins.retry_after(key)
        raise _rate_limited(f"too many failed sign-ins; try again in {wait:.0f} s")
    async with services.database.session() as session:
        row = await session.scalar(select(UserRow).where(UserRow.email_key == key))
    try:
        ok, upgraded_hash = await services.hasher.verify(
            password, row.password_hash if row else None
        )
    except HashingBusy as busy:
        raise _rate_limited("the server is busy; try again in a moment") from busy
    if row is None or not ok:
        raise DomainError(UsersErrorCode.INVALID_CREDENTIALS, "the email or the password is wrong")
    if upgraded_hash is not None:
        async with services.database.session() as session:
            await session.execute(
                update(UserRow).where(UserRow.id == row.id).values(password_hash=upgraded_hash)
            )
    await services.failed_logins.reset(key)
    await services.ip_failed_logins.give_back(client)
    return await _sign_in(services, Account.of(row))


def _rate_limited(message: str) -> DomainError:
    return DomainError(UsersErrorCode.RATE_LIMITED, message)


async def _sign_in(services: UserServices, account: Account) -> SignedIn:
    async with services.database.session() as session:
        refresh = await refresh_tokens.issue(session, services.users, account.id)
    return SignedIn(account, services.tokens.issue(account.principal), refresh)


async def refresh(services: UserServices, token: str) -> SignedIn:
    user_id, new_token = await refresh_tokens.rotate(services.database, services.users, token)
    accounts = await accounts_by_id(services, [user_id])
    account = accounts.get(user_id)
    if account is None:
        raise DomainError(UsersErrorCode.INVALID_REFRESH_TOKEN, "this refresh token is not valid")
    return SignedIn(account, services.tokens.issue(account.principal), new_token)


# Built once: building it and working out its cache key showed in the listing's profile.
_BY_ID = select(
    UserRow.id, UserRow.username, UserRow.email, UserRow.role, UserRow.created_at
).where(UserRow.id.in_(bindparam("ids", expanding=True)))


async def accounts_by_id(services: UserServices, ids: Sequence[str]) -> dict[str, Account]:
    """The accounts among `ids`, in one SQL statement whatever their number.

    The authors of every review on a product listing come through here: one
    autocommit read of the columns an Account holds, no ORM objects.
    """
    if not ids:
        return {}
    async with services.database.reading() as connection:
        rows = (await connection.execute(_BY_ID, {"ids": sorted(set(ids))})).all()
    return {
        row.id: Account(row.id, row.username, row.email, Role(row.role), row.created_at)
        for row in rows
    }
