"""Architecture gates: dependencies point one way, and the code stays lint- and type-clean.

The core must never import a web framework or a front end, so WHOIS can reuse it
without aiohttp; only the query layer (and the admin tools that create databases)
may speak to the driver, so driver types cannot leak above it.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "rdap_coop"
DRIVER_USERS = {"core/db.py", "core/queries.py", "core/replicas.py", "sample.py", "demo.py"}
RENDERERS = {"render.py", "render_entities.py", "render_redacted.py"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def modules() -> list[tuple[str, set[str]]]:
    return [
        (path.relative_to(PACKAGE).as_posix(), imported_modules(path))
        for path in sorted(PACKAGE.rglob("*.py"))
    ]


def test_core_imports_no_framework_and_no_front_end() -> None:
    for name, imports in modules():
        if not name.startswith("core/"):
            continue
        for module in imports:
            assert not module.startswith(("aiohttp", "whois_coop")), (name, module)
            if module.startswith("rdap_coop."):
                assert module.startswith("rdap_coop.core"), (name, module)


def test_whois_uses_only_the_core() -> None:
    for path in sorted((ROOT / "whois_coop").rglob("*.py")):
        for module in imported_modules(path):
            assert not module.startswith("aiohttp"), (path.name, module)
            if module.startswith("rdap_coop"):
                assert module.startswith("rdap_coop.core"), (path.name, module)


def test_driver_stays_in_the_query_layer() -> None:
    for name, imports in modules():
        if any(module.split(".")[0] == "asyncpg" for module in imports):
            assert name in DRIVER_USERS, f"{name} imports asyncpg"


def test_renderers_are_pure() -> None:
    for name, imports in modules():
        if name in RENDERERS:
            assert not any(m.split(".")[0] in {"aiohttp", "asyncpg"} for m in imports), name
            assert "rdap_coop.core.queries" not in imports, name


def _tool(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    found = str(candidate) if candidate.exists() else shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed; `make test` installs it")
    return found


def test_ruff_is_clean() -> None:
    command = [_tool("ruff"), "check", "rdap_coop", "whois_coop", "tests", "bench", "soak", "fuzz"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean() -> None:
    result = subprocess.run([_tool("mypy")], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
