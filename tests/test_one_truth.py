"""WHOIS and RDAP tell one truth (SPEC WHO-20), and WHOIS leaks nothing either.

For every domain of the sample registry, the port-43 record and the RDAP object
must agree on every shared datum -- dates, statuses, registrar, abuse contact,
nameservers, DNSSEC, the public contact data -- and on every redaction decision.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from rdap_coop.core.config import Settings
from rdap_coop.core.queries import Registry
from rdap_coop.core.ratelimit_setup import LimiterHandle
from rdap_coop.core.statuses import rdap_statuses
from tests.conftest import PROXY_HEADERS, DomainSecrets
from tests.conftest import RdapClient as Client
from tests.whois_client import ask_whois
from whois_coop.server import WhoisServer

REDACTED = "REDACTED FOR PRIVACY"
CONTACT_FIELDS = {
    # WHOIS key -> RFC 9537 redaction name
    "Registry Registrant ID": "Registry Registrant ID",
    "Registrant Name": "Registrant Name",
    "Registrant Street": "Registrant Street",
    "Registrant City": "Registrant City",
    "Registrant Postal Code": "Registrant Postal Code",
    "Registrant Phone": "Registrant Phone",
    "Registrant Phone Ext": "Registrant Phone Ext",
    "Registrant Fax": "Registrant Fax",
    "Registrant Fax Ext": "Registrant Fax Ext",
    "Registrant Email": "Registrant Email",
    "Registry Tech ID": "Registry Tech ID",
    "Tech Name": "Tech Name",
    "Tech Phone": "Tech Phone",
    "Tech Phone Ext": "Tech Phone Ext",
    "Tech Email": "Tech Email",
}


@pytest.fixture
async def whois(
    settings: Settings, registry: Registry, limiter: LimiterHandle
) -> AsyncIterator[WhoisServer]:
    limits = dataclasses.replace(settings.whois, max_connections_per_address=1000)
    server = WhoisServer(registry, limits, limiter)
    await server.start(hosts=["127.0.0.1"], port=0)
    try:
        yield server
    finally:
        await server.stop()


async def whois_text(server: WhoisServer, query: str) -> str:
    return (await ask_whois(server.ports[0], query.encode() + b"\r\n")).decode("utf-8")


def whois_fields(text: str) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = defaultdict(list)
    for line in text.split("\r\n"):
        if line.startswith(">>>"):
            break
        key, sep, value = line.partition(":")
        if sep:
            fields[key].append(value.strip())
    return fields


def event(rdap: dict[str, Any], action: str) -> str:
    return next((e["eventDate"] for e in rdap["events"] if e["eventAction"] == action), "")


def entity(rdap: dict[str, Any], role: str) -> dict[str, Any] | None:
    return next((e for e in rdap["entities"] if role in e["roles"]), None)


def vcard(entity_: dict[str, Any]) -> dict[str, list[Any]]:
    return {item[0]: item for item in entity_["vcardArray"][1]}


def assert_registration_agrees(rdap: dict[str, Any], whois: dict[str, list[str]]) -> None:
    assert whois["Domain Name"] == [rdap["ldhName"].upper()]
    assert whois["Registry Domain ID"] == [rdap["handle"]]
    assert whois["Creation Date"] == [event(rdap, "registration")]
    assert whois["Registry Expiry Date"] == [event(rdap, "expiration")]
    assert whois["Updated Date"] == [event(rdap, "last changed")]
    tokens = [value.split(" ")[0] for value in whois["Domain Status"]]
    assert sorted(rdap_statuses(tokens)) == sorted(rdap["status"])
    assert {ns.lower() for ns in whois["Name Server"] if ns} == {
        ns["ldhName"] for ns in rdap["nameservers"]
    }
    signed = rdap["secureDNS"]["delegationSigned"]
    assert whois["DNSSEC"] == ["signedDelegation" if signed else "unsigned"]


def assert_registrar_agrees(rdap: dict[str, Any], whois: dict[str, list[str]]) -> None:
    registrar = entity(rdap, "registrar")
    assert registrar is not None
    assert whois["Registrar"] == [vcard(registrar)["fn"][3]]
    assert whois["Registrar IANA ID"] == [registrar["handle"]]
    abuse = vcard(registrar["entities"][0])
    assert whois["Registrar Abuse Contact Email"] == [abuse["email"][3]]
    assert whois["Registrar Abuse Contact Phone"] == [abuse["tel"][3].removeprefix("tel:")]


def assert_contacts_agree(rdap: dict[str, Any], whois: dict[str, list[str]]) -> None:
    redacted = {entry["name"]["type"] for entry in rdap.get("redacted", [])}
    for key, redaction in CONTACT_FIELDS.items():
        values = whois.get(key, [""])
        withheld_in_whois = values[0] == REDACTED or values[0].startswith("Please query")
        assert withheld_in_whois == (redaction in redacted), (rdap["ldhName"], key)
    registrant = entity(rdap, "registrant")
    if registrant is not None:
        card = vcard(registrant)
        assert whois["Registrant Organization"] == [card["org"][3] if "org" in card else ""]
        assert whois["Registrant State/Province"] == [card["adr"][3][4]]
        assert whois["Registrant Country"] == [card["adr"][1]["cc"]]
        if "fn" in card and card["fn"][3]:
            assert whois["Registrant Name"] == [card["fn"][3]]


async def test_whois_and_rdap_agree_on_every_sample_domain(
    rdap: Client, whois: WhoisServer, domain_secrets: list[DomainSecrets]
) -> None:
    for case in domain_secrets:
        response = await rdap.get("/domain/" + case.ldh_name, headers=PROXY_HEADERS)
        document = orjson.loads(await response.read())
        text = await whois_text(whois, case.ldh_name)
        fields = whois_fields(text)
        assert_registration_agrees(document, fields)
        assert_registrar_agrees(document, fields)
        assert_contacts_agree(document, fields)
        for secret in case.secrets:
            assert secret not in text, f"withheld datum in the WHOIS record of {case.ldh_name}"


async def test_nameserver_and_registrar_records_agree(
    rdap: Client, whois: WhoisServer
) -> None:
    document = orjson.loads(await (await rdap.get("/nameserver/ns1.example.coop")).read())
    fields = whois_fields(await whois_text(whois, "nameserver ns1.example.coop"))
    addresses = document["ipAddresses"]["v4"] + document["ipAddresses"]["v6"]
    assert fields["Server Name"] == [document["ldhName"].upper()]
    assert fields["IP Address"] == addresses
    registrar = orjson.loads(await (await rdap.get("/entity/1234")).read())
    fields = whois_fields(await whois_text(whois, "registrar 1234"))
    card = vcard(registrar)
    assert fields["Registrar"] == [card["fn"][3]]
    assert fields["Email"] == [card["email"][3]]
    assert fields["Country"] == [card["adr"][1]["cc"]]
