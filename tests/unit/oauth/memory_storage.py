"""An in-memory ``camgate.oauth.storage.OAuthStorage``: plain dicts, no database.

It keeps the two promises the protocol core relies on:

* a ``unit`` is a transaction: if the block raises, every write made in it is undone (the state
  is copied on entry and put back on failure);
* ``consume_code`` and the rotation in ``issue_tokens`` are single-use: they check and mark in one
  step, so only the first caller gets the row back.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from camgate.domain import (
    App,
    AuthorizationCode,
    BearerRecord,
    CodeWithUser,
    IssuedToken,
    Provider,
    RefreshToken,
    RefreshWithUser,
    Role,
    TokenIssue,
    TokenPrincipal,
    TokenRecord,
    User,
)
from camgate.tokens import TokenKind, hash_token, mint, new_client_id


@dataclass
class StoredToken:
    """An access or refresh token row."""

    id: int
    token_hash: str
    display_prefix: str
    provider_id: int
    user_id: int
    app_id: int
    grant_id: int
    scopes: frozenset[str]
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    rotated_at: datetime | None = None
    successor_id: int | None = None


@dataclass
class StoredGrant:
    id: int
    user_id: int
    app_id: int
    scopes: frozenset[str]
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass
class StoredPersonal:
    id: int
    token_hash: str
    display_prefix: str
    provider_id: int
    user_id: int
    scopes: frozenset[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None = None


@dataclass
class State:
    apps: dict[int, App] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    codes: dict[str, AuthorizationCode] = field(default_factory=dict)  # by hash
    grants: dict[int, StoredGrant] = field(default_factory=dict)
    access: dict[str, StoredToken] = field(default_factory=dict)  # by hash
    refresh: dict[str, StoredToken] = field(default_factory=dict)  # by hash
    personal: dict[str, StoredPersonal] = field(default_factory=dict)  # by hash
    audit: list[dict[str, Any]] = field(default_factory=list)
    next_id: int = 1

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id


class MemoryUnit:
    def __init__(self, state: State) -> None:
        self.s = state

    async def app_by_client_id(self, provider_id: int, client_id: str) -> App | None:
        for app in self.s.apps.values():
            if app.client_id == client_id and app.provider_id == provider_id:
                return app
        return None

    async def insert_code(
        self,
        *,
        code_hash: str,
        app_id: int,
        user_id: int,
        redirect_uri: str,
        redirect_uri_given: bool,
        scopes: Iterable[str],
        code_challenge: str | None,
        code_challenge_method: str | None,
        now: datetime,
        expires_at: datetime,
    ) -> None:
        assert code_hash not in self.s.codes
        self.s.codes[code_hash] = AuthorizationCode(
            id=self.s.new_id(),
            app_id=app_id,
            user_id=user_id,
            redirect_uri=redirect_uri,
            redirect_uri_given=redirect_uri_given,
            scopes=frozenset(scopes),
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            expires_at=expires_at,
            used_at=None,
            grant_id=None,
        )

    async def code_with_user(self, code_hash: str) -> CodeWithUser | None:
        code = self.s.codes.get(code_hash)
        return CodeWithUser(code, self.s.users.get(code.user_id)) if code is not None else None

    async def consume_code(self, code_hash: str, now: datetime) -> AuthorizationCode | None:
        code = self.s.codes.get(code_hash)
        if code is None or code.used_at is not None:
            return None
        used = replace(code, used_at=now)
        self.s.codes[code_hash] = used
        return used

    async def find_code(self, code_hash: str) -> AuthorizationCode | None:
        return self.s.codes.get(code_hash)

    async def issue_tokens(self, issue: TokenIssue) -> int | None:
        """All writes or none, like the SQL storage's one statement."""
        saved = copy.deepcopy(self.s.__dict__)
        try:
            return await self._issue_tokens(issue)
        except BaseException:
            self.s.__dict__.update(saved)
            raise

    async def _issue_tokens(self, issue: TokenIssue) -> int | None:
        if issue.new_grant is not None:
            # Check and mark in one step: only an unused code is spent.
            key, code = next((k, c) for k, c in self.s.codes.items() if c.id == issue.new_grant.code_id)
            if code.used_at is not None:
                return None
            self.s.codes[key] = replace(code, used_at=issue.now)
            grant_id = await self._create_grant(
                user_id=issue.user_id,
                app_id=issue.app_id,
                scopes=issue.new_grant.scopes,
                now=issue.now,
                code_id=issue.new_grant.code_id,
            )
        else:
            assert issue.grant_id is not None and issue.grant_id in self.s.grants
            grant_id = issue.grant_id
            if issue.rotated_refresh_id is not None:
                # Check and mark in one step: only a live token of a live grant is rotated.
                old = next(row for row in self.s.refresh.values() if row.id == issue.rotated_refresh_id)
                live = old.rotated_at is None and old.revoked_at is None
                if not live or old.grant_id != grant_id or self.s.grants[grant_id].revoked_at is not None:
                    return None
                old.rotated_at = issue.now
        ids = {"provider_id": issue.provider_id, "user_id": issue.user_id, "app_id": issue.app_id, "grant_id": grant_id}
        await self._insert_access_token(issue.access, scopes=issue.access_scopes, now=issue.now, **ids)
        if issue.refresh is not None:
            successor_id = await self._insert_refresh_token(
                issue.refresh, scopes=issue.refresh_scopes, now=issue.now, **ids
            )
            if issue.rotated_refresh_id is not None:
                for row in self.s.refresh.values():
                    if row.id == issue.rotated_refresh_id:
                        row.successor_id = successor_id
        detail = issue.audit.detail if issue.new_grant is None else {**issue.audit.detail, "grant_id": grant_id}
        await self.audit(
            provider_id=issue.audit.provider_id,
            action=issue.audit.action,
            user_id=issue.audit.user_id,
            organization_id=issue.audit.organization_id,
            actor=issue.audit.actor,
            ip=issue.audit.ip,
            detail=detail,
        )
        return grant_id

    async def _create_grant(
        self, *, user_id: int, app_id: int, scopes: Iterable[str], now: datetime, code_id: int | None
    ) -> int:
        grant = StoredGrant(self.s.new_id(), user_id, app_id, frozenset(scopes), now)
        self.s.grants[grant.id] = grant
        if code_id is not None:
            for key, code in self.s.codes.items():
                if code.id == code_id:
                    self.s.codes[key] = replace(code, grant_id=grant.id)
        return grant.id

    def _token(self, token: IssuedToken, scopes: Iterable[str], now: datetime, **ids: int) -> StoredToken:
        return StoredToken(
            id=self.s.new_id(),
            token_hash=token.token_hash,
            display_prefix=token.display_prefix,
            scopes=frozenset(scopes),
            created_at=now,
            expires_at=token.expires_at,
            **ids,
        )

    async def _insert_access_token(
        self,
        token: IssuedToken,
        *,
        provider_id: int,
        user_id: int,
        app_id: int,
        grant_id: int,
        scopes: Iterable[str],
        now: datetime,
    ) -> int:
        assert token.token_hash not in self.s.access, "unique token_hash"
        row = self._token(
            token, scopes, now, provider_id=provider_id, user_id=user_id, app_id=app_id, grant_id=grant_id
        )
        self.s.access[token.token_hash] = row
        return row.id

    async def _insert_refresh_token(
        self,
        token: IssuedToken,
        *,
        provider_id: int,
        user_id: int,
        app_id: int,
        grant_id: int,
        scopes: Iterable[str],
        now: datetime,
    ) -> int:
        assert token.token_hash not in self.s.refresh, "unique token_hash"
        row = self._token(
            token, scopes, now, provider_id=provider_id, user_id=user_id, app_id=app_id, grant_id=grant_id
        )
        self.s.refresh[token.token_hash] = row
        return row.id

    def _refresh(self, row: StoredToken) -> RefreshToken:
        return RefreshToken(
            id=row.id,
            provider_id=row.provider_id,
            user_id=row.user_id,
            app_id=row.app_id,
            grant_id=row.grant_id,
            scopes=row.scopes,
            expires_at=row.expires_at,
            revoked_at=row.revoked_at,
            rotated_at=row.rotated_at,
            successor_id=row.successor_id,
            grant_revoked=self.s.grants[row.grant_id].revoked_at is not None,
        )

    async def refresh_token_with_user(self, token_hash: str) -> RefreshWithUser | None:
        row = self.s.refresh.get(token_hash)
        return RefreshWithUser(self._refresh(row), self.s.users.get(row.user_id)) if row is not None else None

    async def find_refresh_token(self, token_hash: str) -> RefreshToken | None:
        row = self.s.refresh.get(token_hash)
        return self._refresh(row) if row is not None else None

    async def revoke_grant(self, grant_id: int, now: datetime) -> None:
        grant = self.s.grants[grant_id]
        if grant.revoked_at is None:
            grant.revoked_at = now
        for table in (self.s.access, self.s.refresh):
            for row in table.values():
                if row.grant_id == grant_id and row.revoked_at is None:
                    row.revoked_at = now

    async def find_token(self, token_hash: str, kind: str) -> TokenRecord | None:
        if kind == "personal":
            p = self.s.personal.get(token_hash)
            return TokenRecord("personal", p.id, p.provider_id, p.user_id, None, None) if p else None
        row = (self.s.access if kind == "access" else self.s.refresh).get(token_hash)
        if row is None:
            return None
        return TokenRecord(kind, row.id, row.provider_id, row.user_id, row.app_id, row.grant_id)

    async def revoke_personal_token(self, token_id: int, now: datetime) -> None:
        for p in self.s.personal.values():
            if p.id == token_id and p.revoked_at is None:
                p.revoked_at = now

    async def access_token_record(self, token_hash: str) -> BearerRecord | None:
        row = self.s.access.get(token_hash)
        if row is None:
            return None
        app = self.s.apps.get(row.app_id)
        principal = TokenPrincipal(
            kind="access",
            token_id=row.id,
            display_prefix=row.display_prefix,
            provider_id=row.provider_id,
            user=self.s.users[row.user_id],
            scopes=row.scopes,
            app_id=row.app_id,
            client_id=app.client_id if app else None,
            grant_id=row.grant_id,
            expires_at=row.expires_at,
            issued_at=row.created_at,
        )
        grant = self.s.grants[row.grant_id]
        return BearerRecord(principal, revoked=row.revoked_at is not None or grant.revoked_at is not None)

    async def personal_token_record(self, token_hash: str) -> BearerRecord | None:
        p = self.s.personal.get(token_hash)
        if p is None:
            return None
        principal = TokenPrincipal(
            kind="personal",
            token_id=p.id,
            display_prefix=p.display_prefix,
            provider_id=p.provider_id,
            user=self.s.users[p.user_id],
            scopes=p.scopes,
            app_id=None,
            client_id=None,
            grant_id=None,
            expires_at=p.expires_at,
            issued_at=p.created_at,
        )
        return BearerRecord(principal, revoked=p.revoked_at is not None)

    async def audit(
        self,
        *,
        provider_id: int,
        action: str,
        user_id: int | None = None,
        organization_id: int | None = None,
        actor: str = "",
        ip: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.s.audit.append({"provider_id": provider_id, "action": action, "user_id": user_id, "detail": detail})


class MemoryStorage:
    """The storage, plus helpers to seed it the way the tests need."""

    def __init__(self) -> None:
        self.state = State()
        self.commits = 0
        self.rollbacks = 0

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[MemoryUnit]:
        saved = copy.deepcopy(self.state)
        try:
            yield MemoryUnit(self.state)
        except BaseException:
            self.state.__dict__.update(saved.__dict__)
            self.rollbacks += 1
            raise
        self.commits += 1

    @asynccontextmanager
    async def read(self) -> AsyncIterator[MemoryUnit]:
        yield MemoryUnit(self.state)

    async def find_app(self, provider_id: int, client_id: str) -> App | None:
        return await MemoryUnit(self.state).app_by_client_id(provider_id, client_id)

    async def find_bearer(self, kind: TokenKind, token_hash: str) -> BearerRecord | None:
        unit = MemoryUnit(self.state)
        if kind is TokenKind.ACCESS:
            return await unit.access_token_record(token_hash)
        return await unit.personal_token_record(token_hash)

    # -- seeding ------------------------------------------------------------------------------

    def add_user(
        self, provider_id: int, *, role: Role = Role.FULL, rights: Iterable[str] = (), active: bool = True
    ) -> User:
        uid = self.state.new_id()
        user = User(
            id=uid,
            provider_id=provider_id,
            organization_id=1,
            email=f"user{uid}@example.test",
            role=role,
            rights=frozenset(rights),
            is_active=active,
        )
        self.state.users[uid] = user
        return user

    def add_app(
        self,
        owner: User,
        *,
        redirect_uris: tuple[str, ...] = ("https://client.example/cb",),
        require_pkce: bool = False,
        refresh_grace_seconds: int = 0,
    ) -> tuple[App, str]:
        secret = mint(TokenKind.CLIENT_SECRET)
        app = App(
            id=self.state.new_id(),
            provider_id=owner.provider_id,
            owner_id=owner.id,
            client_id=new_client_id(),
            client_secret_hash=hash_token(secret),
            name=f"app {len(self.state.apps) + 1}",
            description="",
            redirect_uris=redirect_uris,
            require_pkce=require_pkce,
            refresh_grace_seconds=refresh_grace_seconds,
            owner_email=owner.email,
        )
        self.state.apps[app.id] = app
        return app, secret

    def add_personal_token(self, user: User, scopes: Iterable[str] = ("read",)) -> str:
        value = mint(TokenKind.PERSONAL)
        now = datetime.now(UTC)
        self.state.personal[hash_token(value)] = StoredPersonal(
            id=self.state.new_id(),
            token_hash=hash_token(value),
            display_prefix=value[:12],
            provider_id=user.provider_id,
            user_id=user.id,
            scopes=frozenset(scopes),
            created_at=now,
            expires_at=now + timedelta(days=1),
        )
        return value

    def set_user(self, user: User, **changes: Any) -> None:
        self.state.users[user.id] = replace(self.state.users[user.id], **changes)

    def actions(self) -> list[str]:
        return [a["action"] for a in self.state.audit]


def provider(pid: int, name: str = "alpha") -> Provider:
    return Provider(
        id=pid,
        name=name,
        display_name=name.title(),
        accent_color="#000000",
        logo_url=None,
        issuer=f"https://{name}.example",
        is_default=pid == 1,
    )
