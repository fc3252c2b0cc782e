"""The audit trail: who did what, when, from where. Details never hold a secret."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.store.models import audit_events


@dataclass(frozen=True, slots=True)
class AuditEvent:
    id: int
    actor: str
    action: str
    detail: dict[str, Any]
    ip: str | None
    created_at: datetime


async def record(
    conn: AsyncConnection,
    *,
    provider_id: int,
    action: str,
    organization_id: int | None = None,
    user_id: int | None = None,
    actor: str = "",
    ip: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        insert(audit_events).values(
            row_values(
                provider_id=provider_id,
                organization_id=organization_id,
                user_id=user_id,
                actor=actor,
                action=action,
                detail=detail,
                ip=ip,
            )
        )
    )


def row_values(
    *,
    provider_id: int,
    action: str,
    organization_id: int | None = None,
    user_id: int | None = None,
    actor: str = "",
    ip: str | None = None,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An audit row's column values (``grants.issue_tokens`` writes its row within its statement)."""
    return {
        "provider_id": provider_id,
        "organization_id": organization_id,
        "user_id": user_id,
        "actor": actor[:254],
        "action": action,
        "detail": detail or {},
        "ip": ip,
        "created_at": datetime.now(UTC),
    }


async def events_page(
    conn: AsyncConnection,
    *,
    organization_id: int | None = None,
    user_id: int | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[AuditEvent]:
    """Newest first; keyset pagination by id (``before_id``) so deep pages stay cheap."""
    query = select(audit_events).order_by(audit_events.c.id.desc()).limit(limit)
    if organization_id is not None:
        query = query.where(audit_events.c.organization_id == organization_id)
    if user_id is not None:
        query = query.where(audit_events.c.user_id == user_id)
    if before_id is not None:
        query = query.where(audit_events.c.id < before_id)
    rows = (await conn.execute(query)).all()
    return [AuditEvent(r.id, r.actor, r.action, r.detail, r.ip, r.created_at) for r in rows]
