"""The interface of the brute-force counters the protocol core consults (``store.throttle`` and
``web.throttle`` implement it on the database, Redis or memory)."""

from __future__ import annotations

from typing import Protocol


class Throttle(Protocol):
    async def retry_after(self, key: str) -> int:
        """Seconds until ``key`` may try again; 0 when it is not locked."""

    async def failure(self, key: str) -> None:
        """Count one failed attempt for ``key``."""

    async def success(self, key: str) -> None:
        """Forget ``key``'s failures after a success."""
