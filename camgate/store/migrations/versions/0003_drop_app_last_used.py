"""drop oauth_apps.last_used_at

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30

An app's last use is the latest ``last_used_at`` of its grants (every grant is created with it set
and it follows the grant's use), so the column was derived state that every code exchange had to
write. SQLite runs ``ALTER TABLE … DROP COLUMN`` natively since 3.35.
"""

import sqlalchemy as sa
from alembic import op

import camgate.store.models

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_column("oauth_apps", "last_used_at")


def downgrade() -> None:
    op.add_column("oauth_apps", sa.Column("last_used_at", camgate.store.models.UTCDateTime(timezone=True), nullable=True))
