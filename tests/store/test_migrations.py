"""`camgate init` migrates to head, and the migrations produce exactly the models' schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from camgate.config import Settings
from camgate.store.database import open_database
from camgate.store.models import metadata
from tests.support import run


async def _diff(settings: Settings) -> list[object]:
    db = open_database(settings)
    try:
        await db.migrate()
        await db.migrate()  # idempotent: a second run at head changes nothing
        async with db.read() as conn:
            return await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}), metadata)
            )
    finally:
        await db.dispose()


def test_migrations_produce_exactly_the_models_schema(settings: Settings) -> None:
    assert run(_diff(settings)) == []
