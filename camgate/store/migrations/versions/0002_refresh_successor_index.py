"""index refresh_tokens.successor_id

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30

Purging refresh tokens deletes rows that others point at through ``successor_id`` (ON DELETE SET
NULL): without an index each deleted row scanned the whole table (found by the bench's purge).
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_refresh_tokens_successor_id", "refresh_tokens", ["successor_id"])


def downgrade() -> None:
    op.drop_index("ix_refresh_tokens_successor_id", table_name="refresh_tokens")
