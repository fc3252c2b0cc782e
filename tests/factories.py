"""Factories for providers, users, apps and tokens, in one place (as warehouse's tests/common/db)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.domain import Role, User
from camgate.management import create_app, create_personal_token
from camgate.passwords import hash_password
from camgate.store import accounts, providers
from camgate.store.models import events, recordings

PASSWORD = "correct horse battery"


@cache
def password_hash() -> str:
    """The seeded users' Argon2 hash, computed once per test process: a world has four users, and
    hashing each anew (~0.1-0.4 s under load) was most of every test's setup. Logins still verify
    against a real Argon2 hash with the production parameters."""
    return hash_password(PASSWORD)


REDIRECT_URI = "http://127.0.0.1:8765/callback"


@dataclass
class AppCreds:
    id: int
    client_id: str
    client_secret: str
    redirect_uri: str


@dataclass
class Tenant:
    """One provider's worth of seeded data."""

    provider_id: int
    host: str
    org_id: int
    owner: User
    guest: User
    camera_ids: dict[str, int]
    app: AppCreds
    pkce_app: AppCreds
    password: str = PASSWORD
    other_org_camera_id: int = 0


@dataclass
class World:
    a: Tenant
    b: Tenant
    extra: dict[str, object] = field(default_factory=dict)


async def make_tenant(conn: AsyncConnection, name: str, host: str, *, default: bool) -> Tenant:
    provider = await providers.add_provider(
        conn, name=name, hosts=[host], display_name=f"{name.title()} Cloud", accent_color="#aa3300", is_default=default
    )
    org_id = await accounts.add_organization(conn, provider_id=provider.id, name=f"{name} org")
    cams = {}
    for cam in ("myCamera", "Front door", "Garage"):
        cams[cam] = await accounts.add_camera(conn, organization_id=org_id, name=cam, model="AXIS test")
    other_org = await accounts.add_organization(conn, provider_id=provider.id, name=f"{name} other org")
    other_cam = await accounts.add_camera(conn, organization_id=other_org, name="Neighbour", model="AXIS test")
    start = datetime(2026, 11, 1, tzinfo=UTC)
    for i, cam_id in enumerate(cams.values()):
        await conn.execute(
            insert(recordings),
            [
                {
                    "camera_id": cam_id,
                    "started_at": start + timedelta(hours=h + i),
                    "ended_at": start + timedelta(hours=h + i, minutes=10),
                    "size_bytes": 1000 + h,
                }
                for h in range(5)
            ],
        )
        await conn.execute(
            insert(events),
            [
                {"camera_id": cam_id, "type": ("motion", "sound")[h % 2], "occurred_at": start + timedelta(hours=h)}
                for h in range(6)
            ],
        )
    owner = await accounts.add_user(
        conn,
        provider_id=provider.id,
        organization_id=org_id,
        email=f"owner@{name}.example",
        password_hash=password_hash(),
        role=Role.FULL,
    )
    guest = await accounts.add_user(
        conn,
        provider_id=provider.id,
        organization_id=org_id,
        email=f"guest@{name}.example",
        password_hash=password_hash(),
        role=Role.GUEST,
        rights=("read", "liveview"),
        camera_ids=[cams["Front door"]],
    )
    new = await create_app(
        conn,
        owner=owner,
        name="Integration",
        description="Test integration",
        redirect_uris=[REDIRECT_URI],
        require_pkce=False,
    )
    pkce = await create_app(
        conn,
        owner=owner,
        name="Native app",
        description="Requires PKCE",
        redirect_uris=["http://127.0.0.1/native", "com.example.app:/cb"],
        require_pkce=True,
    )
    return Tenant(
        provider_id=provider.id,
        host=host,
        org_id=org_id,
        owner=owner,
        guest=guest,
        camera_ids=cams,
        app=AppCreds(new.app.id, new.app.client_id, new.client_secret, REDIRECT_URI),
        pkce_app=AppCreds(pkce.app.id, pkce.app.client_id, pkce.client_secret, "http://127.0.0.1/native"),
        other_org_camera_id=other_cam,
    )


async def make_world(conn: AsyncConnection) -> World:
    return World(
        a=await make_tenant(conn, "alpha", "127.0.0.1", default=True),
        b=await make_tenant(conn, "beta", "localhost", default=False),
    )


async def make_personal_token(conn: AsyncConnection, user: User, scopes: str = "read", name: str = "test") -> str:
    new = await create_personal_token(conn, user=user, name=name, scopes=scopes.split(","), expires_at=None)
    return new.token
