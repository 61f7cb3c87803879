"""The steady load of the fault tests, and its judge: was every answer right?

A few concurrent askers cycle through fixed queries (RDAP over one keep-alive
session, WHOIS one connection a query). ``learn()`` records each query's answer
while the service is healthy; from then on every answer must be that document, or a
deliberate refusal (503 with Retry-After, the "temporarily unavailable" line, a 429),
and must pass the fuzzers' oracle (``tests/fuzz/invariants.py``): no stack trace, no
SQL, and never personal data in a public answer. Only the replica's replay position
("last update of RDAP/WHOIS database") may differ, honestly, between standbys.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import math
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import aiohttp
import orjson

from tests.fuzz.invariants import rdap_problems, whois_problems
from tests.whois_client import ask_whois
from whois_coop.render import RATE_LIMITED_LINE, UNAVAILABLE_LINE

Kind = Literal["ok", "unavailable", "limited", "wrong", "hung", "error"]
Probe = Callable[[], Awaitable["Outcome"]]

REPLICA_EVENT = "last update of RDAP database"
WHOIS_REPLICA_LINE = ">>> Last update of WHOIS database:"
# The load's own patience: beyond it a request counts as hung (the service's
# deadlines are all far shorter).
HANG_SECONDS = 15.0


@dataclass(frozen=True, slots=True)
class Outcome:
    label: str
    started: float
    seconds: float
    kind: Kind
    detail: str = ""
    request_id: str = ""


def _rdap_document(status: int, body: bytes) -> bytes:
    """What must not change: the status and the document, but its replay position."""
    try:
        document = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        return str(status).encode() + body  # the oracle has already said what is wrong
    if isinstance(document, dict) and isinstance(document.get("events"), list):
        document["events"] = [
            event for event in document["events"] if event.get("eventAction") != REPLICA_EVENT
        ]
    return str(status).encode() + orjson.dumps(document, option=orjson.OPT_SORT_KEYS)


def _whois_document(reply: bytes) -> bytes:
    """What must not change: the reply, but its replay position."""
    lines = reply.split(b"\r\n")
    return b"\r\n".join(line for line in lines if not line.startswith(WHOIS_REPLICA_LINE.encode()))


class Load:
    """Asks, judges and remembers every answer (``outcomes``, in order of completion)."""

    def __init__(self, session: aiohttp.ClientSession, secrets: frozenset[str]) -> None:
        self.session = session
        self.secrets = secrets
        self.outcomes: list[Outcome] = []
        self._reference: dict[str, bytes] = {}
        self._learning = False

    async def rdap(
        self, label: str, url: str, *, token: str | None = None, forwarded_for: str | None = None
    ) -> Outcome:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if forwarded_for:
            headers["X-Forwarded-For"] = forwarded_for
        started = time.monotonic()
        try:
            async with self.session.get(url, headers=headers) as response:
                status, body = response.status, await response.read()
                response_headers: Mapping[str, str] = response.headers
        except TimeoutError:
            return self._note(Outcome(label, started, time.monotonic() - started, "hung"))
        except aiohttp.ClientError as error:
            return self._note(Outcome(label, started, time.monotonic() - started, "error",
                                      type(error).__name__))
        seconds = time.monotonic() - started
        # An accredited answer shows personal data by right; its refusals may not.
        entitled = token is not None and status == 200
        problems = rdap_problems(status, response_headers, body,
                                 frozenset() if entitled else self.secrets)
        kind = self._judge(f"{label} {url} {token}", problems, _rdap_document(status, body),
                           {503: "unavailable", 429: "limited"}.get(status))
        detail = "; ".join(problems) or str(status)
        return self._note(Outcome(label, started, seconds, kind, detail,
                                  response_headers.get("X-Request-Id", "")))

    async def whois(
        self, label: str, port: int, query: str, *, source: str = "127.0.0.1",
        accredited: bool = False,
    ) -> Outcome:
        started = time.monotonic()
        try:
            reply = await ask_whois(port, query.encode() + b"\r\n", source=source,
                                    timeout_seconds=HANG_SECONDS)
        except TimeoutError:
            return self._note(Outcome(label, started, time.monotonic() - started, "hung"))
        except OSError as error:
            return self._note(Outcome(label, started, time.monotonic() - started, "error",
                                      type(error).__name__))
        seconds = time.monotonic() - started
        text = reply.decode("utf-8", "replace").strip()
        refusal = {UNAVAILABLE_LINE: "unavailable", RATE_LIMITED_LINE: "limited"}.get(text)
        entitled = accredited and refusal is None
        problems = whois_problems(reply, frozenset() if entitled else self.secrets)
        kind = self._judge(f"{label} {query} {source}", problems, _whois_document(reply), refusal)
        return self._note(Outcome(label, started, seconds, kind, "; ".join(problems) or text[:60]))

    def _judge(
        self, key: str, problems: list[str], document: bytes, refusal: str | None
    ) -> Kind:
        if problems:
            return "wrong"
        if refusal == "unavailable":
            return "unavailable"
        if refusal == "limited":
            return "limited"
        if self._learning:
            self._reference[key] = document
        return "ok" if self._reference.get(key) == document else "wrong"

    def _note(self, outcome: Outcome) -> Outcome:
        self.outcomes.append(outcome)
        return outcome

    async def learn(self, probes: Sequence[Probe]) -> None:
        """Each probe's answer now, while all is well, is the right answer from now on."""
        self._learning = True
        try:
            outcomes = [await probe() for probe in probes]
        finally:
            self._learning = False
        assert all(o.kind == "ok" for o in outcomes), outcomes

    @contextlib.asynccontextmanager
    async def running(self, probes: Sequence[Probe], askers: int = 4) -> AsyncIterator[None]:
        """``askers`` concurrent loops over ``probes`` for the duration of the block."""
        stop = asyncio.Event()

        async def ask(offset: int) -> None:
            turn = offset
            while not stop.is_set():
                await probes[turn % len(probes)]()
                turn += 1

        tasks = [asyncio.create_task(ask(n)) for n in range(askers)]
        try:
            yield
        finally:
            stop.set()
            await asyncio.gather(*tasks)

    def refused_all(self, labels: Sequence[str], since: float) -> bool:
        """Whether each of ``labels`` has been refused (503) at least once since then."""
        return {o.label for o in self.of(*labels, since=since)
                if o.kind == "unavailable"} == set(labels)

    def of(self, *labels: str, since: float = 0.0, until: float = math.inf) -> list[Outcome]:
        return [o for o in self.outcomes
                if (not labels or o.label in labels) and since <= o.started < until]

    async def recovered(self, *labels: str, since: float, within: float) -> float:
        """Seconds from ``since`` until the answers of ``labels`` were right again, to
        stay: the start of a run of ten right answers with nothing else after it."""
        deadline = since + within + 5.0
        while True:
            outcomes = sorted(self.of(*labels, since=since), key=lambda o: o.started)
            last_bad = max((i for i, o in enumerate(outcomes) if o.kind != "ok"), default=-1)
            run = outcomes[last_bad + 1:]
            if len(run) >= 10:
                recovery = run[0].started - since if last_bad >= 0 else 0.0
                assert recovery <= within, f"recovered only after {recovery:.2f} s"
                return recovery
            assert time.monotonic() < deadline, f"no recovery: {outcomes[-5:]}"
            await asyncio.sleep(0.05)


RDAP_PATHS = ("/domain/example.coop", "/domain/open-books.coop", "/domain/disputed.coop",
              "/nameserver/ns1.example.coop", "/domain/no-such-name.coop")
WHOIS_QUERIES = ("example.coop", "open-books.coop", "disputed.coop", "no-such-name.coop")


def public_probes(
    load: Load, label: str, *, rdap: str | None = None, whois: int | None = None
) -> list[Probe]:
    """Anonymous lookups of a found, a consented, a locked and a missing name."""
    probes: list[Probe] = []
    if rdap is not None:
        probes += [functools.partial(load.rdap, label, rdap + path) for path in RDAP_PATHS]
    if whois is not None:
        probes += [functools.partial(load.whois, label, whois, query) for query in WHOIS_QUERIES]
    return probes


def wrong(outcomes: Sequence[Outcome]) -> list[Outcome]:
    """Wrong documents, errors and hangs: never acceptable, whatever the fault."""
    return [o for o in outcomes if o.kind in ("wrong", "hung", "error")]


def worst(outcomes: Sequence[Outcome]) -> float:
    return max((o.seconds for o in outcomes), default=0.0)


def figure(
    fault: str, outcomes: Sequence[Outcome], healthy: Sequence[Outcome], **observed: object
) -> None:
    """The one line a test prints for ROBUSTNESS.md (``pytest -rP`` shows it)."""
    parts = []
    if outcomes:
        counts = {kind: sum(o.kind == kind for o in outcomes)
                  for kind in ("unavailable", "limited", "wrong", "hung", "error")}
        parts = [f"{len(outcomes)} requests",
                 *(f"{n} {kind}" for kind, n in counts.items() if n or kind == "wrong"),
                 f"worst healthy {worst(healthy) * 1000:.0f} ms"]
    parts += [f"{key.replace('_', ' ')} {value}" for key, value in observed.items()]
    print(f"FAULT {fault}: " + ", ".join(parts))
