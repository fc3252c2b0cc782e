"""cache invalidation triggers (PostgreSQL)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30

Every change that could make a row of the per-process read cache wrong sends ``NOTIFY
camgate_cache`` (``camgate.store.triggers``). SQLite has no cache and gets nothing.
"""

from alembic import op

from camgate.store import triggers

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in triggers.create_statements():
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for statement in triggers.drop_statements():
        op.execute(statement)
