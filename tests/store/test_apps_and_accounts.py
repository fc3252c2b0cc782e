"""``store.apps``, ``store.accounts``, ``store.personal_tokens``: what the OAuth core and the CLI read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.config import Settings
from camgate.domain import Role
from camgate.store import accounts, apps, personal_tokens
from camgate.store.providers import DuplicateError, NotFoundError
from tests.factories import World, make_personal_token
from tests.support import in_transaction


def test_apps(settings: Settings, world: World) -> None:
    async def go(conn: AsyncConnection) -> None:
        app = await apps.app_by_client_id(conn, provider_id=world.a.provider_id, client_id=world.a.app.client_id)
        assert app is not None
        assert app.owner_email == world.a.owner.email
        assert app.redirect_uris == (world.a.app.redirect_uri,)
        assert app.refresh_grace_seconds == 0 and app.require_pkce is False
        # the same client_id at another provider is unknown
        assert await apps.app_by_client_id(conn, provider_id=world.b.provider_id, client_id=app.client_id) is None
        with pytest.raises(DuplicateError):
            await apps.update_app(
                conn,
                world.a.pkce_app.id,
                name="Integration",
                description="",
                redirect_uris=["https://x.test/cb"],
                require_pkce=True,
            )
        await apps.update_app(
            conn,
            app.id,
            name="Renamed",
            description="d",
            redirect_uris=["https://n.test/cb"],
            require_pkce=True,
            refresh_grace_seconds=15,
        )
        changed = await apps.app_by_id(conn, app.id)
        assert changed is not None
        assert (changed.name, changed.redirect_uris, changed.require_pkce, changed.refresh_grace_seconds) == (
            "Renamed",
            ("https://n.test/cb",),
            True,
            15,
        )
        # leaving the grace period out keeps it
        await apps.update_app(
            conn, app.id, name="Renamed", description="d", redirect_uris=["https://n.test/cb"], require_pkce=True
        )
        kept = await apps.app_by_id(conn, app.id)
        assert kept is not None and kept.refresh_grace_seconds == 15
        assert [a.name for a in await apps.apps_of_owner(conn, world.a.owner.id)] == ["Native app", "Renamed"]
        assert await apps.app_usage(conn, app.id) == (0, None)

    in_transaction(settings, go)


def test_accounts(settings: Settings, world: World) -> None:
    async def go(conn: AsyncConnection) -> None:
        found = await accounts.user_by_email(conn, provider_id=world.a.provider_id, email="  OWNER@Alpha.example ")
        assert found is not None and found[0].id == world.a.owner.id
        assert await accounts.user_by_email(conn, provider_id=world.b.provider_id, email=world.a.owner.email) is None
        guest = await accounts.user_by_id(conn, world.a.guest.id)
        assert guest is not None and guest.role is Role.GUEST
        assert guest.rights == {"read", "liveview"}
        assert guest.camera_ids == {world.a.camera_ids["Front door"]}
        with pytest.raises(NotFoundError):
            await accounts.organization_id(conn, provider_id=world.a.provider_id, name="nope")
        # an organization name belongs to its provider only
        with pytest.raises(NotFoundError):
            await accounts.organization_id(conn, provider_id=world.b.provider_id, name="alpha org")
        with pytest.raises(NotFoundError):
            await accounts.camera_ids_by_name(conn, organization_id=world.a.org_id, names=["Garage", "nope"])
        await accounts.set_user_active(conn, user_id=world.a.guest.id, active=False)
        disabled = await accounts.user_by_id(conn, world.a.guest.id)
        assert disabled is not None and not disabled.is_active

    in_transaction(settings, go)


def test_personal_tokens(settings: Settings, world: World) -> None:
    in_transaction(settings, lambda conn: make_personal_token(conn, world.a.owner, "read,events", name="mine"))

    async def go(conn: AsyncConnection) -> None:
        listed = await personal_tokens.personal_tokens_of(conn, world.a.owner.id)
        assert [(t.name, t.scopes) for t in listed] == [("mine", {"read", "events"})]
        token_id = listed[0].id
        now = datetime.now(UTC)
        assert not await personal_tokens.revoke_personal_token(conn, token_id, user_id=world.a.guest.id, now=now)
        assert await personal_tokens.revoke_personal_token(conn, token_id, user_id=world.a.owner.id, now=now)
        assert not await personal_tokens.revoke_personal_token(conn, token_id, user_id=world.a.owner.id, now=now)
        assert (await personal_tokens.personal_tokens_of(conn, world.a.owner.id))[0].revoked_at is not None

    in_transaction(settings, go)
