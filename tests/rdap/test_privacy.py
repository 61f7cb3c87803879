"""Privacy as a correctness property: no withheld datum ever reaches a public answer.

For any registered domain, queried in any spelling, the public response (body and
headers) must not contain a single personal datum its contacts did not consent to
publish -- and nameserver, registrar, contact-handle and error answers must not
either. The secrets are read straight from the replica with the owner role,
independently of the service's own query layer and policy.
"""

from __future__ import annotations

from typing import Any

import jsonpath
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import PROXY_HEADERS, DomainSecrets
from tests.conftest import RdapClient as Client


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
