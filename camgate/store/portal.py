"""Read models for the portal's </> API pages: what a user has authorized, an owner's guests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.domain import parse_scope_list
from camgate.store.models import access_tokens, grants, oauth_apps


@dataclass(frozen=True, slots=True)
class AuthorizedApp:
    """One application a user has live grants for, summed over those grants."""

    app_id: int
    name: str
    description: str
    scopes: frozenset[str]
    granted_at: datetime
    last_used_at: datetime | None


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a or b
    return max(a, b)


async def authorized_apps(conn: AsyncConnection, user_id: int) -> list[AuthorizedApp]:
    """The apps ``user_id`` holds a live (unrevoked) grant for, oldest grant first.

    A user who consented twice has two grants; the page shows one row per app with the union
    of their rights, the first consent and the latest use (of the grant or any of its tokens).
    """
    rows = (
        await conn.execute(
            select(
                grants.c.app_id,
                oauth_apps.c.name,
                oauth_apps.c.description,
                grants.c.scopes,
                grants.c.created_at,
                grants.c.last_used_at,
            )
            .join(oauth_apps, oauth_apps.c.id == grants.c.app_id)
            .where(grants.c.user_id == user_id, grants.c.revoked_at.is_(None))
            .order_by(grants.c.created_at, grants.c.id)
        )
    ).all()
    token_use = dict(
        (
            await conn.execute(
                select(access_tokens.c.app_id, func.max(access_tokens.c.last_used_at))
                .join(grants, grants.c.id == access_tokens.c.grant_id)
                .where(access_tokens.c.user_id == user_id, grants.c.revoked_at.is_(None))
                .group_by(access_tokens.c.app_id)
            )
        ).all()
    )
    found: dict[int, AuthorizedApp] = {}
    for r in rows:
        scopes = parse_scope_list(r.scopes)
        prior = found.get(r.app_id)
        if prior is None:
            found[r.app_id] = AuthorizedApp(
                r.app_id, r.name, r.description, scopes, r.created_at, _later(r.last_used_at, token_use.get(r.app_id))
            )
        else:
            found[r.app_id] = AuthorizedApp(
                r.app_id,
                r.name,
                r.description,
                prior.scopes | scopes,
                prior.granted_at,
                _later(prior.last_used_at, r.last_used_at),
            )
    return list(found.values())
