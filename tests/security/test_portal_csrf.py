"""CSRF on every portal form (RFC 9700 §4.7, RFC 6749 §10.12; OWASP ASVS V4.2.2).

A logged-in owner's browser is made to POST each portal form without a CSRF token and with the
token of another form: every one is refused with 403 and changes nothing — the app, its secret,
the grant, the personal token and the guest are all as they were.
"""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.store.models import personal_tokens, users
from camgate.tokens import hash_token
from tests.factories import make_personal_token
from tests.flows import form_fields, login
from tests.security.conftest import Shared
from tests.security.helpers import is_active, tokens
from tests.support import in_transaction

FORMS = [
    ("app-create", "/portal/api/apps", {"name": "Evil", "redirect_uris": "https://evil.example/cb"}),
    ("app-update", "/portal/api/apps/{app}", {"name": "Renamed", "redirect_uris": "https://evil.example/cb"}),
    ("app-secret-rotate", "/portal/api/apps/{app}/secret", {}),
    ("app-delete", "/portal/api/apps/{app}/delete", {}),
    ("guest-create", "/portal/api/guests", {"email": "evil@alpha.example", "password": "password123"}),
    ("guest-update", "/portal/api/guests/{guest}", {"rights": "write"}),
    ("guest-disable", "/portal/api/guests/{guest}/disable", {}),
    ("token-create", "/portal/api/tokens", {"name": "evil", "scopes": "write"}),
    ("token-revoke", "/portal/api/tokens/{token}/revoke", {}),
    ("authorized-revoke", "/portal/api/authorized/{app}/revoke", {}),
]


@pytest.mark.parametrize(("case", "path", "fields"), FORMS, ids=[c for c, _, _ in FORMS])
def test_portal_form_without_valid_csrf_token_changes_nothing(
    shared: Shared, case: str, path: str, fields: dict[str, str]
) -> None:
    """RFC 9700 §4.7: every state-changing portal form checks a CSRF token bound to the session and to
    the form; a forged cross-site POST gets 403 and does nothing."""
    server, world = shared.server, shared.world
    issued = tokens(server.url, world.a)
    personal = in_transaction(shared.settings, lambda conn: make_personal_token(conn, world.a.owner))
    token_id = in_transaction(shared.settings, lambda conn: _personal_token_id(conn, personal))
    url = path.format(app=world.a.app.id, guest=world.a.guest.id, token=token_id)
    with httpx.Client(base_url=server.url) as client:
        assert login(client, world.a.owner.email, world.a.password).status_code == 303
        missing = client.post(url, data=fields)
        # The token of another form of the same session is not this form's token either.
        other = form_fields(client.get("/portal/api/tokens/new").text, "/portal/api/tokens")["csrf_token"]
        foreign = client.post(url, data={**fields, "csrf_token": other}) if case != "token-create" else missing
    assert missing.status_code == 403, (case, missing.status_code)
    assert foreign.status_code == 403, (case, foreign.status_code)
    assert is_active(server.url, world.a.app, issued["access_token"])  # app, secret and grant intact
    assert is_active(server.url, world.a.app, personal)

    async def guest(conn: AsyncConnection) -> tuple[bool, str]:
        row = (
            await conn.execute(select(users.c.is_active, users.c.rights).where(users.c.id == world.a.guest.id))
        ).one()
        return bool(row.is_active), str(row.rights)

    assert in_transaction(shared.settings, guest) == (True, "read liveview")
    emails = in_transaction(shared.settings, _emails)
    assert "evil@alpha.example" not in emails


async def _personal_token_id(conn: AsyncConnection, token: str) -> int:
    return int(await conn.scalar(select(personal_tokens.c.id).where(personal_tokens.c.token_hash == hash_token(token))))


async def _emails(conn: AsyncConnection) -> list[str]:
    return list((await conn.scalars(select(users.c.email))).all())
