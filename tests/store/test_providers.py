"""``store.providers``: host names pick the provider, one default answers the rest."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection

from camgate.config import Settings
from camgate.store import providers
from camgate.store.providers import DuplicateError, NotFoundError
from tests.support import create_schema, in_transaction, run


def test_hosts_default_and_duplicates(settings: Settings) -> None:
    run(create_schema(settings))

    async def go(conn: AsyncConnection) -> None:
        a = await providers.add_provider(conn, name="a", hosts=["Cloud.A.test."], is_default=True, issuer="https://a")
        b = await providers.add_provider(conn, name="b", hosts=["b.test", "www.b.test"])
        assert (await providers.provider_for_host(conn, "cloud.a.test")) == a
        assert (await providers.provider_for_host(conn, "WWW.B.TEST")) == b
        assert (await providers.provider_for_host(conn, "unknown.test")) == a  # the default
        assert (await providers.require_provider_for_host(conn, "b.test")) == b
        with pytest.raises(NotFoundError):
            await providers.require_provider_for_host(conn, "unknown.test")
        with pytest.raises(DuplicateError, match=r"b\.test"):
            await providers.add_provider(conn, name="c", hosts=["B.test"])
        with pytest.raises(DuplicateError, match="already exists"):
            await providers.add_provider(conn, name="a", hosts=["new.test"])
        with pytest.raises(DuplicateError, match="default"):
            await providers.add_provider(conn, name="d", hosts=["d.test"], is_default=True)
        listed = await providers.list_providers(conn)
        assert [(p.name, sorted(h)) for p, h in listed] == [("a", ["cloud.a.test"]), ("b", ["b.test", "www.b.test"])]

    in_transaction(settings, go)


def test_no_default_means_no_provider_for_unknown_hosts(settings: Settings) -> None:
    run(create_schema(settings))

    async def go(conn: AsyncConnection) -> None:
        await providers.add_provider(conn, name="only", hosts=["only.test"])
        assert await providers.provider_for_host(conn, "other.test") is None

    in_transaction(settings, go)
