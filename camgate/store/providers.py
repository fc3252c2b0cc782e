"""Providers (white-label brands) and the host names that select them."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Row, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.domain import Provider
from camgate.store.models import provider_hosts, providers


class DuplicateError(ValueError):
    """A unique name, host or email is already taken; the message says which."""


class NotFoundError(LookupError):
    """A named row does not exist; the message says which."""


def _provider(row: Row) -> Provider:
    return Provider(
        id=row.id,
        name=row.name,
        display_name=row.display_name,
        accent_color=row.accent_color,
        logo_url=row.logo_url,
        issuer=row.issuer,
        is_default=row.is_default,
    )


async def add_provider(
    conn: AsyncConnection,
    *,
    name: str,
    hosts: list[str],
    display_name: str | None = None,
    accent_color: str = "#0b5fff",
    logo_url: str | None = None,
    issuer: str | None = None,
    is_default: bool = False,
) -> Provider:
    if await conn.scalar(select(providers.c.id).where(providers.c.name == name)) is not None:
        raise DuplicateError(f"provider {name!r} already exists")
    normalized = [h.lower().rstrip(".") for h in hosts]
    taken = await conn.scalar(select(provider_hosts.c.host).where(provider_hosts.c.host.in_(normalized)))
    if taken is not None:
        raise DuplicateError(f"host {taken!r} already belongs to a provider")
    if is_default and await conn.scalar(select(providers.c.id).where(providers.c.is_default)) is not None:
        raise DuplicateError("another provider is already the default")
    row = (
        await conn.execute(
            insert(providers)
            .values(
                name=name,
                display_name=display_name or name,
                accent_color=accent_color,
                logo_url=logo_url,
                issuer=issuer,
                is_default=is_default,
                created_at=datetime.now(UTC),
            )
            .returning(*providers.c)
        )
    ).one()
    for host in normalized:
        await conn.execute(insert(provider_hosts).values(host=host, provider_id=row.id))
    return _provider(row)


async def provider_for_host(conn: AsyncConnection, host: str) -> Provider | None:
    """The provider that owns ``host`` (port stripped by the caller), else the default one."""
    row = (
        await conn.execute(
            select(providers)
            .join(provider_hosts, provider_hosts.c.provider_id == providers.c.id)
            .where(provider_hosts.c.host == host.lower().rstrip("."))
        )
    ).first()
    if row is None:
        row = (await conn.execute(select(providers).where(providers.c.is_default))).first()
    return _provider(row) if row is not None else None


async def require_provider_for_host(conn: AsyncConnection, host: str) -> Provider:
    """For the CLI: ``--host`` must name a provider's host exactly (no default fallback)."""
    row = (
        await conn.execute(
            select(providers)
            .join(provider_hosts, provider_hosts.c.provider_id == providers.c.id)
            .where(provider_hosts.c.host == host.lower().rstrip("."))
        )
    ).first()
    if row is None:
        raise NotFoundError(f"no provider has the host {host!r}")
    return _provider(row)


async def list_providers(conn: AsyncConnection) -> list[tuple[Provider, list[str]]]:
    rows = (await conn.execute(select(providers).order_by(providers.c.id))).all()
    hosts = (await conn.execute(select(provider_hosts))).all()
    return [(_provider(r), sorted(h.host for h in hosts if h.provider_id == r.id)) for r in rows]
