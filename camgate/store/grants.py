"""Authorization codes, grants and the OAuth2 access and refresh tokens issued under them.

The single-use rules are enforced by the database, not by a read-then-write in Python: a code is
consumed and a refresh token rotated by one conditional ``UPDATE … WHERE used_at IS NULL
RETURNING``. Under concurrent requests (any number of workers or machines) exactly one of them
gets the row back; the others see nothing and are told the code was already used.

The token endpoint's hot paths are two statements each on PostgreSQL, and no BEGIN/COMMIT: a plain
read of the code or refresh token with its user (``code_with_user``, ``refresh_token_with_user``)
for the protocol's checks, then ``issue_tokens``: the conditional UPDATE that spends the code or
rotates the token, the grant, the tokens, the successor link and the audit row as one
data-modifying ``WITH`` statement, atomic on its own. SQLite has no data-modifying ``WITH``: there
the same functions run the statements one after another, in the caller's transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    ColumnElement,
    String,
    bindparam,
    cast,
    func,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ClauseElement, Select
from sqlalchemy.sql.compiler import SQLCompiler

from camgate.domain import (
    AuthorizationCode,
    CodeWithUser,
    IssuedToken,
    RefreshToken,
    RefreshWithUser,
    Role,
    TokenIssue,
    TokenRecord,
    User,
    format_scopes,
    parse_scope_list,
)
from camgate.store import accounts, audit
from camgate.store.models import (
    access_tokens,
    audit_events,
    authorization_codes,
    grants,
    personal_tokens,
    refresh_tokens,
    users,
)


def _code(row: Mapping[Any, Any], prefix: str = "") -> AuthorizationCode:
    return AuthorizationCode(
        id=row[f"{prefix}id"],
        app_id=row[f"{prefix}app_id"],
        user_id=row[f"{prefix}user_id"],
        redirect_uri=row[f"{prefix}redirect_uri"],
        redirect_uri_given=row[f"{prefix}redirect_uri_given"],
        scopes=parse_scope_list(row[f"{prefix}scopes"]),
        code_challenge=row[f"{prefix}code_challenge"],
        code_challenge_method=row[f"{prefix}code_challenge_method"],
        expires_at=row[f"{prefix}expires_at"],
        used_at=row[f"{prefix}used_at"],
        grant_id=row[f"{prefix}grant_id"],
    )


def _is_postgresql(conn: AsyncConnection) -> bool:
    return conn.dialect.name == "postgresql"


# The users columns a token needs (never the password hash), read beside a code or a token.
_USER_COLUMNS = (
    users.c.id,
    users.c.provider_id,
    users.c.organization_id,
    users.c.email,
    users.c.role,
    users.c.rights,
    users.c.is_active,
)


async def _user_of(conn: AsyncConnection, row: Mapping[Any, Any]) -> User | None:
    """The user read beside a code or token (``_USER_COLUMNS``, None when the LEFT JOIN found
    none). A guest's cameras are one more query: guests are few, and a token needs the right set."""
    if row["id"] is None:
        return None
    cameras = await accounts.guest_camera_ids(conn, row["id"]) if row["role"] == Role.GUEST.value else None
    columns: Any = SimpleNamespace(**{column.name: row[column.name] for column in _USER_COLUMNS})
    return accounts.user_from_row(columns, cameras)


@cache
def _postgresql_text(statement: ClauseElement) -> tuple[str, tuple[str, ...]]:
    """A statement's PostgreSQL text (``$1``, ``$2``…) and its parameters' names in that order."""
    from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg

    compiled = statement.compile(dialect=PGDialect_asyncpg())
    assert isinstance(compiled, SQLCompiler)
    return compiled.string, tuple(compiled.positiontup or ())


async def _fetchrow_on_driver(conn: AsyncConnection, statement: ClauseElement, params: dict[str, Any]) -> Any:
    """Run one hot statement on the pooled connection's asyncpg driver, not through SQLAlchemy.

    SQLAlchemy's execution path costs a few hundred microseconds of Python per statement (the
    bench profiled it as the largest part of a token request); asyncpg with its own cache of
    prepared statements costs a tenth of that. Same connection, so the statement joins the
    transaction if one has begun on it, and is committed at once if not (SQLAlchemy's asyncpg
    driver issues BEGIN only with its first statement): callers use this only for statements
    that are atomic on their own. Values go to asyncpg as they are (aware datetimes, JSON as
    text), and the row comes back as an asyncpg ``Record``.
    """
    sql, names = _postgresql_text(statement)
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    try:
        return await driver.fetchrow(sql, *(params[name] for name in names))
    except BaseException as exc:
        if not driver.is_closed():
            raise
        # What SQLAlchemy does for its own statements: the pool must not hand the dead connection
        # out again, and the caller sees an outage (503), not asyncpg's InterfaceError (a 500).
        raw.invalidate()
        if isinstance(exc, Exception):
            raise DisconnectionError("the database connection was lost") from exc
        raise


async def insert_code(
    conn: AsyncConnection,
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
    await conn.execute(
        insert(authorization_codes).values(
            code_hash=code_hash,
            app_id=app_id,
            user_id=user_id,
            redirect_uri=redirect_uri,
            redirect_uri_given=redirect_uri_given,
            scopes=format_scopes(scopes),
            code_challenge=code_challenge,
            code_challenge_method=code_challenge_method,
            created_at=now,
            expires_at=expires_at,
        )
    )


async def consume_code(conn: AsyncConnection, code_hash: str, now: datetime) -> AuthorizationCode | None:
    """Mark the code used and return it; None if it does not exist or was already used."""
    row = (
        await conn.execute(
            update(authorization_codes)
            .where(authorization_codes.c.code_hash == code_hash, authorization_codes.c.used_at.is_(None))
            .values(used_at=now)
            .returning(*authorization_codes.c)
        )
    ).first()
    return _code(row._mapping) if row is not None else None


@cache
def _code_with_user() -> Select[Any]:
    """A code with its user (LEFT JOIN: None if gone)."""
    return (
        select(*(c.label(f"code_{c.name}") for c in authorization_codes.c), *_USER_COLUMNS)
        .select_from(authorization_codes.outerjoin(users, users.c.id == authorization_codes.c.user_id))
        .where(authorization_codes.c.code_hash == bindparam("p_code_hash", type_=authorization_codes.c.code_hash.type))
    )


async def code_with_user(conn: AsyncConnection, code_hash: str) -> CodeWithUser | None:
    """A code by hash with its user, for the checks before an exchange; None if unknown.

    A plain read: the exchange itself (``issue_tokens``) marks the code used only if it still is
    unused, in the statement that stores the tokens.
    """
    if _is_postgresql(conn):
        row = await _fetchrow_on_driver(conn, _code_with_user(), {"p_code_hash": code_hash})
        if row is None:
            return None
        return CodeWithUser(_code(row, "code_"), await _user_of(conn, row))
    code = await find_code(conn, code_hash)
    if code is None:
        return None
    return CodeWithUser(code, await accounts.user_by_id(conn, code.user_id))


async def find_code(conn: AsyncConnection, code_hash: str) -> AuthorizationCode | None:
    row = (await conn.execute(select(authorization_codes).where(authorization_codes.c.code_hash == code_hash))).first()
    return _code(row._mapping) if row is not None else None


async def create_grant(
    conn: AsyncConnection, *, user_id: int, app_id: int, scopes: Iterable[str], now: datetime, code_id: int | None
) -> int:
    grant_id = int(
        await conn.scalar(
            insert(grants)
            .values(user_id=user_id, app_id=app_id, scopes=format_scopes(scopes), created_at=now, last_used_at=now)
            .returning(grants.c.id)
        )
    )
    if code_id is not None:
        await conn.execute(
            update(authorization_codes).where(authorization_codes.c.id == code_id).values(grant_id=grant_id)
        )
    return grant_id


async def insert_access_token(
    conn: AsyncConnection,
    token: IssuedToken,
    *,
    provider_id: int,
    user_id: int,
    app_id: int,
    grant_id: int,
    scopes: Iterable[str],
    now: datetime,
) -> int:
    return int(
        await conn.scalar(
            insert(access_tokens)
            .values(
                token_hash=token.token_hash,
                display_prefix=token.display_prefix,
                provider_id=provider_id,
                user_id=user_id,
                app_id=app_id,
                grant_id=grant_id,
                scopes=format_scopes(scopes),
                created_at=now,
                expires_at=token.expires_at,
            )
            .returning(access_tokens.c.id)
        )
    )


async def insert_refresh_token(
    conn: AsyncConnection,
    token: IssuedToken,
    *,
    provider_id: int,
    user_id: int,
    app_id: int,
    grant_id: int,
    scopes: Iterable[str],
    now: datetime,
) -> int:
    return int(
        await conn.scalar(
            insert(refresh_tokens)
            .values(
                token_hash=token.token_hash,
                display_prefix=token.display_prefix,
                provider_id=provider_id,
                user_id=user_id,
                app_id=app_id,
                grant_id=grant_id,
                scopes=format_scopes(scopes),
                created_at=now,
                expires_at=token.expires_at,
            )
            .returning(refresh_tokens.c.id)
        )
    )


def _refresh(row: Mapping[Any, Any], grant_revoked: bool, prefix: str = "") -> RefreshToken:
    return RefreshToken(
        id=row[f"{prefix}id"],
        provider_id=row[f"{prefix}provider_id"],
        user_id=row[f"{prefix}user_id"],
        app_id=row[f"{prefix}app_id"],
        grant_id=row[f"{prefix}grant_id"],
        scopes=parse_scope_list(row[f"{prefix}scopes"]),
        expires_at=row[f"{prefix}expires_at"],
        revoked_at=row[f"{prefix}revoked_at"],
        rotated_at=row[f"{prefix}rotated_at"],
        successor_id=row[f"{prefix}successor_id"],
        grant_revoked=grant_revoked,
    )


@cache
def _refresh_with_user() -> Select[Any]:
    """A refresh token with its grant's revocation and its user (LEFT JOIN: None if gone)."""
    return (
        select(
            *(c.label(f"token_{c.name}") for c in refresh_tokens.c),
            grants.c.revoked_at.label("grant_revoked_at"),
            *_USER_COLUMNS,
        )
        .select_from(
            refresh_tokens.join(grants, grants.c.id == refresh_tokens.c.grant_id).outerjoin(
                users, users.c.id == refresh_tokens.c.user_id
            )
        )
        .where(refresh_tokens.c.token_hash == bindparam("p_token_hash", type_=refresh_tokens.c.token_hash.type))
    )


async def refresh_token_with_user(conn: AsyncConnection, token_hash: str) -> RefreshWithUser | None:
    """A refresh token by hash with its user, for the checks before a rotation; None if unknown.

    A plain read: the rotation itself (``issue_tokens``) checks again that the token is still
    live, in the statement that rotates it.
    """
    if _is_postgresql(conn):
        row = await _fetchrow_on_driver(conn, _refresh_with_user(), {"p_token_hash": token_hash})
        if row is None:
            return None
        return RefreshWithUser(_refresh(row, row["grant_revoked_at"] is not None, "token_"), await _user_of(conn, row))
    token = await find_refresh_token(conn, token_hash)
    if token is None:
        return None
    return RefreshWithUser(token, await accounts.user_by_id(conn, token.user_id))


def _rotate(refresh_id: Any, grant_id: Any, now: Any) -> Any:
    """Mark a refresh token rotated if it, and its grant, are still live (``grant_id`` is the
    grant's id as the rotation saw it; on PostgreSQL the locked grant)."""
    return (
        update(refresh_tokens)
        .where(
            refresh_tokens.c.id == refresh_id,
            refresh_tokens.c.rotated_at.is_(None),
            refresh_tokens.c.revoked_at.is_(None),
            refresh_tokens.c.grant_id == grant_id,
        )
        .values(rotated_at=now, last_used_at=now)
    )


def _p(name: str, column: Any) -> Any:
    """A named parameter typed like ``column`` (so the driver gets the same cast as in a VALUES).

    Every parameter name starts with ``p_``: SQLAlchemy turns an execution parameter named like a
    column of an UPDATE into one more SET clause."""
    return bindparam(f"p_{name}", type_=column.type)


_GRANT_ID_MARK = "\x00grant_id\x00"


def _audit_detail_around_grant_id(detail: dict[str, Any]) -> tuple[str, str]:
    """The audit detail's JSON text before and after the ``grant_id`` value, for a statement that
    only learns the new grant's id while it runs. Same serializer and key order as the JSON
    column's own, so the row reads back exactly as ``audit.record`` would have written it."""
    head, *rest = json.dumps({**detail, "grant_id": _GRANT_ID_MARK}).split(json.dumps(_GRANT_ID_MARK))
    if len(rest) != 1:
        raise ValueError("the audit detail's grant_id placeholder is ambiguous")
    return head, rest[0]


def _token_row(prefix: str, grant_id: ColumnElement[Any], table: Any) -> list[Any]:
    return [
        _p(f"{prefix}_hash", table.c.token_hash),
        _p(f"{prefix}_display_prefix", table.c.display_prefix),
        _p("provider_id", table.c.provider_id),
        _p("user_id", table.c.user_id),
        _p("app_id", table.c.app_id),
        grant_id,
        _p(f"{prefix}_scopes", table.c.scopes),
        _p("now", table.c.created_at),
        _p(f"{prefix}_expires_at", table.c.expires_at),
    ]


_TOKEN_COLUMNS = [
    "token_hash",
    "display_prefix",
    "provider_id",
    "user_id",
    "app_id",
    "grant_id",
    "scopes",
    "created_at",
    "expires_at",
]
_AUDIT_COLUMNS = ["provider_id", "organization_id", "user_id", "actor", "action", "ip", "created_at", "detail"]


def _next_id(table: str) -> Any:
    """The next id of ``table``'s serial ``id``, drawn up front (see ``_issue_statement``)."""
    sequence = func.pg_get_serial_sequence(literal_column(f"'{table}'"), literal_column("'id'"))
    return func.nextval(sequence, type_=BigInteger)


@cache
def _issue_statement(new_grant: bool, with_refresh: bool, rotating: bool) -> Select[Any]:
    """PostgreSQL: every write of a token response as one data-modifying WITH statement.

    ``granted`` is the grant: inserted for a code exchange, else touched as used. Every other
    part writes from it, so nothing is written if it is not there. One statement is one atomic
    write: all of it is stored, or none.

    A code exchange (``new_grant``) first marks the code used if it still is unused
    (``consumed``); the grant is inserted only if that happened. A refresh (``rotating``) first
    locks the grant if it is still live (``locked``), then marks the presented refresh token
    rotated if it is still live too (``rotated``); ``granted`` touches the grant only if that
    rotation happened. So an exchange or a refresh that lost a race to another one (or to a
    revocation) writes nothing at all, and the statement returns no row. The new grant's and
    the successor's ids are drawn from their sequences up front: the code and the rotated token
    are linked to them in the UPDATE that spends them, as a statement may not update one row
    twice.

    Lock order: the grant's row before the token's. Revocation and reuse detection
    (``revoke_grant``) lock the grant first too, so concurrent refreshes and revocations of one
    grant on several workers queue up on one row instead of deadlocking (refresh: token then
    grant; revoke: grant then tokens — PostgreSQL detected that cycle under
    tests/security/test_races_workers.py). The rotation's WHERE reads the locked grant through a
    scalar subquery (an InitPlan), which PostgreSQL runs, and so takes the grant's lock, before
    the UPDATE locks the token's row.
    """
    parts: list[Any] = []
    successor_id: Any = None
    if new_grant:
        grant_id = select(_next_id("grants").label("id")).cte("grant_id")
        consumed = (
            update(authorization_codes)
            .where(authorization_codes.c.id == bindparam("p_code_id"), authorization_codes.c.used_at.is_(None))
            .values(used_at=bindparam("p_now"), grant_id=select(grant_id.c.id).scalar_subquery())
            .returning(authorization_codes.c.grant_id)
            .cte("consumed")
        )
        granted = (
            insert(grants)
            .from_select(
                ["id", "user_id", "app_id", "scopes", "created_at", "last_used_at"],
                select(
                    consumed.c.grant_id,
                    _p("user_id", grants.c.user_id),
                    _p("app_id", grants.c.app_id),
                    _p("grant_scopes", grants.c.scopes),
                    _p("now", grants.c.created_at),
                    _p("now", grants.c.last_used_at),
                ),
            )
            .returning(grants.c.id)
            .cte("granted")
        )
    elif rotating:
        locked = (
            select(grants.c.id)
            .where(grants.c.id == bindparam("p_grant_id"), grants.c.revoked_at.is_(None))
            .with_for_update()
            .cte("locked")
        )
        successor_id = select(_next_id("refresh_tokens").label("id")).cte("successor_id")
        rotated = (
            _rotate(bindparam("p_rotated_id"), select(locked.c.id).scalar_subquery(), bindparam("p_now"))
            .values(successor_id=select(successor_id.c.id).scalar_subquery())
            .returning(refresh_tokens.c.grant_id)
            .cte("rotated")
        )
        granted = (
            update(grants)
            .where(grants.c.id == select(rotated.c.grant_id).scalar_subquery())
            .values(last_used_at=bindparam("p_now"))
            .returning(grants.c.id)
            .cte("granted")
        )
    else:
        granted = (
            update(grants)
            .where(grants.c.id == bindparam("p_grant_id"))
            .values(last_used_at=bindparam("p_now"))
            .returning(grants.c.id)
            .cte("granted")
        )
    parts.append(
        insert(access_tokens)
        .from_select(_TOKEN_COLUMNS, select(*_token_row("access", granted.c.id, access_tokens)))
        .returning(access_tokens.c.id)
        .cte("access")
    )
    if with_refresh:
        columns, row = _TOKEN_COLUMNS, _token_row("refresh", granted.c.id, refresh_tokens)
        if successor_id is not None:
            columns, row = [*columns, "id"], [*row, successor_id.c.id]
        parts.append(
            insert(refresh_tokens).from_select(columns, select(*row)).returning(refresh_tokens.c.id).cte("successor")
        )
    if new_grant:
        detail: Any = cast(
            _p("detail_head", audit_events.c.actor)
            + cast(granted.c.id, String)
            + _p("detail_tail", audit_events.c.actor),
            JSON,
        )
    else:
        detail = _p("detail", audit_events.c.detail)
    parts.append(
        insert(audit_events)
        .from_select(
            _AUDIT_COLUMNS,
            select(*(_p(f"audit_{name}", audit_events.c[name]) for name in _AUDIT_COLUMNS[:-1]), detail).select_from(
                granted
            ),
        )
        .returning(audit_events.c.id)
        .cte("audited")
    )
    return select(granted.c.id).add_cte(*parts)


def _issue_parameters(issue: TokenIssue) -> dict[str, Any]:
    values: dict[str, Any] = {
        "now": issue.now,
        "provider_id": issue.provider_id,
        "user_id": issue.user_id,
        "app_id": issue.app_id,
        "access_hash": issue.access.token_hash,
        "access_display_prefix": issue.access.display_prefix,
        "access_scopes": format_scopes(issue.access_scopes),
        "access_expires_at": issue.access.expires_at,
    }
    if issue.refresh is not None:
        values |= {
            "refresh_hash": issue.refresh.token_hash,
            "refresh_display_prefix": issue.refresh.display_prefix,
            "refresh_scopes": format_scopes(issue.refresh_scopes),
            "refresh_expires_at": issue.refresh.expires_at,
        }
    if issue.rotated_refresh_id is not None:
        values["rotated_id"] = issue.rotated_refresh_id
    row = _audit_row(issue, None)
    values |= {f"audit_{name}": row[name] for name in _AUDIT_COLUMNS[:-1]}
    if issue.new_grant is not None:
        values |= {"grant_scopes": format_scopes(issue.new_grant.scopes), "code_id": issue.new_grant.code_id}
        values["detail_head"], values["detail_tail"] = _audit_detail_around_grant_id(issue.audit.detail)
    else:
        # JSON goes to asyncpg as text, serialized like the JSON column's own (``json.dumps``).
        values |= {"grant_id": issue.grant_id, "detail": json.dumps(row["detail"])}
    return {f"p_{name}": value for name, value in values.items()}


def _audit_row(issue: TokenIssue, new_grant_id: int | None) -> dict[str, Any]:
    entry = issue.audit
    detail = entry.detail if new_grant_id is None else {**entry.detail, "grant_id": new_grant_id}
    return audit.row_values(
        provider_id=entry.provider_id,
        action=entry.action,
        organization_id=entry.organization_id,
        user_id=entry.user_id,
        actor=entry.actor,
        ip=entry.ip,
        detail=detail,
    )


async def issue_tokens(conn: AsyncConnection, issue: TokenIssue) -> int | None:
    """Store a token response (grant, rotation, tokens, successor link, audit row); return the
    grant's id; None if the code to spend (``issue.new_grant``) was used already, or if the
    refresh token to rotate (``issue.rotated_refresh_id``) or its grant is no longer live: then
    nothing was written.

    On PostgreSQL one statement, atomic on its own; on SQLite the same writes one after another
    in the caller's transaction (SQLite's write lock, taken by the first, serializes them).
    """
    if _is_postgresql(conn):
        shape = (issue.new_grant is not None, issue.refresh is not None, issue.rotated_refresh_id is not None)
        row = await _fetchrow_on_driver(conn, _issue_statement(*shape), _issue_parameters(issue))
        return int(row["id"]) if row is not None else None
    if issue.new_grant is not None:
        spent = await conn.execute(
            update(authorization_codes)
            .where(authorization_codes.c.id == issue.new_grant.code_id, authorization_codes.c.used_at.is_(None))
            .values(used_at=issue.now)
        )
        if spent.rowcount != 1:
            return None
        grant_id = await create_grant(
            conn,
            user_id=issue.user_id,
            app_id=issue.app_id,
            scopes=issue.new_grant.scopes,
            now=issue.now,
            code_id=issue.new_grant.code_id,
        )
    else:
        assert issue.grant_id is not None
        grant_id = issue.grant_id
        if issue.rotated_refresh_id is not None:
            live_grant = select(grants.c.id).where(grants.c.id == grant_id, grants.c.revoked_at.is_(None))
            rotated = await conn.execute(_rotate(issue.rotated_refresh_id, live_grant.scalar_subquery(), issue.now))
            if rotated.rowcount != 1:
                return None
        await conn.execute(update(grants).where(grants.c.id == grant_id).values(last_used_at=issue.now))
    ids = {"provider_id": issue.provider_id, "user_id": issue.user_id, "app_id": issue.app_id, "grant_id": grant_id}
    await insert_access_token(conn, issue.access, scopes=issue.access_scopes, now=issue.now, **ids)
    if issue.refresh is not None:
        successor_id = await insert_refresh_token(
            conn, issue.refresh, scopes=issue.refresh_scopes, now=issue.now, **ids
        )
        if issue.rotated_refresh_id is not None:
            await set_successor(conn, issue.rotated_refresh_id, successor_id)
    await conn.execute(insert(audit_events).values(_audit_row(issue, grant_id if issue.new_grant else None)))
    return grant_id


async def find_refresh_token(conn: AsyncConnection, token_hash: str) -> RefreshToken | None:
    row = (
        await conn.execute(
            select(refresh_tokens, grants.c.revoked_at.label("grant_revoked_at"))
            .join(grants, grants.c.id == refresh_tokens.c.grant_id)
            .where(refresh_tokens.c.token_hash == token_hash)
        )
    ).first()
    return _refresh(row._mapping, grant_revoked=row.grant_revoked_at is not None) if row is not None else None


async def touch_live_grant(conn: AsyncConnection, grant_id: int, now: datetime) -> bool:
    """Lock the grant's row for this transaction if it is still live (True), else False.

    A refresh takes this lock before it mints; a revocation updates the same row. Whichever comes
    second waits for the first and then sees its result, so a token minted by a refresh that races
    a revocation is either revoked with the rest or never minted.
    """
    got = await conn.scalar(
        update(grants)
        .where(grants.c.id == grant_id, grants.c.revoked_at.is_(None))
        .values(last_used_at=now)
        .returning(grants.c.id)
    )
    return got is not None


async def set_successor(conn: AsyncConnection, refresh_id: int, successor_id: int) -> None:
    await conn.execute(
        update(refresh_tokens).where(refresh_tokens.c.id == refresh_id).values(successor_id=successor_id)
    )


async def revoke_grant(conn: AsyncConnection, grant_id: int, now: datetime) -> bool:
    """Revoke a grant and every access and refresh token issued under it.

    True if the grant or one of its access tokens was live: a change the read cache's triggers
    announce (``store.triggers``), whose echo a revocation then waits for.
    """
    changed = await conn.execute(
        update(grants).where(grants.c.id == grant_id, grants.c.revoked_at.is_(None)).values(revoked_at=now)
    )
    announced = bool(changed.rowcount)
    for table in (access_tokens, refresh_tokens):
        changed = await conn.execute(
            update(table).where(table.c.grant_id == grant_id, table.c.revoked_at.is_(None)).values(revoked_at=now)
        )
        announced = announced or (table is access_tokens and bool(changed.rowcount))
    return announced


async def live_grant_ids(conn: AsyncConnection, *, user_id: int, app_id: int | None = None) -> list[int]:
    query = select(grants.c.id).where(grants.c.user_id == user_id, grants.c.revoked_at.is_(None))
    if app_id is not None:
        query = query.where(grants.c.app_id == app_id)
    return list((await conn.scalars(query)).all())


async def find_token(conn: AsyncConnection, token_hash: str, kind: str) -> TokenRecord | None:
    """Any token by hash, for revocation (RFC 7009): ``kind`` is access, refresh or personal."""
    if kind == "personal":
        row = (
            await conn.execute(
                select(personal_tokens.c.id, personal_tokens.c.provider_id, personal_tokens.c.user_id).where(
                    personal_tokens.c.token_hash == token_hash
                )
            )
        ).first()
        return TokenRecord("personal", row.id, row.provider_id, row.user_id, None, None) if row else None
    table = access_tokens if kind == "access" else refresh_tokens
    found = (
        await conn.execute(
            select(table.c.id, table.c.provider_id, table.c.user_id, table.c.app_id, table.c.grant_id).where(
                table.c.token_hash == token_hash
            )
        )
    ).first()
    if found is None:
        return None
    return TokenRecord(kind, found.id, found.provider_id, found.user_id, found.app_id, found.grant_id)
