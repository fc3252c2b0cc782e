"""The bench's own data: one provider, an organization with cameras, a full account, an app, and
credentials minted beforehand so that every request of a run presents a fresh one.

Accounts and the app go through ``camgate.management`` (the checks and hashing the CLI uses); grants
and the single access token through ``camgate.store.grants``. Codes and refresh tokens are tens of
thousands of rows, so they are inserted in bulk (one multi-row INSERT per table, the same columns
``grants.insert_code`` and ``grants.insert_refresh_token`` write): each is ``camgate.tokens.mint``-ed,
only its SHA-256 is stored, and the plaintexts go to a file that wrk's Lua script reads.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.config import Settings
from camgate.domain import IssuedToken, Role
from camgate.management import create_app, create_user
from camgate.store import accounts, grants, providers
from camgate.store.database import open_database
from camgate.store.models import authorization_codes, refresh_tokens
from camgate.store.models import grants as grants_table
from camgate.tokens import TokenKind, display_prefix, hash_token, mint

HOST = "127.0.0.1"
EMAIL = "bench@example.com"
PASSWORD = "bench-password-1"
REDIRECT_URI = "https://client.example.com/callback"
SCOPES = frozenset({"read", "liveview"})
CAMERAS = ("myCamera", "Front door", "Garage")
# Pre-minted rows stay valid for the whole run (they are bench data, not issued by the server).
FEED_TTL = timedelta(hours=6)


@dataclass(frozen=True)
class Fixture:
    client_id: str
    client_secret: str
    access_token: str  # one valid access token (introspection, bearer-checked API)
    invalid_token: str  # well-formed but badly checksummed: the 401 path
    user_id: int
    app_id: int
    provider_id: int
    email: str = EMAIL
    password: str = PASSWORD
    redirect_uri: str = REDIRECT_URI


def bad_checksum(token: str) -> str:
    """The same token with its last checksum character changed: looks real, fails the CRC."""
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


async def create_pg_schema(admin_url: str, schema: str, *, drop: bool = False) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        if drop:
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        else:
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
    finally:
        await conn.close()


async def _base(conn: AsyncConnection) -> Fixture:
    now = datetime.now(UTC)
    provider = await providers.add_provider(conn, name="bench", hosts=[HOST], display_name="Bench", is_default=True)
    org = await accounts.add_organization(conn, provider_id=provider.id, name="Bench org")
    for name in CAMERAS:
        await accounts.add_camera(conn, organization_id=org, name=name, model="bench")
    user = await create_user(
        conn, provider_id=provider.id, organization_id=org, email=EMAIL, password=PASSWORD, role=Role.FULL
    )
    new = await create_app(
        conn, owner=user, name="Bench app", description="", redirect_uris=[REDIRECT_URI], require_pkce=False
    )
    grant_id = await grants.create_grant(conn, user_id=user.id, app_id=new.app.id, scopes=SCOPES, now=now, code_id=None)
    access = mint(TokenKind.ACCESS)
    await grants.insert_access_token(
        conn,
        IssuedToken(hash_token(access), display_prefix(access), now + FEED_TTL),
        provider_id=provider.id,
        user_id=user.id,
        app_id=new.app.id,
        grant_id=grant_id,
        scopes=SCOPES,
        now=now,
    )
    return Fixture(
        client_id=new.app.client_id,
        client_secret=new.client_secret,
        access_token=access,
        invalid_token=bad_checksum(mint(TokenKind.ACCESS)),
        user_id=user.id,
        app_id=new.app.id,
        provider_id=provider.id,
    )


async def _codes(conn: AsyncConnection, fx: Fixture, count: int) -> list[str]:
    now = datetime.now(UTC)
    plain = [mint(TokenKind.CODE) for _ in range(count)]
    rows = [
        {
            "code_hash": hash_token(code),
            "app_id": fx.app_id,
            "user_id": fx.user_id,
            "redirect_uri": fx.redirect_uri,
            "redirect_uri_given": False,
            "scopes": "read liveview",
            "code_challenge": None,
            "code_challenge_method": None,
            "created_at": now,
            "expires_at": now + FEED_TTL,
        }
        for code in plain
    ]
    for chunk in range(0, len(rows), 5000):
        await conn.execute(insert(authorization_codes), rows[chunk : chunk + 5000])
    return plain


async def _refresh_tokens(conn: AsyncConnection, fx: Fixture, count: int) -> list[str]:
    """One grant per refresh token, as after ``count`` separate logins (a shared grant would
    serialise every rotation on one row lock, which no real traffic does)."""
    now = datetime.now(UTC)
    plain = [mint(TokenKind.REFRESH) for _ in range(count)]
    for chunk in range(0, count, 5000):
        part = plain[chunk : chunk + 5000]
        grant_rows = [
            {"user_id": fx.user_id, "app_id": fx.app_id, "scopes": "read liveview", "created_at": now} for _ in part
        ]
        ids = (
            await conn.execute(
                insert(grants_table).returning(grants_table.c.id, sort_by_parameter_order=True), grant_rows
            )
        ).scalars()
        rows = [
            {
                "token_hash": hash_token(token),
                "display_prefix": display_prefix(token),
                "provider_id": fx.provider_id,
                "user_id": fx.user_id,
                "app_id": fx.app_id,
                "grant_id": grant_id,
                "scopes": "read liveview",
                "created_at": now,
                "expires_at": now + FEED_TTL,
            }
            for token, grant_id in zip(part, ids, strict=True)
        ]
        await conn.execute(insert(refresh_tokens), rows)
    return plain


def _write_feed(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n")
    os.chmod(path, 0o600)
    return path


async def prepare(settings: Settings, workdir: Path, *, codes: int, refresh: int) -> tuple[Fixture, Path, Path]:
    """Seed a freshly initialised database; returns the fixture and the code and refresh feeds."""
    db = open_database(settings)
    try:
        async with db.transaction() as conn:
            fx = await _base(conn)
        async with db.transaction() as conn:
            code_feed = _write_feed(workdir / "codes.txt", await _codes(conn, fx, codes))
        async with db.transaction() as conn:
            refresh_feed = _write_feed(workdir / "refresh.txt", await _refresh_tokens(conn, fx, refresh))
    finally:
        await db.dispose()
    return fx, code_feed, refresh_feed


# --- scale: millions of stored tokens --------------------------------------------------------------


async def bulk_tokens(dsn: str, schema: str, fx: Fixture, count: int, *, expired_share: float = 0.5) -> float:
    """COPY ``count`` access tokens (and as many refresh tokens) into the schema; returns seconds.

    They are stored tokens nobody presents, so their hashes are SHA-256 of random bytes (what a
    minted token's hash is indistinguishable from) instead of ``count`` calls to ``mint``. A share of
    them expired two days ago (past purge's one-day grace) so ``camgate purge`` has work to do.
    """
    started = asyncio.get_running_loop().time()
    conn = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    try:
        now = datetime.now(UTC)
        grant_id = await conn.fetchval(
            "INSERT INTO grants (user_id, app_id, scopes, created_at) VALUES ($1, $2, 'read', $3) RETURNING id",
            fx.user_id,
            fx.app_id,
            now,
        )
        expired_at, live_at = now - timedelta(days=2), now + timedelta(days=30)
        n_expired = int(count * expired_share)
        batch = 100_000
        for table in ("access_tokens", "refresh_tokens"):
            prefix = "cga_" if table == "access_tokens" else "cgr_"
            for start in range(0, count, batch):
                records = []
                for i in range(start, min(count, start + batch)):
                    digest = hashlib.sha256(os.urandom(32)).hexdigest()
                    records.append(
                        (
                            digest,
                            prefix + digest[:8],
                            fx.provider_id,
                            fx.user_id,
                            fx.app_id,
                            grant_id,
                            "read",
                            now,
                            expired_at if i < n_expired else live_at,
                        )
                    )
                await conn.copy_records_to_table(
                    table,
                    records=records,
                    columns=[
                        "token_hash",
                        "display_prefix",
                        "provider_id",
                        "user_id",
                        "app_id",
                        "grant_id",
                        "scopes",
                        "created_at",
                        "expires_at",
                    ],
                    schema_name=schema,
                )
        await conn.execute("ANALYZE access_tokens; ANALYZE refresh_tokens")
    finally:
        await conn.close()
    return asyncio.get_running_loop().time() - started


async def relation_sizes(dsn: str, schema: str) -> dict[str, dict[str, int]]:
    conn = await asyncpg.connect(dsn, server_settings={"search_path": schema})
    try:
        out = {}
        for table in ("access_tokens", "refresh_tokens", "grants", "authorization_codes"):
            row = await conn.fetchrow(
                "SELECT count(*) AS n, pg_total_relation_size($1::regclass) AS total,"
                " pg_relation_size($1::regclass) AS heap, pg_indexes_size($1::regclass) AS indexes"
                f" FROM {table}",
                f"{schema}.{table}",
            )
            out[table] = dict(row)
        return out
    finally:
        await conn.close()
