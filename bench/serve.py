"""Serve a bench app the way ``camgate serve`` serves camgate: same uvicorn options, same protocol.

``python -m bench.serve bench.hello:app_factory --port P --workers N``: the references (hello world,
the bench-only build without authentication) must run on exactly camgate's server stack, or the
differences measured against them would include the stack's.
"""

from __future__ import annotations

import argparse

import uvicorn

from camgate.web.http_protocol import CoalescingHttpToolsProtocol


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.serve")
    parser.add_argument("factory", help="module:function returning the ASGI app")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    uvicorn.run(
        args.factory,
        factory=True,
        host="127.0.0.1",
        port=args.port,
        workers=args.workers,
        access_log=False,
        http=CoalescingHttpToolsProtocol,
        proxy_headers=True,
        forwarded_allow_ips="127.0.0.1",
        log_level="warning",
        timeout_graceful_shutdown=20,
    )


if __name__ == "__main__":
    main()
