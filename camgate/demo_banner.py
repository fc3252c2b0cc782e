"""Print the demo credentials of ``make run`` in words (from ``camgate demo``'s JSON)."""

from __future__ import annotations

import json
import sys


def main(path: str) -> None:
    with open(path) as f:
        demo = json.load(f)
    app = demo["app"]
    print(
        f"""
camgate demo — http://127.0.0.1:8000
  owner (full access): {demo["owner"]["email"]} / {demo["owner"]["password"]}
  guest ({", ".join(demo["guest"]["rights"])}): {demo["guest"]["email"]} / {demo["guest"]["password"]}
  demo OAuth2 app "{app["name"]}":
    client_id     = {app["client_id"]}
    client_secret = {app["client_secret"]}
    redirect URL  = {app["redirect_uris"][0]}
""",
        flush=True,
    )


if __name__ == "__main__":
    main(sys.argv[1])
