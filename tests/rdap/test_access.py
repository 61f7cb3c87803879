"""Lawful access end to end: tiers, tokens, purposes, reverse search and the audit trail."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rdap_coop.app import create_app
from rdap_coop.cli import main as rdap_coop_main
from rdap_coop.core.access import AccessControl, build_access_control
from rdap_coop.core.audit import AuditLog, DisclosureRecord, verify_audit_log
from rdap_coop.core.clients_file import add_client
from rdap_coop.core.config import AccessSettings, Settings
from rdap_coop.core.metrics import Metrics
from rdap_coop.core.queries import Registry
from rdap_coop.core.ratelimit_setup import LimiterHandle
from rdap_coop.core.redaction import AccessTier
from tests.conftest import PROXY_HEADERS, DomainSecrets, SampleDatabase
from tests.conftest import RdapClient as Client
from tests.whois_client import ask_whois
from whois_coop.server import WhoisServer

GOLDEN = Path(__file__).parent.parent / "golden"
LE_PURPOSE = "criminalInvestigationAndDNSAbuse"


@dataclass
class Accredited:
    clients_file: Path
    audit_log: Path
    tokens: dict[str, str]


EXPIRY_SECONDS = 2


def accredit(directory: Path) -> Accredited:
    path = directory / "clients.toml"
    now = datetime.now(UTC)
    tokens = {}
    elsewhere = (ip_network("203.0.113.0/24"),)
    soon = now + timedelta(seconds=EXPIRY_SECONDS)
    for name, tier, organisation, registrar, networks, expires in [
        ("registrar", AccessTier.REGISTRAR, "Cooperative Names Registrar Ltd", 1234, (), None),
        ("other-registrar", AccessTier.REGISTRAR, "Another Registrar", 1456, (), None),
        ("udrp", AccessTier.UDRP_PROVIDER, "WIPO Arbitration and Mediation Center", None, (),
         None),
        ("police", AccessTier.LAW_ENFORCEMENT, "Example Police Cyber Unit", None, (), None),
        ("wrong-address", AccessTier.UDRP_PROVIDER, "Elsewhere Provider", None, elsewhere, None),
        ("expired", AccessTier.UDRP_PROVIDER, "Expired Provider", None, (), soon),
    ]:
        _, tokens[name] = add_client(
            path, tier=tier, organisation=organisation, registrar_id=registrar,
            networks=networks, expires_at=expires, now=now,
        )
    # Revoke one client by editing the file, as an operator would.
    _, tokens["revoked"] = add_client(
        path, tier=AccessTier.UDRP_PROVIDER, organisation="Revoked Provider",
        registrar_id=None, now=now,
    )
    text = path.read_text()
    head, _, last = text.rpartition("[[client]]")
    path.write_text(head + "[[client]]" + last.rstrip("\n") + "\nrevoked = true\n"
                    + '\n[[whois_allow]]\nnetwork = "127.0.0.2/32"\ntier = "law_enforcement"\n'
                    + 'organisation = "Example Police Cyber Unit"\n'
                    + f'purpose = "{LE_PURPOSE}"\n')
    return Accredited(path, directory / "audit.jsonl", tokens)


@pytest.fixture
def accredited(tmp_path: Path) -> Accredited:
    return accredit(tmp_path)


@pytest.fixture
def access(accredited: Accredited) -> AccessControl:
    return build_access_control(AccessSettings(accredited.clients_file, accredited.audit_log))


@pytest.fixture
async def client(
    settings: Settings, registry: Registry, limiter: LimiterHandle, access: AccessControl
) -> AsyncIterator[Client]:
    test_client: Client = TestClient(
        TestServer(create_app(settings, registry, limiter, Metrics(), access))
    )
    await test_client.start_server()
    try:
        yield test_client
    finally:
        await test_client.close()


async def get(client: Client, path: str, token: str | None = None) -> tuple[int, Any, Any]:
    headers = dict(PROXY_HEADERS)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    response = await client.get(path, headers=headers)
    return response.status, response.headers, orjson.loads(await response.read())


def registrant(document: dict[str, Any]) -> dict[str, Any]:
    return next(e for e in document["entities"] if e["roles"] == ["registrant"])


def fn_of(entity: dict[str, Any]) -> str:
    return str(next(p for p in entity["vcardArray"][1] if p[0] == "fn")[3])


async def test_udrp_provider_sees_the_registrant_and_it_is_audited(
    client: Client, accredited: Accredited
) -> None:
    status, headers, body = await get(
        client, "/domain/disputed.coop?caseReference=D2026-0042", accredited.tokens["udrp"]
    )
    assert status == 200
    assert fn_of(registrant(body)) == "Alex Morgan"
    assert registrant(body)["handle"] == "C5-COOP"
    assert "redacted" not in body and "redacted" not in body["rdapConformance"]
    assert headers["Cache-Control"] == "private, no-store"
    assert "Authorization" in headers["Vary"]
    assert any("D2026-0042" in " ".join(n["description"]) for n in body["notices"])
    records = [json.loads(line) for line in accredited.audit_log.read_text().splitlines()]
    assert len(records) == 1
    record = records[0]
    assert record["tier"] == "udrp_provider" and record["purpose"] == "domainNameControl"
    assert record["case_reference"] == "D2026-0042"
    assert record["object_handles"] == ["D4-COOP"]
    assert "Registrant Name" in record["disclosed_fields"]
    assert "Alex Morgan" not in accredited.audit_log.read_text()
    assert verify_audit_log(accredited.audit_log).ok
    # The public still gets the redacted view.
    status, headers, public = await get(client, "/domain/disputed.coop")
    assert fn_of(registrant(public)) == ""
    assert "private" not in headers.get("Cache-Control", "")


async def test_a_registrar_sees_its_own_domains_in_full_and_others_redacted(
    client: Client, accredited: Accredited, test_database: SampleDatabase
) -> None:
    _, _, own = await get(client, "/domain/example.coop", accredited.tokens["registrar"])
    assert fn_of(registrant(own)) == "Jane Cooper"
    _, _, not_own = await get(client, "/domain/example.coop", accredited.tokens["other-registrar"])
    assert fn_of(registrant(not_own)) == ""
    assert "Registrant Name" in {e["name"]["type"] for e in not_own["redacted"]}
    connection = await asyncpg.connect(test_database.admin_dsn)
    try:
        other = await connection.fetchval(
            "SELECT ldh_name FROM domain WHERE registrar_id = 1456 AND registrant_roid IS NOT NULL"
            " ORDER BY ldh_name LIMIT 1"
        )
    finally:
        await connection.close()
    _, _, theirs = await get(client, f"/domain/{other}", accredited.tokens["other-registrar"])
    assert "redacted" not in theirs
    _, _, mine = await get(client, f"/domain/{other}", accredited.tokens["registrar"])
    assert "Registrant Name" in {e["name"]["type"] for e in mine["redacted"]}


async def test_pages_that_show_no_registration_data_are_not_audited(
    client: Client, accredited: Accredited
) -> None:
    headers = {**PROXY_HEADERS, "Authorization": f"Bearer {accredited.tokens['registrar']}"}
    for path in ("/", "/static/lookup.css", "/openapi.yaml"):
        response = await client.get(path, headers=headers)
        assert response.status == 200, path
        assert response.headers["Cache-Control"] == "private, no-store"  # still private
    assert not accredited.audit_log.exists() or accredited.audit_log.read_text() == ""
    await get(client, "/domain/example.coop", accredited.tokens["registrar"])
    assert len(accredited.audit_log.read_text().splitlines()) == 1  # a lookup still is


@pytest.mark.parametrize(
    ("token_name", "reason"),
    [("bogus", "unknown"), ("revoked", "revoked"), ("wrong-address", "wrong_address")],
)
async def test_bad_credentials_get_401_and_nothing_else(
    client: Client, accredited: Accredited, token_name: str, reason: str
) -> None:
    token = accredited.tokens.get(token_name, "not-a-real-token")
    status, headers, body = await get(client, "/domain/disputed.coop", token)
    assert status == 401
    assert headers["WWW-Authenticate"].startswith("Bearer")
    assert headers["Content-Type"] == "application/rdap+json"
    assert body["errorCode"] == 401 and "entities" not in body
    assert token not in orjson.dumps(body).decode()


async def test_malformed_and_expired_credentials(client: Client, accredited: Accredited) -> None:
    response = await client.get(
        "/domain/disputed.coop", headers={**PROXY_HEADERS, "Authorization": "Basic Zm9vOmJhcg=="}
    )
    assert response.status == 401
    assert (await get(client, "/help", accredited.tokens["expired"]))[0] == 200
    await asyncio.sleep(EXPIRY_SECONDS + 0.1)
    assert (await get(client, "/help", accredited.tokens["expired"]))[0] == 401


async def test_purposes_are_checked(client: Client, accredited: Accredited) -> None:
    police = accredited.tokens["police"]
    assert (await get(client, "/domain/example.coop", police))[0] == 400  # none stated
    status, _, body = await get(client, f"/domain/example.coop?roidc1_qp={LE_PURPOSE}", police)
    assert status == 200 and fn_of(registrant(body)) == "Jane Cooper"
    assert (await get(client, "/domain/example.coop?roidc1_qp=domainNameControl", police))[0] == 403
    assert (await get(client, "/domain/example.coop?roidc1_qp=nosy", police))[0] == 400
    bad_case = "/domain/example.coop?caseReference=%3Cscript%3E"
    assert (await get(client, bad_case, accredited.tokens["udrp"]))[0] == 400


async def test_reverse_search_is_for_law_enforcement_only(
    client: Client, accredited: Accredited
) -> None:
    query = f"/domains/reverse_search/entity?fn=jane%20cooper&roidc1_qp={LE_PURPOSE}"
    status, _, body = await get(client, query, accredited.tokens["police"])
    assert status == 200
    assert "reverse_search" in body["rdapConformance"]
    assert [d["ldhName"] for d in body["domainSearchResults"]] == ["example.coop"]
    email = (
        "/domains/reverse_search/entity?email=NOC@example-coop.test&role=technical"
        f"&roidc1_qp={LE_PURPOSE}"
    )
    _, _, by_email = await get(client, email, accredited.tokens["police"])
    assert [d["ldhName"] for d in by_email["domainSearchResults"]] == ["example.coop"]
    assert (await get(client, "/domains/reverse_search/entity?fn=Jane%20Cooper",
                      accredited.tokens["udrp"]))[0] == 403
    assert (await get(client, "/domains/reverse_search/entity?fn=Jane%20Cooper"))[0] == 403
    bad = f"/domains/reverse_search/entity?fn=Jane*&roidc1_qp={LE_PURPOSE}"
    assert (await get(client, bad, accredited.tokens["police"]))[0] == 400


async def test_no_audit_log_means_no_disclosure(
    settings: Settings, registry: Registry, limiter: LimiterHandle, accredited: Accredited,
    tmp_path: Path,
) -> None:
    unwritable = tmp_path / "no-such-dir" / "audit.jsonl"
    access = build_access_control(AccessSettings(accredited.clients_file, unwritable))
    app = create_app(settings, registry, limiter, None, access)
    test_client: Client = TestClient(TestServer(app))
    await test_client.start_server()
    try:
        status, headers, body = await get(test_client, "/domain/disputed.coop",
                                          accredited.tokens["udrp"])
    finally:
        await test_client.close()
    assert status == 503 and "Retry-After" in headers
    assert "Alex Morgan" not in orjson.dumps(body).decode()


TIER_TOKENS = ["registrar", "udrp", "police"]


@pytest.mark.parametrize("who", TIER_TOKENS)
@pytest.mark.parametrize("name", ["example.coop", "disputed.coop", "open-books.coop"])
async def test_golden_per_tier(
    client: Client, accredited: Accredited, request: pytest.FixtureRequest, who: str, name: str
) -> None:
    purpose = f"?roidc1_qp={LE_PURPOSE}" if who == "police" else ""
    status, _, body = await get(client, f"/domain/{name}{purpose}", accredited.tokens[who])
    rendered = orjson.dumps({"status": status, "body": body}, option=orjson.OPT_INDENT_2) + b"\n"
    path = GOLDEN / f"tier-{who}-{name.removesuffix('.coop')}.json"
    if request.config.getoption("--update-golden"):
        path.write_bytes(rendered)
    assert rendered.decode() == path.read_text(encoding="utf-8")


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
async def test_no_tier_receives_more_than_its_entitlement(
    client: Client, accredited: Accredited, domain_secrets: list[DomainSecrets],
    data: st.DataObject,
) -> None:
    case = data.draw(st.sampled_from(domain_secrets))
    who = data.draw(st.sampled_from(["public", "registrar", "other-registrar", "udrp"]))
    token = None if who == "public" else accredited.tokens[who]
    _, _, public = await get(client, f"/domain/{case.ldh_name}")
    status, _, body = await get(client, f"/domain/{case.ldh_name}", token)
    assert status == 200
    sponsor = next(e for e in body["entities"] if e["roles"] == ["registrar"])["handle"]
    entitled = who == "udrp" or (who == "registrar" and sponsor == "1234") or (
        who == "other-registrar" and sponsor == "1456")
    if entitled:
        assert "redacted" not in body
    else:
        # Not entitled: exactly the public view, and none of its secrets.
        assert body.get("redacted") == public.get("redacted")
        text = orjson.dumps(body).decode()
        assert not any(secret in text for secret in case.secrets)


async def test_whois_is_public_except_for_allow_listed_ranges(
    settings: Settings, registry: Registry, limiter: LimiterHandle,
    access: AccessControl, accredited: Accredited,
) -> None:
    server = WhoisServer(registry, settings.whois, limiter, access=access)
    await server.start(hosts=["127.0.0.1"], port=0)

    async def ask(source: str) -> str:
        return (await ask_whois(server.ports[0], b"disputed.coop\r\n", source=source)).decode()

    try:
        assert "Registrant Name: REDACTED FOR PRIVACY" in await ask("127.0.0.1")
        assert "Registrant Name: Alex Morgan" in await ask("127.0.0.2")
    finally:
        await server.stop()
    record = json.loads(accredited.audit_log.read_text().splitlines()[-1])
    assert record["service"] == "whois" and record["tier"] == "law_enforcement"
    assert record["purpose"] == LE_PURPOSE


def test_clients_add_prints_the_token_last_and_audit_verify_exits_by_the_chain(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], accredited: Accredited
) -> None:
    clients = tmp_path / "new-clients.toml"
    assert rdap_coop_main(["clients", "add", "--file", str(clients), "--tier", "udrp_provider",
                           "--organisation", "Czech Arbitration Court"]) == 0
    token = capsys.readouterr().out.strip().splitlines()[-1]
    directory = build_access_control(AccessSettings(clients, tmp_path / "a.jsonl")).directory
    assert directory is not None
    found = directory.authenticate(f"Bearer {token}", None, datetime.now(UTC))
    assert found is not None and found.organisation == "Czech Arbitration Court"
    assert token not in clients.read_text()
    # Verify: intact, then tampered.
    log = tmp_path / "audit.jsonl"
    audit = AuditLog(log)
    for handle in ("D1-COOP", "D4-COOP"):
        audit.append(DisclosureRecord(
            time=datetime.now(UTC), request_id="r1", service="rdap", client_id=found.client_id,
            organisation=found.organisation, tier=found.tier, purpose="domainNameControl",
            case_reference="D2026-0001", query=f"/domain/{handle}", object_handles=(handle,),
            disclosed_fields=("Registrant Name",), client_address="192.0.2.1",
        ))
    assert rdap_coop_main(["audit", "verify", str(log)]) == 0
    log.write_text(log.read_text().replace("D2026-0001", "D2026-0002", 1))
    assert rdap_coop_main(["audit", "verify", str(log)]) == 1
