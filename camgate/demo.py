"""Demo data for ``make run``: idempotent, and its credentials printable on every run.

The demo passwords are fixed (they are printed anyway); the demo app's client secret is derived
from the installation's secret key, so it is the same on every run without being stored.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.domain import Role
from camgate.management import create_user
from camgate.store import accounts, apps, devices, providers
from camgate.tokens import TokenKind, derive, hash_token, new_client_id

PROVIDER = "demo"
HOSTS = ["localhost", "127.0.0.1"]
ORG = "Demo organization"
OWNER = ("owner@example.com", "owner-demo-password")
GUEST = ("guest@example.com", "guest-demo-password")
GUEST_RIGHTS = ("read", "liveview")
CAMERAS = [("myCamera", "AXIS M1065-L"), ("Front door", "AXIS P3245-LVE"), ("Garage", "AXIS M3106-L")]
APP_NAME = "Demo integration"
REDIRECT_URI = "http://127.0.0.1:8765/callback"


async def seed(conn: AsyncConnection, secret_key: bytes) -> dict[str, Any]:
    existing = {p.name: p for p, _hosts in await providers.list_providers(conn)}
    provider = existing.get(PROVIDER)
    if provider is None:
        provider = await providers.add_provider(
            conn,
            name=PROVIDER,
            hosts=HOSTS,
            display_name="CamStreamer Cloud (demo)",
            accent_color="#0b5fff",
            is_default=not any(p.is_default for p in existing.values()),
        )
        org_id = await accounts.add_organization(conn, provider_id=provider.id, name=ORG)
        camera_ids = [await accounts.add_camera(conn, organization_id=org_id, name=n, model=m) for n, m in CAMERAS]
        await _recordings_and_events(conn, camera_ids)
        owner = await create_user(
            conn, provider_id=provider.id, organization_id=org_id, email=OWNER[0], password=OWNER[1], role=Role.FULL
        )
        await create_user(
            conn,
            provider_id=provider.id,
            organization_id=org_id,
            email=GUEST[0],
            password=GUEST[1],
            role=Role.GUEST,
            rights=GUEST_RIGHTS,
            camera_ids=[camera_ids[1]],
        )
        await apps.add_app(
            conn,
            provider_id=provider.id,
            owner_id=owner.id,
            client_id=new_client_id(),
            client_secret_hash=hash_token(demo_client_secret(secret_key)),
            name=APP_NAME,
            description="The demo app of `make run`: its callback is http://127.0.0.1:8765/callback.",
            redirect_uris=[REDIRECT_URI],
            require_pkce=False,
        )
    found = await accounts.user_by_email(conn, provider_id=provider.id, email=OWNER[0])
    assert found is not None
    app = next(a for a in await apps.apps_of_owner(conn, found[0].id) if a.name == APP_NAME)
    return {
        "provider": provider.name,
        "url": "http://127.0.0.1:8000",
        "owner": {"email": OWNER[0], "password": OWNER[1], "role": "full"},
        "guest": {"email": GUEST[0], "password": GUEST[1], "role": "guest", "rights": list(GUEST_RIGHTS)},
        "app": {
            "name": APP_NAME,
            "client_id": app.client_id,
            "client_secret": demo_client_secret(secret_key),
            "redirect_uris": list(app.redirect_uris),
        },
    }


def demo_client_secret(secret_key: bytes) -> str:
    return derive(TokenKind.CLIENT_SECRET, secret_key, "demo-client-secret")


async def _recordings_and_events(conn: AsyncConnection, camera_ids: list[int]) -> None:
    start = datetime(2026, 11, 1, tzinfo=UTC)
    rec_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    kinds = ("motion", "sound", "tamper", "motion", "line_crossing")
    for i, cam in enumerate(camera_ids):
        for day in range(6):
            began = start + timedelta(days=day, hours=8 + i)
            rec_rows.append(
                {
                    "camera_id": cam,
                    "started_at": began,
                    "ended_at": began + timedelta(minutes=15),
                    "size_bytes": 48_000_000 + day,
                }
            )
            for j in range(3):
                event_rows.append(
                    {
                        "camera_id": cam,
                        "type": kinds[(day + j) % len(kinds)],
                        "occurred_at": began + timedelta(minutes=5 * j),
                    }
                )
    await devices.add_recordings(conn, rec_rows)
    await devices.add_events(conn, event_rows)
