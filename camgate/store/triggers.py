"""PostgreSQL triggers that announce every change a cached row could miss (``store.cache``).

Each trigger fires only when a row the cache may hold actually changes in a way that matters —
``last_used_at`` bookkeeping and the purge of expired or revoked tokens do not fire — and
sends ``NOTIFY camgate_cache, '<schema of the table>'``; PostgreSQL delivers it at commit, folds
duplicates within a transaction, and drops it on rollback. Migration 0004 creates them on existing
databases; ``models.metadata`` creates them with the tables (``create_all``), so both paths build
the same schema. SQLite has no cache, hence no triggers.
"""

from __future__ import annotations

FUNCTION = "camgate_cache_invalidate"
CHANNEL = "camgate_cache"

CREATE_FUNCTION = f"""
CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', TG_TABLE_SCHEMA);
    RETURN NULL;
END
$$
"""


def _distinct(columns: tuple[str, ...]) -> str:
    old = ", ".join(f"OLD.{c}" for c in columns)
    new = ", ".join(f"NEW.{c}" for c in columns)
    return f"(ROW({old}) IS DISTINCT FROM ROW({new}))"


# (table, the columns the cache reads from it (none: any update), when deleting a row matters)
_TOKEN_COLUMNS = ("token_hash", "provider_id", "user_id", "scopes", "created_at", "expires_at", "revoked_at")
WATCHED: tuple[tuple[str, tuple[str, ...], str], ...] = (
    (
        "access_tokens",
        (*_TOKEN_COLUMNS, "app_id", "grant_id", "display_prefix"),
        # An expired or revoked row is refused from the cache too: purging it changes nothing.
        "OLD.revoked_at IS NULL AND OLD.expires_at > now()",
    ),
    (
        "personal_tokens",
        (*_TOKEN_COLUMNS, "display_prefix"),
        "OLD.revoked_at IS NULL AND (OLD.expires_at IS NULL OR OLD.expires_at > now())",
    ),
    ("grants", ("user_id", "app_id", "revoked_at"), "OLD.revoked_at IS NULL"),
    ("users", ("provider_id", "organization_id", "email", "role", "rights", "is_active"), "true"),
    # Apps change rarely (the portal's edit and secret rotation): any update counts.
    ("oauth_apps", (), "true"),
)


def create_statements() -> list[str]:
    statements = [CREATE_FUNCTION]
    for table, columns, delete_matters in WATCHED:
        statements += [
            f"CREATE TRIGGER {CHANNEL}_{table}_update AFTER UPDATE ON {table} FOR EACH ROW "
            f"{'WHEN ' + _distinct(columns) if columns else ''} EXECUTE FUNCTION {FUNCTION}()",
            f"CREATE TRIGGER {CHANNEL}_{table}_delete AFTER DELETE ON {table} FOR EACH ROW "
            f"WHEN ({delete_matters}) EXECUTE FUNCTION {FUNCTION}()",
            f"CREATE TRIGGER {CHANNEL}_{table}_truncate AFTER TRUNCATE ON {table} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION {FUNCTION}()",
        ]
    return statements


def drop_statements() -> list[str]:
    statements = [
        f"DROP TRIGGER IF EXISTS {CHANNEL}_{table}_{event} ON {table}"
        for table, _columns, _delete in WATCHED
        for event in ("update", "delete", "truncate")
    ]
    return [*statements, f"DROP FUNCTION IF EXISTS {FUNCTION}()"]


def trigger_count() -> int:
    return 3 * len(WATCHED)
