""" "Last used" times of tokens and grants, without a database write per API request.

Each request notes its token in an in-memory buffer (a dict assignment); a background task writes
the buffer in one transaction every ``FLUSH_SECONDS`` and once more at shutdown. The portal's
"last used" is therefore at most a few seconds behind, and a burst of API calls costs one UPDATE
per token, not one per call. Validity is never cached: only this bookkeeping is deferred.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import datetime

from starlette.applications import Starlette
from starlette.requests import Request

from camgate.domain import TokenPrincipal
from camgate.store.bearer import record_last_used
from camgate.store.database import Database

log = logging.getLogger("camgate.api.usage")
FLUSH_SECONDS = 5.0


class LastUsedBuffer:
    def __init__(self) -> None:
        self.access: dict[int, datetime] = {}
        self.personal: dict[int, datetime] = {}
        self.grant: dict[int, datetime] = {}

    def note(self, principal: TokenPrincipal, now: datetime) -> None:
        if principal.kind == "personal":
            self.personal[principal.token_id] = now
        else:
            self.access[principal.token_id] = now
            if principal.grant_id is not None:
                self.grant[principal.grant_id] = now

    def __len__(self) -> int:
        return len(self.access) + len(self.personal) + len(self.grant)

    def take(self) -> LastUsedBuffer:
        """Everything noted so far, leaving this buffer empty (no await: atomic on the loop)."""
        taken = LastUsedBuffer()
        taken.access, self.access = self.access, {}
        taken.personal, self.personal = self.personal, {}
        taken.grant, self.grant = self.grant, {}
        return taken

    def put_back(self, taken: LastUsedBuffer) -> None:
        """After a failed write: keep the newest time of each entry for the next try."""
        for mine, theirs in ((self.access, taken.access), (self.personal, taken.personal), (self.grant, taken.grant)):
            for key, when in theirs.items():
                if key not in mine or mine[key] < when:
                    mine[key] = when


async def flush(db: Database, buffer: LastUsedBuffer) -> int:
    """Write what the buffer holds in one transaction; the number of rows touched."""
    taken = buffer.take()
    if not len(taken):
        return 0
    try:
        async with db.transaction() as conn:
            await record_last_used(conn, access=taken.access, personal=taken.personal, grant=taken.grant)
    except Exception as exc:  # the database may be away for a moment: keep the times, try later
        log.warning("could not record last-used times (%s); will retry", type(exc).__name__)
        buffer.put_back(taken)
        return 0
    return len(taken)


async def _flush_forever(db: Database, buffer: LastUsedBuffer, every: float) -> None:
    while True:
        await asyncio.sleep(every)
        await flush(db, buffer)


@contextlib.asynccontextmanager
async def flushing(app: Starlette, db: Database, every: float = FLUSH_SECONDS) -> AsyncIterator[LastUsedBuffer]:
    """For the app's lifespan: a buffer on ``app.state``, flushed periodically and at shutdown."""
    buffer = LastUsedBuffer()
    app.state.last_used = buffer
    task = asyncio.create_task(_flush_forever(db, buffer, every), name="camgate-last-used")
    try:
        yield buffer
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await flush(db, buffer)


def note_use(request: Request, principal: TokenPrincipal, now: datetime) -> None:
    buffer = getattr(request.app.state, "last_used", None)
    if isinstance(buffer, LastUsedBuffer):
        buffer.note(principal, now)
