"""RDAP searches end to end: every form, paging by cursor, sorting, field sets, privacy."""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson
import pytest

from tests.conftest import PROXY_HEADERS, DomainSecrets, SampleDatabase
from tests.conftest import RdapClient as Client
from tests.rdap.test_privacy import assert_redactions_evaluate


async def get(client: Client, path: str) -> tuple[int, Any]:
    response = await client.get(path, headers=PROXY_HEADERS)
    assert response.headers["Content-Type"] == "application/rdap+json"
    return response.status, orjson.loads(await response.read())


def names(body: dict[str, Any], member: str = "domainSearchResults") -> list[str]:
    return [item["ldhName"] for item in body[member]]


async def follow_all_pages(client: Client, path: str) -> tuple[list[str], list[dict[str, Any]]]:
    collected: list[str] = []
    pages: list[dict[str, Any]] = []
    while True:
        status, body = await get(client, path)
        assert status == 200
        pages.append(body)
        collected += names(body)
        links = body["paging_metadata"].get("links", [])
        if not links:
            return collected, pages
        assert links[0]["rel"] == "next"
        path = links[0]["href"].removeprefix("https://rdap.nic.coop")


async def expected_names(test_database: SampleDatabase, like: str) -> list[str]:
    connection = await asyncpg.connect(test_database.admin_dsn)
    try:
        rows = await connection.fetch(
            'SELECT ldh_name FROM domain WHERE ldh_name COLLATE "C" LIKE $1 '
            'ORDER BY ldh_name COLLATE "C"', like)
        return [row[0] for row in rows]
    finally:
        await connection.close()


async def test_paging_through_a_prefix_returns_every_name_once(
    rdap: Client, test_database: SampleDatabase
) -> None:
    got, pages = await follow_all_pages(rdap, "/domains?name=co*&count=true")
    want = await expected_names(test_database, "co%.coop")
    assert len(want) > 25  # more than one page
    assert got == want
    first = pages[0]
    assert first["paging_metadata"]["totalCount"] == len(want)
    assert [page["paging_metadata"]["pageNumber"] for page in pages] == list(
        range(1, len(pages) + 1))
    for member in ("paging", "sorting", "subsetting"):
        assert member in first["rdapConformance"]
    assert first["sorting_metadata"]["currentSort"] == "name"
    assert first["subsetting_metadata"]["currentFieldSet"] == "full"


async def test_sorting_by_registration_date_descending(rdap: Client) -> None:
    status, body = await get(rdap, "/domains?name=co*&sort=registrationDate:d")
    assert status == 200
    dates = [next(e["eventDate"] for e in item["events"] if e["eventAction"] == "registration")
             for item in body["domainSearchResults"]]
    assert dates == sorted(dates, reverse=True)
    assert body["sorting_metadata"]["currentSort"] == "registrationDate:d"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/domains?name=example.coop", ["example.coop"]),
        ("/domains?name=EXAMPLE.COOP.", ["example.coop"]),
        ("/domains?name=%E5%8D%94%E5%90%8C*.coop", ["xn--3kr4pla2233b.coop"]),
        ("/domains?name=%E5%8D%94%E5%90%8C%E7%B5%84%E5%90%88.coop", ["xn--3kr4pla2233b.coop"]),
        ("/domains?nsLdhName=ns1.example.coop", ["example.coop"]),
        ("/domains?nsIp=192.0.2.53", ["example.coop"]),
        ("/domains?nsIp=2001:db8:0:0::53", ["example.coop"]),
    ],
)
async def test_domain_search_forms(rdap: Client, path: str, expected: list[str]) -> None:
    status, body = await get(rdap, path)
    assert status == 200
    assert names(body) == expected


async def test_a_unicode_prefix_matches_unicode_names(rdap: Client) -> None:
    _, body = await get(rdap, "/domains?name=COOP%C3%89*")
    assert "xn--cooprative-e7a.coop" in names(body)
    assert all(item["unicodeName"].startswith("coopé") for item in body["domainSearchResults"])
    _, ascii_prefix = await get(rdap, "/domains?name=coop*")
    assert "xn--cooprative-e7a.coop" not in names(ascii_prefix)


async def test_nameserver_and_entity_searches(rdap: Client) -> None:
    _, body = await get(rdap, "/nameservers?name=ns*.example.coop")
    assert names(body, "nameserverSearchResults") == ["ns1.example.coop", "ns2.example.coop"]
    _, body = await get(rdap, "/nameservers?ip=2001:db8::53")
    assert names(body, "nameserverSearchResults") == ["ns1.example.coop"]
    _, body = await get(rdap, "/entities?fn=cooperative%20names*")
    assert [e["handle"] for e in body["entitySearchResults"]] == ["1234"]
    _, body = await get(rdap, "/entities?handle=1234")
    assert [e["roles"] for e in body["entitySearchResults"]] == [["registrar"]]
    _, body = await get(rdap, "/entities?fn=nobody*")
    assert body["entitySearchResults"] == []


async def test_field_sets(rdap: Client) -> None:
    _, ids = await get(rdap, "/domains?name=example.coop&fieldSet=id")
    assert set(ids["domainSearchResults"][0]) <= {
        "objectClassName", "handle", "ldhName", "unicodeName", "links"}
    assert "redacted" not in ids
    _, brief = await get(rdap, "/domains?name=example.coop&fieldSet=brief")
    assert "status" in brief["domainSearchResults"][0]
    assert "entities" not in brief["domainSearchResults"][0]
    _, full = await get(rdap, "/domains?name=example.coop&fieldSet=full")
    assert "entities" in full["domainSearchResults"][0]
    assert full["redacted"][0]["prePath"].startswith("$.domainSearchResults[0]")
    assert_redactions_evaluate(full)


async def test_tampered_and_foreign_cursors_are_refused(rdap: Client) -> None:
    _, body = await get(rdap, "/domains?name=co*")
    href = body["paging_metadata"]["links"][0]["href"]
    cursor = href.split("cursor=")[1]
    tampered = cursor[:-2] + ("A" if cursor[-2] != "A" else "B") + cursor[-1]
    status, error = await get(rdap, f"/domains?name=co*&cursor={tampered}")
    assert status == 400 and error["errorCode"] == 400
    status, _ = await get(rdap, f"/domains?name=ex*&cursor={cursor}")
    assert status == 400  # bound to its query
    status, _ = await get(rdap, f"/domains?name=co*&sort=expirationDate&cursor={cursor}")
    assert status == 400  # and to its sort


async def test_search_results_leak_nothing(
    rdap: Client, domain_secrets: list[DomainSecrets]
) -> None:
    # One domain's consented city may be another's withheld one, so each result is
    # checked against its own domain's secrets.
    secrets_by_name = {case.ldh_name: case.secrets for case in domain_secrets}
    prefixes = sorted({case.ldh_name[:2] for case in domain_secrets
                       if case.ldh_name[:2].isalpha()})[:12]
    for prefix in prefixes:
        status, body = await get(rdap, f"/domains?name={prefix}*")
        assert status == 200
        for result in body["domainSearchResults"]:
            text = orjson.dumps(result).decode()
            secrets = secrets_by_name.get(result["ldhName"], frozenset())
            assert not [secret for secret in secrets if secret in text]
        assert_redactions_evaluate(body)
