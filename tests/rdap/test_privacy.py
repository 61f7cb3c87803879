"""Privacy as a correctness property: no withheld datum ever reaches a public answer.

For any registered domain, queried in any spelling, the public response (body and
headers) must not contain a single personal datum its contacts did not consent to
publish -- and nameserver, registrar, contact-handle and error answers must not
either. The secrets are read straight from the replica with the owner role,
independently of the service's own query layer and policy.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import asyncpg
import jsonpath
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import PROXY_HEADERS, SampleDatabase
from tests.conftest import RdapClient as Client

# Which stored columns each EPP disclose flag publishes (RFC 5733 §2.9).
FLAG_COLUMNS = {
    "name": ("name",),
    "addr": ("street", "city", "postal_code"),
    "voice": ("voice", "voice_ext"),
    "fax": ("fax", "fax_ext"),
    "email": ("email",),
}

CONTACTS_OF_DOMAINS = """
SELECT d.ldh_name, d.unicode_name, c.*
  FROM domain d
  JOIN (SELECT roid AS domain_roid, registrant_roid AS contact_roid FROM domain
         WHERE registrant_roid IS NOT NULL
        UNION ALL SELECT domain_roid, contact_roid FROM domain_contact) AS dc
    ON dc.domain_roid = d.roid
  JOIN contact c ON c.roid = dc.contact_roid
"""

PUBLIC_STRINGS = """
SELECT name, url, city, coalesce(state_province, ''), email, abuse_email, abuse_phone,
       coalesce(phone, ''), coalesce(postal_code, ''), array_to_string(street, ' ')
  FROM registrar
UNION ALL
SELECT coalesce(organisation, ''), coalesce(state_province, ''), country_code, '', '', '',
       '', '', '', '' FROM contact
"""


@dataclass(frozen=True, slots=True)
class DomainSecrets:
    ldh_name: str
    unicode_name: str | None
    secrets: frozenset[str]


def _withheld_values(row: Any) -> set[str]:
    """Every stored value of a contact that the public may not see."""
    values = {row["roid"]}
    for flag, columns in FLAG_COLUMNS.items():
        if flag in row["disclose"]:
            continue
        for column in columns:
            value = row[column]
            if isinstance(value, list):
                values.update(value)
            elif value:
                values.add(value)
    return values


async def _load_secrets(admin_dsn: str) -> list[DomainSecrets]:
    connection = await asyncpg.connect(admin_dsn)
    try:
        public: set[str] = set()
        for record in await connection.fetch(PUBLIC_STRINGS):
            public.update(str(value) for value in record.values() if value)
        by_domain: dict[str, tuple[str | None, set[str]]] = {}
        for row in await connection.fetch(CONTACTS_OF_DOMAINS):
            _, secrets = by_domain.setdefault(row["ldh_name"], (row["unicode_name"], set()))
            secrets.update(_withheld_values(row))
    finally:
        await connection.close()
    # A value that is also public elsewhere (a city shared with a registrar's address,
    # say) cannot be told apart in a response; short fragments match by accident.
    return [
        DomainSecrets(name, unicode_name, frozenset(s for s in secrets - public if len(s) >= 4))
        for name, (unicode_name, secrets) in sorted(by_domain.items())
    ]


@pytest.fixture(scope="module")
def domain_secrets(test_database: SampleDatabase) -> list[DomainSecrets]:
    cases = asyncio.run(_load_secrets(test_database.admin_dsn))
    assert len(cases) > 100
    return cases


def spellings(case: DomainSecrets) -> list[str]:
    names = [case.ldh_name, case.ldh_name.upper(), case.ldh_name + "."]
    if case.unicode_name:
        names.append(case.unicode_name)
    return names


async def assert_leaks_nothing(rdap: Client, path: str, secrets: frozenset[str]) -> Any:
    response = await rdap.get(path, headers=PROXY_HEADERS)
    body = (await response.read()).decode("utf-8")
    header_text = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    for secret in secrets:
        assert secret not in body, f"withheld datum in public body of {path}"
        assert secret not in header_text, f"withheld datum in public headers of {path}"
    return response.status, orjson.loads(body)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
async def test_no_withheld_datum_in_any_public_domain_answer(
    rdap: Client, domain_secrets: list[DomainSecrets], data: st.DataObject
) -> None:
    case = data.draw(st.sampled_from(domain_secrets))
    spelling = data.draw(st.sampled_from(spellings(case)))
    status, body = await assert_leaks_nothing(rdap, "/domain/" + spelling, case.secrets)
    assert status == 200
    assert_redactions_evaluate(body)


def assert_redactions_evaluate(body: dict[str, Any]) -> None:
    """RFC 9537 paths must evaluate as their method says on the returned document."""
    for entry in body.get("redacted", []):
        if entry.get("method", "removal") == "removal":
            assert jsonpath.findall(entry["prePath"], body) == [], entry
        else:
            found = jsonpath.findall(entry["postPath"], body)
            assert found and all(value == "" for value in found), entry


async def test_every_showcase_and_sample_domain_is_clean(
    rdap: Client, domain_secrets: list[DomainSecrets]
) -> None:
    all_secrets = frozenset().union(*(case.secrets for case in domain_secrets))
    for case in domain_secrets[:150]:
        await assert_leaks_nothing(rdap, "/domain/" + case.ldh_name, case.secrets)
    for path in ("/nameserver/ns1.example.coop", "/entity/1234", "/help", "/entity/C1-COOP",
                 "/entity/C2-COOP", "/domain/housing.coop", "/domain/a..coop"):
        await assert_leaks_nothing(rdap, path, all_secrets)


async def test_example_coop_shows_only_public_registrant_data(rdap: Client) -> None:
    _, body = await assert_leaks_nothing(rdap, "/domain/example.coop", frozenset())
    registrant = next(e for e in body["entities"] if e["roles"] == ["registrant"])
    properties = {item[0]: item for item in registrant["vcardArray"][1]}
    assert properties["fn"][3] == ""
    assert properties["org"][3] == "Example Cooperative Society Ltd"
    adr = properties["adr"]
    assert adr[1] == {"cc": "GB"}
    assert adr[3][4] == "Greater Manchester"
    assert adr[3][2] == adr[3][3] == adr[3][5] == ""
    assert "tel" not in properties and "email" not in properties
    assert "handle" not in registrant
    redacted = {entry["name"]["type"] for entry in body["redacted"]}
    assert {"Registry Registrant ID", "Registrant Name", "Registrant Street", "Registrant City",
            "Registrant Postal Code", "Registrant Phone", "Registrant Phone Ext",
            "Registrant Fax", "Registrant Email", "Registry Tech ID", "Tech Name", "Tech Phone",
            "Tech Email"} <= redacted
    assert "redacted" in body["rdapConformance"]
    assert_redactions_evaluate(body)


async def test_consented_data_is_shown_and_not_marked_redacted(rdap: Client) -> None:
    _, body = await assert_leaks_nothing(rdap, "/domain/open-books.coop", frozenset())
    registrant = next(e for e in body["entities"] if e["roles"] == ["registrant"])
    properties = {item[0] for item in registrant["vcardArray"][1]}
    assert {"fn", "tel", "email"} <= properties
    fn = next(item for item in registrant["vcardArray"][1] if item[0] == "fn")
    assert fn[3] != ""
    redacted = {entry["name"]["type"] for entry in body.get("redacted", [])}
    assert not {"Registrant Name", "Registrant Phone", "Registrant Email"} & redacted
    assert "Registrant Street" in redacted
    assert_redactions_evaluate(body)
