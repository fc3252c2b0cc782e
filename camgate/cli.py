"""``camgate``: the operator's command line.

Commands that create something print it as one JSON object on stdout; an error is one line on
stderr and a non-zero exit status, and writes nothing (each command is one transaction).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from camgate import demo
from camgate.config import ConfigError, Settings, get_settings
from camgate.domain import Role
from camgate.management import (
    ValidationError,
    check_name,
    check_scopes,
    create_app,
    create_personal_token,
    create_user,
    expiry_from_seconds,
)
from camgate.oauth.grants.refresh_token import MAX_GRACE_SECONDS
from camgate.store import accounts, apps, providers
from camgate.store.database import DatabaseUnavailableError, open_database
from camgate.store.providers import DuplicateError, NotFoundError
from camgate.store.purge import purge_expired

EXIT_ERROR = 1


class CommandError(Exception):
    """A user-facing error: printed as one line on stderr."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="camgate", description="camgate: OAuth2 gateway of a camera cloud")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("init", help="create or migrate the database to the latest schema")

    provider = sub.add_parser("provider", help="white-label providers").add_subparsers(dest="action", required=True)
    p = provider.add_parser("add", help="add a provider")
    p.add_argument("--name", required=True)
    p.add_argument("--host", action="append", required=True, help="a host name it answers (repeatable)")
    p.add_argument("--default", action="store_true", help="also answer hosts no provider owns")
    p.add_argument("--display-name")
    p.add_argument("--accent-color", default="#0b5fff")
    p.add_argument("--logo-url")
    p.add_argument("--issuer", help="public URL, e.g. https://cloud.example.com")
    provider.add_parser("list", help="list providers")

    org = sub.add_parser("org", help="organizations").add_subparsers(dest="action", required=True)
    p = org.add_parser("add")
    p.add_argument("--host", required=True)
    p.add_argument("--name", required=True)

    user = sub.add_parser("user", help="user accounts").add_subparsers(dest="action", required=True)
    p = user.add_parser("add")
    p.add_argument("--host", required=True)
    p.add_argument("--org", required=True)
    p.add_argument("--email", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.add_argument("--rights", default="", help="a guest's rights, comma-separated")
    p.add_argument("--camera", action="append", default=[], help="a camera a guest may see (repeatable)")

    camera = sub.add_parser("camera", help="cameras").add_subparsers(dest="action", required=True)
    p = camera.add_parser("add")
    p.add_argument("--host", required=True)
    p.add_argument("--org", required=True)
    p.add_argument("--name", required=True)
    p.add_argument("--model", default="")

    app = sub.add_parser("app", help="OAuth2 applications").add_subparsers(dest="action", required=True)
    p = app.add_parser("add")
    p.add_argument("--host", required=True)
    p.add_argument("--owner", required=True, help="the owner's email (a full-access account)")
    p.add_argument("--name", required=True)
    p.add_argument("--redirect-uri", action="append", required=True)
    p.add_argument("--description", default="")
    p.add_argument("--require-pkce", action="store_true")
    p.add_argument(
        "--refresh-grace-seconds",
        type=int,
        default=0,
        help="seconds (0-60, default 0 = off) in which a retried refresh gets the same new tokens",
    )

    token = sub.add_parser("token", help="personal API tokens").add_subparsers(dest="action", required=True)
    p = token.add_parser("add")
    p.add_argument("--host", required=True)
    p.add_argument("--user", required=True, help="the user's email")
    p.add_argument("--scope", required=True, help="rights, comma-separated")
    p.add_argument("--name", default="CLI token")
    p.add_argument("--expires-in", type=int, help="seconds (default: never)")

    sub.add_parser("demo", help="add the demo data (idempotent) and print its credentials")

    p = sub.add_parser("serve", help="serve HTTP")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1)

    p = sub.add_parser("purge", help="delete expired tokens, codes and sessions in bounded batches")
    p.add_argument("--batch", type=int, default=5000)
    return parser


async def _in_transaction(settings: Settings, work: Callable[[AsyncConnection], Awaitable[Any]]) -> Any:
    db = open_database(settings)
    try:
        async with db.transaction() as conn:
            return await work(conn)
    finally:
        await db.dispose()


def _user_json(user: Any) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "role": user.role.value,
        "rights": sorted(user.effective_rights),
        "organization_id": user.organization_id,
    }


async def _run(args: argparse.Namespace, settings: Settings) -> dict[str, Any] | None:
    cmd = (args.command, getattr(args, "action", None))
    if cmd == ("init", None):
        db = open_database(settings)
        try:
            await db.migrate()
        finally:
            await db.dispose()
        return {"database": "migrated to head"}
    if cmd == ("demo", None):
        await _run(argparse.Namespace(command="init"), settings)
        key = settings.resolved_secret_key()
        return await _in_transaction(settings, lambda conn: demo.seed(conn, key))

    async def work(conn: AsyncConnection) -> dict[str, Any]:
        if cmd == ("provider", "add"):
            for host in args.host:
                if not host or "/" in host or (":" in host.strip("[]") and not host.startswith("[")):
                    raise ValidationError("host", f"{host!r} is not a host name (no scheme, path or port)")
            provider = await providers.add_provider(
                conn,
                name=check_name(args.name),
                hosts=args.host,
                display_name=args.display_name,
                accent_color=args.accent_color,
                logo_url=args.logo_url,
                issuer=args.issuer,
                is_default=args.default,
            )
            return {
                "id": provider.id,
                "name": provider.name,
                "hosts": [h.lower() for h in args.host],
                "default": provider.is_default,
            }
        if cmd == ("provider", "list"):
            return {
                "providers": [
                    {"id": p.id, "name": p.name, "hosts": hosts, "default": p.is_default}
                    for p, hosts in await providers.list_providers(conn)
                ]
            }
        provider = await providers.require_provider_for_host(conn, args.host)
        if cmd == ("org", "add"):
            org_id = await accounts.add_organization(conn, provider_id=provider.id, name=check_name(args.name))
            return {"id": org_id, "name": args.name, "provider": provider.name}
        if cmd == ("camera", "add"):
            org_id = await accounts.organization_id(conn, provider_id=provider.id, name=args.org)
            cam_id = await accounts.add_camera(
                conn, organization_id=org_id, name=check_name(args.name), model=args.model
            )
            return {"id": cam_id, "name": args.name, "model": args.model, "organization_id": org_id}
        if cmd == ("user", "add"):
            org_id = await accounts.organization_id(conn, provider_id=provider.id, name=args.org)
            role = Role(args.role)
            rights = check_scopes(args.rights, "rights")
            if role is Role.FULL and (rights or args.camera):
                raise ValidationError(
                    "rights", "--rights and --camera are for guests; a full account holds every right"
                )
            cams = await accounts.camera_ids_by_name(conn, organization_id=org_id, names=args.camera)
            user = await create_user(
                conn,
                provider_id=provider.id,
                organization_id=org_id,
                email=args.email,
                password=args.password,
                role=role,
                rights=rights,
                camera_ids=cams,
            )
            return {**_user_json(user), "cameras": args.camera}
        if cmd == ("app", "add"):
            if not 0 <= args.refresh_grace_seconds <= MAX_GRACE_SECONDS:
                raise ValidationError(
                    "refresh_grace_seconds", f"--refresh-grace-seconds must be between 0 and {MAX_GRACE_SECONDS}"
                )
            found = await accounts.user_by_email(conn, provider_id=provider.id, email=args.owner)
            if found is None:
                raise NotFoundError(f"no user {args.owner!r}")
            new = await create_app(
                conn,
                owner=found[0],
                name=args.name,
                description=args.description,
                redirect_uris=args.redirect_uri,
                require_pkce=args.require_pkce,
            )
            if args.refresh_grace_seconds:
                await apps.update_app(
                    conn,
                    new.app.id,
                    name=new.app.name,
                    description=new.app.description,
                    redirect_uris=new.app.redirect_uris,
                    require_pkce=new.app.require_pkce,
                    refresh_grace_seconds=args.refresh_grace_seconds,
                )
            return {
                "client_id": new.app.client_id,
                "client_secret": new.client_secret,
                "name": new.app.name,
                "redirect_uris": list(new.app.redirect_uris),
                "require_pkce": new.app.require_pkce,
                "refresh_grace_seconds": args.refresh_grace_seconds,
                "owner": found[0].email,
            }
        if cmd == ("token", "add"):
            found = await accounts.user_by_email(conn, provider_id=provider.id, email=args.user)
            if found is None:
                raise NotFoundError(f"no user {args.user!r}")
            new_token = await create_personal_token(
                conn,
                user=found[0],
                name=args.name,
                scopes=check_scopes(args.scope),
                expires_at=expiry_from_seconds(args.expires_in),
                via="cli",
            )
            return {
                "token": new_token.token,
                "id": new_token.id,
                "name": new_token.name,
                "user": found[0].email,
                "scope": " ".join(sorted(new_token.scopes)),
                "expires_at": new_token.expires_at.isoformat() if new_token.expires_at else None,
            }
        raise CommandError(f"unknown command {' '.join(c for c in cmd if c)}")

    return await _in_transaction(settings, work)


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from camgate.web.http_protocol import CoalescingHttpToolsProtocol

    asyncio.run(_run(argparse.Namespace(command="init"), settings))
    workers = args.workers
    if settings.resolved_database_url.startswith("sqlite") and workers > 1:
        print("camgate: SQLite runs one worker process; use PostgreSQL for --workers > 1", file=sys.stderr)
        workers = 1
    uvicorn.run(
        "camgate.app:app_factory",
        factory=True,
        host=args.host,
        port=args.port,
        workers=workers,
        # The document sends client_secret and code in the query string: an access log line with
        # the URL would write secrets to disk. camgate logs its own lines without query strings.
        access_log=False,
        http=CoalescingHttpToolsProtocol,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        log_level=settings.log_level,
        timeout_graceful_shutdown=20,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = get_settings()
        settings.resolved_database_url  # noqa: B018 - validates CAMGATE_DATABASE_URL early
        if args.command == "serve":
            return _serve(args, settings)
        result: dict[str, Any] | None
        if args.command == "purge":
            result = dict(asyncio.run(purge_expired(open_database(settings), batch=args.batch)))
        else:
            result = asyncio.run(_run(args, settings))
    except (ValidationError, DuplicateError, NotFoundError, CommandError, ConfigError) as exc:
        message = exc.message if isinstance(exc, ValidationError) else str(exc)
        print(f"camgate: error: {message}", file=sys.stderr)
        return EXIT_ERROR
    except DatabaseUnavailableError:
        print("camgate: error: the database is not reachable (check CAMGATE_DATABASE_URL)", file=sys.stderr)
        return EXIT_ERROR
    print(json.dumps(result))
    return 0
