"""DESIGN.md §4: the protocol core speaks neither HTTP nor SQL."""

from __future__ import annotations

import ast
from pathlib import Path

import camgate.oauth

FORBIDDEN = ("starlette", "sqlalchemy", "uvicorn", "httpx", "camgate.web", "camgate.store", "camgate.api")
ROOT = Path(camgate.oauth.__file__).parent


def imported_modules(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) == "__import__" and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                names.append(arg.value)
    return names


def test_every_module_of_the_core_is_checked() -> None:
    files = sorted(ROOT.rglob("*.py"))
    assert len(files) >= 10
    assert ROOT / "grants" / "refresh_token.py" in files


def test_the_core_imports_neither_starlette_nor_sqlalchemy() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}: {name}"
        for path in sorted(ROOT.rglob("*.py"))
        for name in imported_modules(path)
        if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN)
    ]
    assert offenders == []


def test_the_checker_sees_nested_and_lazy_imports(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    import sqlalchemy.orm\n    from starlette import requests\n")
    assert imported_modules(sample) == ["sqlalchemy.orm", "starlette"]
