"""The public lookup page, in a real headless Chromium against the real service.

Chromium is driven the simplest way that is still a real browser: one process per
page, ``--dump-dom`` after the page's script has run (virtual time lets the fetch to
the API finish), ``--screenshot`` for the artifact, and the browser's own log for
console errors and CSP violations. Debian's ``chromium`` package provides it; CI
installs it. Where no Chromium can be installed, the browser tests skip and say so.
"""

from __future__ import annotations

import asyncio
import html
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer

from rdap_coop.app import create_app
from rdap_coop.core.config import Settings
from rdap_coop.core.queries import Registry
from rdap_coop.core.ratelimit_setup import LimiterHandle
from rdap_coop.page import CONTENT_SECURITY_POLICY

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no Chromium on this machine (install Debian's chromium package)"
)


@pytest.fixture
async def site(
    settings: Settings, registry: Registry, limiter: LimiterHandle
) -> AsyncIterator[str]:
    server = TestServer(create_app(settings, registry, limiter), host="127.0.0.1")
    await server.start_server()
    try:
        yield f"http://127.0.0.1:{server.port}/"
    finally:
        await server.close()


async def browse(url: str, profile: Path, *extra: str) -> tuple[str, str]:
    """Run headless Chromium on ``url``; returns (stdout, the browser's log)."""
    assert CHROMIUM is not None
    process = await asyncio.create_subprocess_exec(
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-quic", f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0",
        "--virtual-time-budget=8000", *extra, url,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    return out.decode("utf-8", "replace"), err.decode("utf-8", "replace")


def text_of(dom: str) -> str:
    """The visible text of a dumped DOM, whitespace folded (enough for assertions)."""
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", dom, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def console_problems(log: str) -> list[str]:
    return [line for line in log.splitlines()
            if "CONSOLE" in line or "Refused to" in line or "Failed to load" in line]


def state_of(dom: str) -> str | None:
    match = re.search(r'id="app"[^>]*data-state="([a-z-]+)"', dom) or re.search(
        r'data-state="([a-z-]+)"[^>]*id="app"', dom)
    return None if match is None else match.group(1)


async def test_the_page_is_served_with_a_strict_policy(site: str) -> None:
    import aiohttp

    async with aiohttp.ClientSession() as session:
        async with session.get(site) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/html")
            assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
            assert "RateLimit-Limit" not in response.headers  # the page costs nothing
            page = await response.text()
        assert "<script>" not in page and " style=" not in page
        for asset in ("static/lookup.js", "static/lookup.css", "static/favicon.svg"):
            async with session.get(site + asset) as response:
                assert response.status == 200, asset
        async with session.get(site + "static/secrets.txt") as response:
            assert response.status >= 400


@needs_chromium
@pytest.mark.parametrize(
    ("query", "state", "expected", "unexpected"),
    [
        ("example.coop", "found",
         ["Cooperative Names Registrar Ltd", "Example Cooperative Society Ltd", "ns1.example.coop",
          "192.0.2.53", "Redacted", "Greater Manchester"], ["Jane Cooper", "M1 2AB"]),
        ("coopérative.coop", "found", ["coopérative.coop", "xn--cooprative-e7a.coop"], []),
        ("xn--3kr4pla2233b.coop", "found", ["協同組合.coop"], []),
        ("disputed.coop", "found", ["server transfer prohibited"], ["Alex Morgan"]),
        ("open-books.coop", "found", ["Priya Shah", "priya.shah@open-books.test"], []),
        ("expiring.coop", "found", ["redemption period", "pending delete"], []),
        ("housing.coop", "reserved", ["reserved"], []),
        ("no-such-name-4711.coop", "not-found", ["No .coop domain"], []),
        ("ns1.example.coop", "found", ["192.0.2.53", "2001:db8::53"], []),
        ("1234", "found", ["Cooperative Names Registrar Ltd", "abuse@coopnames.example"], []),
        ("exa_mple.coop", "invalid", [], []),
    ],
)
async def test_each_lookup_reads_right(
    site: str, tmp_path: Path, query: str, state: str, expected: list[str],
    unexpected: list[str],
) -> None:
    dom, log = await browse(f"{site}?q={query}", tmp_path / "profile", "--dump-dom")
    assert state_of(dom) == state, text_of(dom)[:500]
    text = text_of(dom)
    for needle in expected:
        assert needle.lower() in text.lower(), needle
    for needle in unexpected:
        assert needle not in dom, needle
    assert console_problems(log) == []


@needs_chromium
async def test_redactions_are_marked_with_reasons_and_a_way_to_ask(
    site: str, tmp_path: Path
) -> None:
    dom, _ = await browse(f"{site}?q=example.coop", tmp_path / "profile", "--dump-dom")
    marks = re.findall(r'class="[^"]*\bredacted\b', dom)
    assert len(marks) >= 8  # name, street, city, postal code, phone, fax, email; tech fields
    assert "Server policy" in text_of(dom)
    assert 'id="disclosure-help"' in dom
    assert 'id="raw-link"' in dom


@needs_chromium
async def test_screenshots_of_example_coop(site: str, tmp_path: Path) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for name, size in (("example-coop-desktop.png", "1280,1800"),
                       ("example-coop-phone.png", "390,1800")):
        target = ARTIFACTS / name
        target.unlink(missing_ok=True)
        _, log = await browse(f"{site}?q=example.coop", tmp_path / name,
                              f"--screenshot={target}", f"--window-size={size}",
                              "--hide-scrollbars")
        assert target.exists() and target.stat().st_size > 10_000, log[-2000:]
