"""Hostile RDAP requests against the real app: every answer must satisfy the fuzz oracle.

Requests are written byte for byte on a real socket to the app over the sample
registry (anonymous), so no client library normalises, re-encodes or refuses them
first. Names start from the registry's own objects and are then damaged the ways
attackers and broken clients damage them: confusables and invisible characters, IDNA
edge cases, overlong labels and names, control characters and NUL, invalid or overlong
UTF-8 behind percent escapes, double encoding, trailing dots; query strings get
hundreds of parameters, repeats and garbage; targets come in origin- and absolute-form
(RFC 9112 §3.2.2); methods and headers are odd. The fuzzers send only the bytes RFC 3986
allows in a target (everything else percent-encoded): what aiohttp's own HTTP parser
does with raw bytes is pinned by the explicit tests at the end.

Besides ``invariants.rdap_problems``: every answer arrives within a bound; a 200 (or
304) never names an object the request cannot have meant; link values are well-formed
URLs, and those naming the answer are its request URL. What a request meant is derived
here without the service: the path's segments strictly percent-decoded as UTF-8
(RFC 3986 §2.1, RFC 9082 §3.1) and canonicalised by the pure name parsers, and for
searches every result must match the pattern of the query as the standard library
decodes it. /health and /ready are load-balancer probes, not RDAP: 200 or 503, no leak.

The app (and a WHOIS server, for the port-43 fuzzer) runs in an event loop of its own
thread (`LiveService`), so the tests are plain functions with blocking sockets, each
running hypothesis on an inner function: a ``@given`` test taking the module-scoped
``sample`` fixture had its failures reported as FlakyStrategyDefinition, not shrunk.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, unquote_to_bytes

import asyncpg
import orjson
import pytest
from aiohttp import web
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from multidict import CIMultiDict

from rdap_coop.app import create_app, server_options
from rdap_coop.core.cache import LookupCache
from rdap_coop.core.config import Settings
from rdap_coop.core.errors import LookupFailed
from rdap_coop.core.metrics import Metrics
from rdap_coop.core.names import (
    RegistrarHandle,
    parse_domain_name,
    parse_entity_handle,
    parse_host_name,
    parse_ip_address,
)
from rdap_coop.core.queries import Registry
from rdap_coop.core.ratelimit_setup import build_rate_limiter
from rdap_coop.core.replicas import ReplicaSet
from rdap_coop.core.search_patterns import (
    parse_domain_pattern,
    parse_host_pattern,
    parse_text_pattern,
)
from rdap_coop.http_server import RdapAppRunner
from tests.conftest import SampleDatabase, make_settings
from tests.fuzz.invariants import FUZZ_SCALE, rdap_problems, withheld_personal_values
from whois_coop.server import WhoisServer

# The app's own deadline is short so that a hang shows quickly; every answer, a 503
# for a slow lookup included, must come within it plus a margin.
REQUEST_TIMEOUT_SECONDS = 3.0
ANSWER_BOUND_SECONDS = REQUEST_TIMEOUT_SECONDS + 2.0
FUZZ_SETTINGS = settings(
    max_examples=120 * FUZZ_SCALE,
    deadline=None,
    database=None,
    # `make test` replays the same examples every time (no flaky suite); `make fuzz`
    # explores afresh on every run.
    derandomize=FUZZ_SCALE == 1,
    # The explain phase replays a failure many more times over the network, for no help.
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=[HealthCheck.too_slow],
)
LOOKUP_PATHS = ("domain", "nameserver", "entity")
# ip/ and autnum/ are valid RDAP a domain registry does not serve: a deliberate 501.
UNSERVED_PATHS = ("ip", "autnum")
OTHER_PATHS = (*UNSERVED_PATHS, "static", "help", "", "health", "ready", "domains/reverse_search")
SEARCH_PATHS = ("domains", "nameservers", "entities")
OPERATOR_PROBES = ("/health", "/ready")
RDAP_TYPE = "application/rdap+json"
HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")
# RFC 9112 §3.2.2: servers must accept absolute-form targets as well as origin-form.
AUTHORITIES = (b"", b"", b"", b"", b"http://rdap.nic.coop", b"https://evil.example:8443")
# Paths that are complete without a final segment.
LONE_PATHS = ("help", "", "health", "ready", "domains/reverse_search")
SEARCH_PARAMETERS = {
    "domains": ("name", "nsLdhName", "nsIp"),
    "nameservers": ("name", "ip"),
    "entities": ("fn", "handle"),
}
# Longer request lines hit aiohttp's own limit first (see the explicit tests at the end).
MAX_TARGET_BYTES = 60_000
MAX_QUERY_BYTES = 30_000
STATIC_ASSETS = frozenset({"lookup.css", "lookup.js", "favicon.svg"})


@dataclass(frozen=True, slots=True)
class Sample:
    """What the fuzzers start from: the registry's names and the data it withholds."""

    domains: tuple[str, ...]
    hosts: tuple[str, ...]
    registrar_ids: tuple[int, ...]
    registrar_names: tuple[str, ...]
    addresses: tuple[str, ...]
    secrets: frozenset[str]


async def load_sample(admin_dsn: str) -> Sample:
    connection = await asyncpg.connect(admin_dsn)
    try:
        domains = await connection.fetch("SELECT ldh_name, unicode_name FROM domain")
        hosts = await connection.fetch("SELECT ldh_name FROM host ORDER BY ldh_name LIMIT 200")
        registrars = await connection.fetch("SELECT iana_id, name FROM registrar")
        addresses = await connection.fetch("SELECT DISTINCT host(address) FROM host_address")
    finally:
        await connection.close()
    names = [row["ldh_name"] for row in domains]
    names += [row["unicode_name"] for row in domains if row["unicode_name"]]
    return Sample(
        domains=tuple(sorted(names)),
        hosts=tuple(row["ldh_name"] for row in hosts),
        registrar_ids=tuple(sorted(row["iana_id"] for row in registrars)),
        registrar_names=tuple(sorted(row["name"] for row in registrars)),
        addresses=tuple(sorted(row[0] for row in addresses)),
        secrets=await withheld_personal_values(admin_dsn),
    )


@pytest.fixture(scope="module")
def sample(test_database: SampleDatabase) -> Sample:
    return asyncio.run(load_sample(test_database.admin_dsn))


class LiveService:
    """The RDAP app and a WHOIS server on real ports, served by a loop in its own thread."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.rdap_port = 0
        self.whois_port = 0
        self._whois: WhoisServer | None = None
        self._started: Future[None] = Future()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="live-service", daemon=True)

    def __enter__(self) -> LiveService:
        self._thread.start()
        self._started.result(timeout=30)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(30)

    def whois_connections(self) -> int:
        """Connections the WHOIS server counts as open (read across threads: an int)."""
        assert self._whois is not None
        return self._whois.connection_count

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except Exception as error:
            if self._started.done():
                raise  # while stopping: pytest reports exceptions of other threads
            self._started.set_exception(error)  # the test thread raises it

    async def _serve(self) -> None:
        # The parts open_runtime() builds, minus its SIGHUP handler (main thread only).
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        metrics = Metrics()
        replicas = await ReplicaSet.open(self.settings.database, metrics.database)
        checker = asyncio.create_task(replicas.keep_checking())
        registry = Registry(replicas, cache=LookupCache(ttl_seconds=60, max_entries=10_000))
        limits = build_rate_limiter(dataclasses.replace(self.settings.rate_limit, redis_url=None))
        app = create_app(self.settings, registry, limits, metrics)
        runner = RdapAppRunner(app, access_log=None, **server_options(self.settings))
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        whois = WhoisServer(registry, self.settings.whois, limits, metrics=metrics)
        await whois.start(hosts=["127.0.0.1"], port=0)
        self.rdap_port, self.whois_port = runner.addresses[0][1], whois.ports[0]
        self._whois = whois
        self._started.set_result(None)
        try:
            await self._stop.wait()
        finally:
            checker.cancel()
            await whois.stop()
            await runner.cleanup()
            await limits.close()
            await replicas.close()


@pytest.fixture(scope="module")
def service(test_database: SampleDatabase) -> Iterator[LiveService]:
    settings = make_settings(
        test_database.reader_dsn, rdap_request_timeout_seconds=str(REQUEST_TIMEOUT_SECONDS)
    )
    with LiveService(settings) as live:
        yield live


# ---------------------------------------------------------------------------------------
# A raw HTTP/1.1 client: exact bytes out, the whole response in.


@dataclass(frozen=True, slots=True)
class Reply:
    status: int
    headers: CIMultiDict[str]
    body: bytes
    seconds: float


def exchange(
    port: int, method: bytes, target: bytes, headers: Mapping[bytes, bytes] | None = None,
    body: bytes = b"",
) -> Reply:
    """Send one request exactly as given and read the response until the server closes."""
    lines = [method + b" " + target + b" HTTP/1.1", b"Host: rdap.nic.coop", b"Connection: close"]
    lines += [name + b": " + value for name, value in (headers or {}).items()]
    if body:
        lines.append(b"Content-Length: " + str(len(body)).encode())
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=ANSWER_BOUND_SECONDS) as client:
        client.sendall(b"\r\n".join(lines) + b"\r\n\r\n" + body)
        data = b""
        while chunk := client.recv(65536):
            data += chunk
    return parse_reply(data, time.monotonic() - started, head_only=method == b"HEAD")


def parse_reply(data: bytes, seconds: float, *, head_only: bool) -> Reply:
    head, separator, body = data.partition(b"\r\n\r\n")
    assert separator, f"no complete response head: {data[:200]!r}"
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers: CIMultiDict[str] = CIMultiDict()
    for line in header_lines:
        name, _, value = line.partition(":")
        headers.add(name.strip(), value.strip())
    status = int(status_line.split(" ", 2)[1])
    if not head_only and status not in (204, 304) and "Content-Length" in headers:
        assert len(body) == int(headers["Content-Length"]), "truncated or overlong body"
    return Reply(status, headers, body, seconds)


# ---------------------------------------------------------------------------------------
# What a request can have meant, derived without the service.


def strict_text(raw: bytes) -> str | None:
    """A percent-encoded segment as strict UTF-8, or None when it is not valid UTF-8."""
    try:
        return unquote_to_bytes(raw).decode("utf-8")
    except UnicodeDecodeError:
        return None


def meant_object(kind: str | None, segment: str | None) -> tuple[str, str] | None:
    """The (objectClassName, key) a lookup of ``segment`` may answer; None: no object."""
    if segment is None:
        return None
    try:
        if kind == "domain":
            return "domain", parse_domain_name(segment).ldh_name
        if kind == "nameserver":
            return "nameserver", parse_host_name(segment).ldh_name
        if kind == "entity":
            handle = parse_entity_handle(segment)
            return "entity", str(handle.iana_id) if isinstance(handle, RegistrarHandle) else ""
    except LookupFailed:
        return None
    return None


def answered_object(body: bytes) -> tuple[str, str] | None:
    document = orjson.loads(body) if body else None
    if not isinstance(document, dict) or "objectClassName" not in document:
        return None
    kind = document["objectClassName"]
    key = document.get("handle") if kind == "entity" else document.get("ldhName")
    return str(kind), str(key)


def lookup_meaning_problems(target: bytes, reply: Reply) -> list[str]:
    """A 200 or 304 for a lookup must be for exactly the object the path names."""
    if reply.status not in (200, 304):
        return []
    segments = target.split(b"?", 1)[0].split(b"/")
    first = strict_text(segments[1]) if len(segments) > 1 else None
    if first == "static":
        known = len(segments) == 3 and strict_text(segments[2]) in STATIC_ASSETS
        return [] if known else [f"{reply.status} for a static asset that does not exist"]
    if first not in LOOKUP_PATHS:
        return []
    meant = meant_object(first, strict_text(segments[-1]))
    if meant is None or meant[1] == "":
        return [f"{reply.status} for a lookup that names no valid object"]
    answered = answered_object(reply.body)
    if answered is not None and answered != meant:
        return [f"answered {answered} for a query meaning {meant}"]
    return []


def search_meaning_problems(target: bytes, reply: Reply) -> list[str]:
    """Every result of a 200 search must match the pattern the query string gave."""
    path, _, query = target.partition(b"?")
    kind = strict_text(path.strip(b"/"))
    if reply.status != 200 or kind not in SEARCH_PATHS or not reply.body:
        return []
    results = orjson.loads(reply.body).get(f"{kind[:-1]}SearchResults", [])
    # Invalid UTF-8 stays visible as lone surrogates; the first of repeated values counts.
    text = query.decode("utf-8", "surrogateescape")
    pairs = parse_qsl(text, keep_blank_values=True, errors="surrogateescape")
    matcher = result_matcher(kind, dict(reversed(pairs)))
    if matcher is None:
        return ["200 for a search whose pattern is invalid"]
    return [f"result {item.get('handle')} does not match" for item in results if not matcher(item)]


def result_matcher(kind: str, given: Mapping[str, str]) -> Callable[[Any], bool] | None:
    """How to tell a result the search asked for; None when the search is invalid."""
    present = [name for name in SEARCH_PARAMETERS[kind] if name in given]
    if len(present) != 1:
        return None  # exactly one search parameter (RFC 9082 §3.2)
    parameter, value = present[0], given[present[0]]
    if any("\udc80" <= char <= "\udcff" for char in value):
        return lambda item: False  # no object can match text that is not UTF-8
    try:
        return _matcher(kind, parameter, value)
    except LookupFailed:
        return None


def _matcher(kind: str, parameter: str, value: str) -> Callable[[Any], bool]:
    if parameter in ("ip", "nsIp"):
        parse_ip_address(value)
    elif parameter == "nsLdhName":
        parse_host_pattern(value)
    elif kind == "domains":
        domains = parse_domain_pattern(value)
        return lambda item: domains.matches(parse_domain_name(item["ldhName"]))
    elif kind == "nameservers":
        hosts = parse_host_pattern(value)
        return lambda item: hosts.matches(parse_host_name(item["ldhName"]))
    elif parameter == "fn":
        text = parse_text_pattern(value)
        return lambda item: "vcardArray" not in item or text.matches(vcard_fn(item))
    else:
        handle = parse_text_pattern(value)
        return lambda item: handle.matches(item["handle"])
    return lambda item: True


def vcard_fn(entity: Any) -> str:
    return next(str(item[3]) for item in entity["vcardArray"][1] if item[0] == "fn")


def origin_form(target: bytes) -> bytes:
    """The path and query of a request target, also when it came in absolute-form."""
    if target.startswith(b"/"):
        return target
    _, _, rest = target.partition(b"://")
    return b"/" + rest.partition(b"/")[2]


def link_values(node: Any, *, top: bool = True) -> Iterator[tuple[bool, str]]:
    """(names the request URL, value) of every link: the answer's self link and the
    notices' links must carry the request URL (RFC 8288 context, RDAP profile)."""
    if isinstance(node, list):
        for item in node:
            yield from link_values(item, top=False)
        return
    if not isinstance(node, dict):
        return
    for link in node.get("links", []):
        yield top and link.get("rel") == "self", str(link.get("value"))
    for notice in node.get("notices", []) if top else ():
        yield from ((True, str(link.get("value"))) for link in notice.get("links", []))
    for key, value in node.items():
        if key not in ("links", "notices"):
            yield from link_values(value, top=False)


def link_problems(target: bytes, reply: Reply) -> list[str]:
    """Link values are absolute URLs; those that name the answer are its request URL."""
    if reply.status != 200 or not reply.headers.get("Content-Type", "").startswith(RDAP_TYPE):
        return []
    # Raw bytes a client sent outside RFC 3986's set come back percent-encoded.
    origin = quote(origin_form(target), safe="/?&=%:@!$'()*+,;-._~")
    problems = []
    for names_request, value in link_values(orjson.loads(reply.body) if reply.body else {}):
        scheme, _, rest = value.partition("://")
        authority, slash, _ = rest.partition("/")
        if scheme not in ("http", "https") or not HOST.fullmatch(authority) or not slash:
            problems.append(f"malformed link value {value[:80]!r}")
        elif names_request and not value.endswith(origin):
            problems.append(f"link value {value[:80]!r} is not the request URL")
    return problems[:1]


def problems_of(target: bytes, reply: Reply, secrets: frozenset[str]) -> list[str]:
    """Everything wrong with the answer to ``target`` (empty when it is sound)."""
    origin = origin_form(target)
    problems = rdap_problems(reply.status, reply.headers, reply.body, secrets)
    if strict_text(origin.split(b"?", 1)[0]) in OPERATOR_PROBES:
        # Not RDAP: load balancers' probes, 200 or 503 with a JSON status document.
        leaks = rdap_problems(200, reply.headers, reply.body, secrets)
        return leaks + ([] if reply.status in (200, 503) else [f"probe status {reply.status}"])
    # 501 is by design for ip/ and autnum/, and for nothing else.
    problems = [problem for problem in problems if problem != "status 501"]
    if reply.status == 501 and strict_text(origin.split(b"/")[1]) not in UNSERVED_PATHS:
        problems.append("501 for a query this server does serve")
    problems += lookup_meaning_problems(origin, reply)
    problems += search_meaning_problems(origin, reply)
    problems += link_problems(target, reply)
    if reply.seconds > ANSWER_BOUND_SECONDS:
        problems.append(f"answered after {reply.seconds:.1f} s")
    return problems


def assert_sound(target: bytes, reply: Reply, secrets: frozenset[str]) -> None:
    assert problems_of(target, reply, secrets) == [], (target[:300], reply.status, reply.body[:300])


# ---------------------------------------------------------------------------------------
# Hostile inputs.

# Look-alikes from other scripts and compatibility forms (UTS 39 confusables).
CONFUSABLES = {
    "a": "\u0430\u03b1\uff41", "c": "\u0441\u03f2", "e": "\u0435\u212e", "i": "\u0456\u0131",
    "k": "\u212a\u03ba", "o": "\u043e\u03bf0", "p": "\u0440\u03c1", "s": "\u0455\u017f",
    "x": "\u0445\u03c7", "l": "\u04cf1\u2113", "-": "\u2010\u2212\u30fc", "1": "l\uff11",
    ".": "\u3002\uff0e\uff61\u2024", "m": "rn", "\u00e9": "e\u0301", "\u7d44": "\u7ec4",
}
# Invisible, joining, combining, bidi and control characters, NUL and line breaks.
INSERTIONS = (
    "\u200b\u200c\u200d\u00ad\ufeff\u2060\u202e\u0301\u034f\u3099"
    "\x00\x01\t\n\r\x1b\x7f\x85\u2028\u2029 *%/\\?#@:_=&+"
)
# Percent escapes that decode to nothing valid, to something dangerous, or not at all.
HOSTILE_ESCAPES = (
    b"%FF", b"%C0%AE", b"%C0%AF", b"%E0%80%AE", b"%ED%A0%80", b"%F4%90%80%80", b"%C3",
    b"%", b"%G1", b"%2", b"%00", b"%2F", b"%5C", b"%2E%2E", b"%u002e", b"%252F", b"%0D%0A",
    b"%EF%BC%8E", b"%E3%80%82", b"%C2%A0", b"%E2%80%AE", b"%3F", b"%23", b"%25",
)
UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
SUB_DELIMS = frozenset(b"!$'()*,;:@")  # '&', '=' and '+' are kept for query syntax
# First the spellings that keep the meaning (so that some hostile requests still reach
# a record), then those that must not; hypothesis shrinks towards the start.
MEANING_KEPT = 6


def _mutations(text: str, index: int, other: str, pick: int) -> list[str]:
    """Every damage this fuzzer knows, applied to ``text`` at ``index``."""
    label, dot, rest = text.partition(".")
    look_alikes = CONFUSABLES.get(text[index:index + 1], "\u0430")
    return [
        text, text.upper(), text.swapcase(), text + ".", f" {text}\t", text.replace(".", "\u3002"),
        text + "..", "." + text, f"\u3000{text}", text.replace(".", ".."),
        text[:index] + look_alikes[pick % len(look_alikes)] + text[index + 1:],
        text[:index] + other + text[index:],
        unicodedata.normalize("NFD", text), unicodedata.normalize("NFKD", text),
        "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text),
        label * (64 // max(1, len(label)) + 1) + dot + rest,
        ".".join([label[:63] or "a"] * (260 // (len(label[:63]) + 1) + 1)) + ".coop",
        "a" * (253 - len(rest) - 1) + dot + rest, "a" * (254 - len(rest) - 1) + dot + rest,
        "xn--" + text, "xn--" + label + "-" + dot + rest, label[:2] + "--" + text[2:],
        "-" + text, label + "-" + dot + rest, "0" * 20 + text, text + "/..", text * 20,
    ]


@st.composite
def names(draw: st.DrawFn, bases: tuple[str, ...]) -> str:
    """A registry name, often damaged (up to three times), sometimes arbitrary text."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.text(max_size=80))
    text = draw(st.sampled_from(bases)) if bases else "example.coop"
    for _ in range(draw(st.sampled_from((0, 0, 1, 1, 1, 2, 3)))):
        index = draw(st.integers(0, max(0, len(text) - 1)))
        other = draw(st.sampled_from(INSERTIONS) | st.characters(codec="utf-8"))
        damage = _mutations(text, index, other, draw(st.integers(0, 2)))
        keep = draw(st.booleans())
        text = draw(st.sampled_from(damage[:MEANING_KEPT] if keep else damage))
    return text


@st.composite
def patterns(draw: st.DrawFn, bases: tuple[str, ...]) -> str:
    """A search term: a name, a prefix of one with its '*' and maybe its suffix, or junk."""
    if draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(QUERY_VALUES))
    name = draw(names(bases))
    label, dot, rest = name.partition(".")
    cut = draw(st.integers(1, max(1, len(label))))
    prefix = label[:cut] + "*"
    return draw(st.sampled_from((name, prefix + dot + rest, prefix, name + "*", "*" + name)))


@st.composite
def percent_encoded(draw: st.DrawFn, text: str, *, inject: bool = True) -> bytes:
    """``text`` as URI bytes (UTF-8, then percent escapes), spelt in one of many ways."""
    style = draw(st.sampled_from(("minimal", "minimal", "mixed", "everything", "double")))
    hex_format = draw(st.sampled_from((b"%%%02X", b"%%%02x")))
    # One drawn number picks the mixed spelling: a draw per byte makes long inputs slow.
    spelling = random.Random(draw(st.integers(0, 2**32)))
    out = bytearray()
    for byte in text.encode("utf-8", "surrogatepass"):
        escape = hex_format % byte
        if style == "double":
            escape = b"%25" + escape[1:]
        plain = byte in UNRESERVED or byte in SUB_DELIMS
        use_plain = plain and (style == "minimal" or (style == "mixed" and spelling.random() < .5))
        out += bytes([byte]) if use_plain else escape
    if inject and draw(st.integers(0, 2)) == 0:
        for escape in draw(st.lists(st.sampled_from(HOSTILE_ESCAPES), min_size=1, max_size=2)):
            at = draw(st.integers(0, len(out)))
            out[at:at] = escape
    return bytes(out)


@st.composite
def path_words(draw: st.DrawFn, prefix: str) -> bytes:
    """The fixed part of a path, now and then percent-encoded (or double-encoded)."""
    if draw(st.integers(0, 4)) > 0:
        return prefix.encode()
    return b"/".join([draw(percent_encoded(word, inject=False)) for word in prefix.split("/")])


QUERY_KEYS = (
    "name", "nsLdhName", "nsIp", "ip", "fn", "handle", "sort", "fieldSet", "count", "cursor",
    "roidc1_qp", "caseReference", "role", "email", "",
)
TINY_PARAMETERS = (b"", b"a", b"=", b"a=", b"name", b"sort=", b"fn=", b"%", b"cursor")
QUERY_VALUES = (
    "*", "a*", "ex*", "ex*.coop", "ns*.example.coop", "*.coop", "e*x*", "xn--*", "1234",
    "12*", "true", "TRUE", "name", "name:d", "registrationDate:a", "bogus:x", "id", "brief",
    "full", "Co*", "%", "_", "\\", "192.0.2.53", "2001:db8::53", "::ffff:192.0.2.53",
    "01.2.3.4", "AAAA", "e30", "-" * 300, "\u00e9*", "\u5354*", "a%*", "a_*", "%_*",
)


@st.composite
def query_strings(draw: st.DrawFn, path: str, sample: Sample) -> bytes:
    """A search's own parameter with a hostile term, among odd others; sometimes hundreds."""
    main_key = draw(st.sampled_from(SEARCH_PARAMETERS.get(path, ("name",))))
    by_address = main_key in ("ip", "nsIp")
    bases = sample.addresses if by_address else sample_bases(sample, path)
    if main_key == "nsLdhName":
        bases = sample.hosts
    pairs = [(main_key, draw(names(bases) if by_address else patterns(bases)))]
    key = st.sampled_from(QUERY_KEYS) | st.text(max_size=8)
    value = st.sampled_from(QUERY_VALUES) | patterns(bases) | st.text(max_size=40)
    pairs += draw(st.lists(st.tuples(key, value), max_size=4))
    if draw(st.booleans()):
        pairs.reverse()
    parts = [
        draw(percent_encoded(k, inject=False)) + b"=" + draw(percent_encoded(v)) for k, v in pairs
    ]
    if draw(st.integers(0, 9)) == 0:  # hundreds of parameters, all repeated
        size = sum(len(part) + 1 for part in parts)
        parts *= min(draw(st.integers(20, 600)), MAX_QUERY_BYTES // size + 1)
    elif draw(st.integers(0, 9)) == 0:  # hundreds of tiny ones, within max_path_bytes
        parts += [draw(st.sampled_from(TINY_PARAMETERS))] * draw(st.integers(100, 600))
    separator = draw(st.sampled_from((b"&", b"&", b"&", b"&&", b";", b"&=&")))
    return separator.join(parts)


def methods() -> st.SearchStrategy[bytes]:
    return st.sampled_from((b"GET", b"HEAD", b"HEAD", b"OPTIONS", b"POST", b"PUT", b"DELETE",
                            b"PATCH"))


FIELD_VALUES = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=120
).map(str.encode) | st.sampled_from((
    b"*", b"Bearer", b"Bearer ", b"Basic Zm9vOmJhcg==", b"Bearer " + b"A" * 4000,
    b'"0123456789abcdef"', b'W/"x", *', b"application/rdap+json;q=0", b"text/html",
    b"*/*;q=0.1, application/json", b"127.0.0.1, 10.0.0.1", b"unknown", b"[::1]:80",
    b"evil.example", b"ftp", b"https, http",
))


def header_sets() -> st.SearchStrategy[dict[bytes, bytes]]:
    names = st.sampled_from((
        b"Accept", b"If-None-Match", b"Authorization", b"X-Forwarded-For", b"X-Forwarded-Host",
        b"X-Forwarded-Proto", b"Origin", b"Range", b"If-Modified-Since", b"Accept-Language",
    ))
    return st.dictionaries(names, FIELD_VALUES.map(bytes.strip), max_size=5)


# ---------------------------------------------------------------------------------------
# The fuzzers.


def path_target(
    words: bytes, segment: bytes | None, query: bytes | None, authority: bytes = b""
) -> bytes:
    target = authority + b"/" + words + (b"" if segment is None else b"/" + segment)
    target = target if query is None else target + b"?" + query
    return target[:MAX_TARGET_BYTES]


def test_hostile_lookup_paths(service: LiveService, sample: Sample) -> None:
    @FUZZ_SETTINGS
    @given(data=st.data())
    def hostile_lookup(data: st.DataObject) -> None:
        prefix = data.draw(st.sampled_from(LOOKUP_PATHS * 4 + OTHER_PATHS), label="prefix")
        name = data.draw(names(sample_bases(sample, prefix)), label="name")
        segment: bytes | None = data.draw(percent_encoded(name), label="segment")
        if prefix in LONE_PATHS and data.draw(st.booleans()):
            segment = None
        query = data.draw(st.none() | query_strings("domains", sample), label="query")
        authority = data.draw(st.sampled_from(AUTHORITIES), label="authority")
        target = path_target(data.draw(path_words(prefix)), segment, query, authority)
        assert_sound(target, exchange(service.rdap_port, b"GET", target), sample.secrets)

    hostile_lookup()


def test_hostile_searches(service: LiveService, sample: Sample) -> None:
    @FUZZ_SETTINGS
    @given(data=st.data())
    def hostile_search(data: st.DataObject) -> None:
        path = data.draw(st.sampled_from(SEARCH_PATHS), label="path")
        query = data.draw(query_strings(path, sample), label="query")
        authority = data.draw(st.sampled_from(AUTHORITIES), label="authority")
        target = path_target(data.draw(path_words(path)), None, query, authority)
        assert_sound(target, exchange(service.rdap_port, b"GET", target), sample.secrets)

    hostile_search()


def test_odd_methods_and_headers(service: LiveService, sample: Sample) -> None:
    @settings(FUZZ_SETTINGS, max_examples=60 * FUZZ_SCALE)
    @given(data=st.data())
    def odd_request(data: st.DataObject) -> None:
        prefix = data.draw(st.sampled_from(LOOKUP_PATHS + SEARCH_PATHS + ("help",)))
        bases = sample_bases(sample, prefix)
        segment = None if prefix in SEARCH_PATHS else data.draw(percent_encoded(
            data.draw(names(bases), label="name")))
        query = data.draw(query_strings(prefix, sample)) if prefix in SEARCH_PATHS else None
        target = path_target(prefix.encode(), segment, query)
        method = data.draw(methods(), label="method")
        headers = data.draw(header_sets(), label="headers")
        body = data.draw(st.binary(max_size=2048)) if method in (b"POST", b"PUT") else b""
        reply = exchange(service.rdap_port, method, target, headers, body)
        assert_sound(target, reply, sample.secrets)
        if method in (b"POST", b"PUT", b"DELETE", b"PATCH"):
            assert reply.status in (400, 401, 405), reply.status

    odd_request()


def sample_bases(sample: Sample, prefix: str) -> tuple[str, ...]:
    """Real names of the kind ``prefix`` looks up: most fuzz inputs start from these."""
    if prefix in ("nameserver", "nameservers"):
        return sample.hosts
    if prefix == "entity":
        return (*(str(number) for number in sample.registrar_ids), "C1-COOP", "D1-COOP")
    if prefix == "entities":
        return sample.registrar_names + tuple(str(number) for number in sample.registrar_ids)
    if prefix in ("ip", "static"):
        return sample.addresses + tuple(sorted(STATIC_ASSETS))
    if prefix == "domains/reverse_search":
        return ("entity",)
    return sample.domains


# ---------------------------------------------------------------------------------------
# Requests that aiohttp's own HTTP parser handles before any of our code runs.

UNPARSABLE_REQUESTS: dict[str, tuple[bytes, Mapping[bytes, bytes]]] = {
    # What some clients send for an IDN typed into a URL: a valid name, as raw bytes.
    "raw UTF-8 in the path": (b"/domain/coop\xc3\xa9rative.coop", {}),
    "raw NUL in the path": (b"/domain/ex\x00ample.coop", {}),
    "raw invalid UTF-8 in the query": (b"/help?q=\xff", {}),
    "request line over 64 KiB": (b"/domain/" + b"a" * 70_000 + b".coop", {}),
    "header line over 16 KiB": (b"/help", {b"Accept": b"x" * 20_000}),
}


def test_requests_the_http_parser_refuses_still_get_rdap_errors(
    service: LiveService, sample: Sample
) -> None:
    found = {}
    for case, (target, headers) in UNPARSABLE_REQUESTS.items():
        reply = exchange(service.rdap_port, b"GET", target, headers)
        problems = problems_of(target, reply, sample.secrets)
        if target[:24] in reply.body or b"Got more than" in reply.body:
            problems.append("echoes the request")
        if problems:
            found[case] = (problems, reply.body[:120])
    assert found == {}


def test_absolute_form_targets_link_to_the_request_url(
    service: LiveService, sample: Sample
) -> None:
    target = b"http://rdap.nic.coop/domain/example.coop"
    reply = exchange(service.rdap_port, b"GET", target)
    assert reply.status == 200
    assert link_problems(target, reply) == []


@pytest.fixture(scope="module")
def pure_python_parser_port(test_database: SampleDatabase) -> Iterator[int]:
    """``rdap-coop serve`` on aiohttp's pure-Python HTTP parser, as where its C extension
    is missing (AIOHTTP_NO_EXTENSIONS=1): raw non-ASCII request bytes then reach the app,
    as lone surrogates in ``raw_path``."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    environment = {
        **os.environ, "AIOHTTP_NO_EXTENSIONS": "1", "RDAP_COOP_RDAP_HOST": "127.0.0.1",
        "RDAP_COOP_RDAP_PORT": str(port), "RDAP_COOP_DATABASE_DSN": test_database.reader_dsn,
    }
    process = subprocess.Popen([str(Path(sys.executable).parent / "rdap-coop"), "serve"],
                               env=environment, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not _listening(port):
            assert process.poll() is None and time.monotonic() < deadline, "did not start"
            time.sleep(0.05)
        yield port
    finally:
        process.terminate()
        process.wait(10)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


RAW_BYTE_TARGETS = (
    b"/domain/coop\xffrative.coop", b"/domain/\xed\xa0\x80.coop", b"/help?q=\xff",
    b"/domain/example.coop?q=\xff", b"/domain/coop\xc3\xa9rative.coop",
)


def test_raw_request_bytes_never_cause_a_500(pure_python_parser_port: int, sample: Sample) -> None:
    found = {}
    for target in RAW_BYTE_TARGETS:
        reply = exchange(pure_python_parser_port, b"GET", target)
        if problems := problems_of(target, reply, sample.secrets):
            found[target] = problems
    assert found == {}
