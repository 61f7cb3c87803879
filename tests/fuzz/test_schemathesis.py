"""Schemathesis drives every operation of ``/openapi.yaml`` against a real ``rdap-coop serve``.

The service runs as its own process over the sample registry, with accredited clients.
Schemathesis' pytest integration needs the schema at collection time, so operations
come from the packaged document, and the first test requires the schema the service
publishes over HTTP to be that document. Every answer must be documented (status,
media type, body, headers), no server error but the deliberate 501 and 503, satisfy
the fuzzers' oracle (personal data checked for anonymous requests) and, for accredited
clients, never be publicly cacheable. ``make fuzz`` adds the coverage phase and
multiplies the examples by ``FUZZ_SCALE``; each run prints its request count (``-s``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

import rdap_coop
from tests.conftest import SampleDatabase
from tests.fuzz.invariants import FUZZ_SCALE, rdap_problems, withheld_personal_values
from tests.rdap.test_access import accredit

VENV_BIN = Path(sys.executable).parent
DOCUMENT = Path(rdap_coop.__file__).parent / "static" / "openapi.yaml"
# Fuzzing-phase examples per operation; the examples and coverage phases add their own
# (finite) cases. About 47 operations: a few hundred requests in all.
ANONYMOUS_EXAMPLES = 4
AUTHENTICATED_EXAMPLES = 4
ACCREDITED_CLIENTS = ("registrar", "udrp", "police")
# Probes are not RDAP: their bodies and headers follow their own (documented) rules.
NOT_RDAP_PATHS = frozenset({"/health", "/ready"})
NOT_SERVED_PATHS = frozenset({"/ip/{tail}", "/autnum/{tail}"})
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
SERVER_START_SECONDS = 30.0

Case = schemathesis.Case[Any]
CheckFunction = Callable[[schemathesis.CheckContext, schemathesis.Response, Case], bool | None]


@dataclass
class Service:
    url: str
    tokens: dict[str, str]
    log: Path
    secrets: frozenset[str]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + SERVER_START_SECONDS
    while True:
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return
        assert process.poll() is None, "rdap-coop serve exited"
        assert time.monotonic() < deadline, "rdap-coop serve not ready in time"
        time.sleep(0.1)


@pytest.fixture(scope="module")
def service(
    test_database: SampleDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    directory = tmp_path_factory.mktemp("schemathesis")
    accredited = accredit(directory)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    environment = {
        **os.environ,
        "RDAP_COOP_DATABASE_DSN": test_database.reader_dsn,
        "RDAP_COOP_RDAP_HOST": "127.0.0.1",
        "RDAP_COOP_RDAP_PORT": str(port),
        "RDAP_COOP_RDAP_BASE_URL": f"{url}/",
        "RDAP_COOP_CLIENTS_FILE": str(accredited.clients_file),
        "RDAP_COOP_AUDIT_LOG": str(accredited.audit_log),
        # The sample registry's last update is fixed in the past: never "too far behind".
        "RDAP_COOP_READY_MAX_LAG_SECONDS": "1e10",
        "RDAP_COOP_REPLICA_CHECK_SECONDS": "0.2",
        # Small pages, so that paging links and cursors are met often.
        "RDAP_COOP_RDAP_SEARCH_PAGE_SIZE": "5",
        # Thousands of requests from one address; the limiter has its own tests.
        "RDAP_COOP_RATE_LIMIT_PUBLIC_BURST": "1000000",
        "RDAP_COOP_RATE_LIMIT_PUBLIC_PER_SECOND": "100000",
        "RDAP_COOP_RATE_LIMIT_AUTHENTICATED_BURST": "1000000",
        "RDAP_COOP_RATE_LIMIT_AUTHENTICATED_PER_SECOND": "100000",
    }
    log = directory / "rdap-coop.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen([str(VENV_BIN / "rdap-coop"), "serve"], env=environment,
                                   stdout=log_file, stderr=subprocess.STDOUT)
    try:
        _wait_until_ready(f"{url}/ready", process)
        secrets = asyncio.run(withheld_personal_values(test_database.admin_dsn))
        yield Service(url, accredited.tokens, log, secrets)
    finally:
        process.terminate()
        process.wait(10)
    # An unexpected exception is answered with a 500 and logged; none may have happened.
    text = log.read_text(errors="replace")
    assert "Traceback" not in text, text[text.find("Traceback") - 200:][:4000]


def _schema(examples: int, *, schema_examples: bool = True) -> schemathesis.BaseSchema:
    config = schemathesis.Config.from_dict({
        "generation": {"mode": "all", "max-examples": examples * FUZZ_SCALE},
        "phases": {
            "examples": {"enabled": schema_examples},
            # Hundreds of boundary cases per run: for `make fuzz` only.
            "coverage": {"enabled": FUZZ_SCALE > 1},
            "stateful": {"enabled": False},
        },
        # The deliberate server errors: 501 (not served) and 503 with Retry-After.
        "checks": {"not_a_server_error": {"expected-statuses": [
            "2xx", "3xx", "4xx", "501", "503",
        ]}},
    })
    return schemathesis.openapi.from_path(DOCUMENT, config=config)


def _run(name: str) -> Iterator[Counter[str]]:
    statuses: Counter[str] = Counter()
    yield statuses
    listed = ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))
    print(f"\nschemathesis {name} run: {statuses.total()} requests ({listed})")


@pytest.fixture(scope="module")
def anonymous_run() -> Iterator[Counter[str]]:
    yield from _run("anonymous")


@pytest.fixture(scope="module")
def authenticated_run() -> Iterator[Counter[str]]:
    yield from _run("authenticated")


def rdap_invariants(service: Service) -> CheckFunction:
    """The fuzzers' oracle, as a schemathesis check; personal data only for the public."""

    def rdap_oracle(
        ctx: schemathesis.CheckContext, response: schemathesis.Response, case: Case
    ) -> bool | None:
        # The probes answer for themselves; other methods on them reach the RDAP edge (405).
        if case.path in NOT_RDAP_PATHS and response.status_code != 405:
            return None
        anonymous = "Authorization" not in response.request.headers
        headers = {name.title(): values[0] for name, values in response.headers.items()}
        problems = rdap_problems(response.status_code, headers, response.content,
                                 service.secrets if anonymous else frozenset())
        if case.path in NOT_SERVED_PATHS:
            # The oracle knows only the deliberate 503; these 501s are deliberate too.
            problems = [problem for problem in problems if problem != "status 501"]
        cache_control = headers.get("Cache-Control", "")
        if not anonymous and cache_control.startswith("public"):
            problems.append("an answer to an accredited client is publicly cacheable")
        if anonymous and "private" in cache_control:
            problems.append("an anonymous answer is marked private")
        assert not problems, f"{response.status_code}: {'; '.join(problems)}"
        return None

    return rdap_oracle


def call_and_check(
    case: Case, service: Service, token: str | None = None
) -> schemathesis.Response:
    headers: dict[str, Any] = {} if token is None else {"Authorization": f"Bearer {token}"}
    response = case.call(base_url=service.url, headers=headers, timeout=15)
    case.validate_response(response, checks=CHECKS, headers=headers,
                           additional_checks=[rdap_invariants(service)])
    return response


def test_the_service_publishes_the_document_tested_here(service: Service) -> None:
    published = schemathesis.openapi.from_url(f"{service.url}/openapi.yaml")
    assert published.raw_schema == PUBLIC.raw_schema
    with urllib.request.urlopen(f"{service.url}/openapi.yaml", timeout=5) as response:
        assert response.read() == DOCUMENT.read_bytes()


PUBLIC = _schema(ANONYMOUS_EXAMPLES)
# Accredited clients authenticate on the RDAP operations only (not the page or probes).
# Which client asks is drawn by hypothesis, which cannot be combined with the schema's
# own examples: the showcases below send those as accredited clients.
ACCREDITED = _schema(AUTHENTICATED_EXAMPLES, schema_examples=False).exclude(
    tag=["page", "operations", "cors"]
)
LE_PURPOSE = {"roidc1_qp": "criminalInvestigationAndDNSAbuse"}


# Known requests, so that every documented answer is met whatever the fuzzer draws:
# (status, method, path, path parameters, query, accredited client). A client name that
# was never accredited is sent as the token itself.
SHOWCASES: list[tuple[int, str, str, dict[str, str], dict[str, str], str | None]] = [
    (200, "GET", "/domain/{name}", {"name": "example.coop"}, {}, None),
    (200, "GET", "/domain/{name}", {"name": "coopérative.coop"}, {}, None),
    (200, "GET", "/domain/{name}", {"name": "協同組合.coop"}, {}, None),
    (200, "GET", "/domain/{name}", {"name": "disputed.coop"}, {"caseReference": "D2026-0042"},
     "udrp"),
    (200, "GET", "/domain/{name}", {"name": "open-books.coop"}, LE_PURPOSE, "police"),
    (200, "GET", "/domain/{name}", {"name": "example.coop"}, {}, "registrar"),
    (404, "GET", "/domain/{name}", {"name": "housing.coop"}, {}, None),
    (400, "GET", "/domain/{name}", {"name": "-bad-.coop"}, {}, None),
    (401, "GET", "/domain/{name}", {"name": "example.coop"}, {}, "not-a-token"),
    (403, "GET", "/domain/{name}", {"name": "example.coop"}, {"roidc1_qp": "legalActions"},
     "udrp"),
    (200, "HEAD", "/domain/{name}", {"name": "expiring.coop"}, {}, None),
    (204, "OPTIONS", "/domain/{name}", {"name": "example.coop"}, {}, None),
    (200, "GET", "/nameserver/{name}", {"name": "ns1.example.coop"}, {}, None),
    (200, "GET", "/entity/{handle}", {"handle": "1234"}, {}, None),
    (404, "GET", "/entity/{handle}", {"handle": "C5-COOP"}, {}, None),
    (200, "GET", "/help", {}, {}, None),
    (200, "GET", "/help", {}, {}, "registrar"),
    (200, "GET", "/domains", {}, {"name": "ex*", "fieldSet": "brief", "count": "true",
                                  "sort": "registrationDate:d"}, None),
    (200, "GET", "/domains", {}, {"nsLdhName": "ns1.example.coop", "fieldSet": "id"}, None),
    (200, "GET", "/domains", {}, {"nsIp": "192.0.2.53"}, None),
    (422, "GET", "/domains", {}, {"name": "*"}, None),
    (200, "GET", "/domains", {}, {"name": "ex*"}, "udrp"),
    (200, "GET", "/nameservers", {}, {"name": "ns1.example.coop"}, None),
    (200, "GET", "/nameservers", {}, {"ip": "2001:db8::53", "fieldSet": "brief"}, None),
    (200, "GET", "/entities", {}, {"handle": "12*"}, None),
    (200, "GET", "/entities", {}, {"fn": "Coop*", "fieldSet": "id"}, None),
    (200, "GET", "/domains/reverse_search/entity", {}, {"fn": "Alex Morgan", **LE_PURPOSE},
     "police"),
    (403, "GET", "/domains/reverse_search/entity", {}, {"fn": "Alex Morgan"}, None),
    (501, "GET", "/ip/{tail}", {"tail": "192.0.2.0/24"}, {}, None),
    (501, "GET", "/autnum/{tail}", {"tail": "64496"}, {}, None),
    (200, "GET", "/health", {}, {}, None),
    (200, "GET", "/ready", {}, {}, None),
    (200, "GET", "/", {}, {}, None),
    (200, "GET", "/static/{name}", {"name": "lookup.js"}, {}, None),
    (200, "GET", "/static/{name}", {"name": "favicon.svg"}, {}, None),
    (200, "GET", "/openapi.yaml", {}, {}, None),
]


def _showcase_id(status: int, method: str, path: str, parameters: dict[str, str],
                 query: dict[str, str], client: str | None) -> str:
    target = path.format(**parameters) + (f"?{urlencode(query)}" if query else "")
    return f"{method} {target}" + (f" as {client}" if client else "")


@pytest.mark.parametrize(("status", "method", "path", "parameters", "query", "client"),
                         [pytest.param(*row, id=_showcase_id(*row)) for row in SHOWCASES])
def test_showcase_requests_answer_as_documented(
    status: int, method: str, path: str, parameters: dict[str, str], query: dict[str, str],
    client: str | None, service: Service,
) -> None:
    case = PUBLIC[path][method].Case(path_parameters=parameters, query=query)
    token = None if client is None else service.tokens.get(client, client)
    assert call_and_check(case, service, token).status_code == status


def test_a_matching_entity_tag_gets_the_documented_304(service: Service) -> None:
    lookup = PUBLIC["/domain/{name}"]["GET"]
    first = call_and_check(lookup.Case(path_parameters={"name": "example.coop"}), service)
    etag = first.headers["etag"][0]
    again = lookup.Case(path_parameters={"name": "example.coop"}, headers={"If-None-Match": etag})
    assert call_and_check(again, service).status_code == 304


def test_every_page_of_a_search_is_documented(service: Service) -> None:
    search = PUBLIC["/domains"]["GET"]
    query = {"name": "e*", "count": "true", "sort": "registrationDate:d", "fieldSet": "brief"}
    case, pages = search.Case(query=query), 0
    while True:
        response = call_and_check(case, service)
        pages += 1
        paging = response.json()["paging_metadata"]
        if "links" not in paging:
            break
        cursor = parse_qs(urlsplit(paging["links"][0]["href"]).query)["cursor"][0]
        case = search.Case(query={**query, "cursor": cursor})
    # 20 domains in the sample registry start with "e", five to a page.
    assert pages == paging["pageNumber"] == 4 and paging["totalCount"] == 20


@PUBLIC.parametrize()
def test_every_operation_answers_the_public_as_documented(
    case: Case, service: Service, anonymous_run: Counter[str]
) -> None:
    response = call_and_check(case, service)
    anonymous_run[str(response.status_code)] += 1


@ACCREDITED.parametrize()
@ACCREDITED.given(client=st.sampled_from(ACCREDITED_CLIENTS))
def test_every_operation_answers_accredited_clients_as_documented(
    case: Case, client: str, service: Service, authenticated_run: Counter[str]
) -> None:
    response = call_and_check(case, service, service.tokens[client])
    authenticated_run[str(response.status_code)] += 1
