"""RDAP over HTTP, end to end against the real sample registry (SPEC §1.1-1.2, §2, §14)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from aiohttp.test_utils import TestClient

from tests.conftest import PROXY_HEADERS
from tests.conftest import RdapClient as Client

ERROR_CASES = [
    # (path, status) -- every error status the service produces on its own.
    ("/domain/exa_mple.coop", 400),
    ("/domain/a..coop", 400),
    ("/domain/" + "a" * 64 + ".coop", 400),
    ("/domain/" + ".".join(["abcdefghi"] * 30) + ".coop", 400),
    ("/domain/%FF%FE.coop", 400),
    ("/domain/xn--invalid-.coop", 400),
    ("/domain/%27%20OR%201=1%20--", 400),
    ("/domain/..%2F..%2Fetc%2Fpasswd", 400),
    ("/nameserver/bad_host!.coop", 400),
    ("/entity/not%20a%20handle", 400),
    ("/no-such-query/x", 400),
    ("/domain/" + "x" * 3000, 400),
    ("/domain/example.coop?" + "q=1&" * 5000, 400),
    ("/domain/unregistered-name-4711.coop", 404),
    ("/domain/housing.coop", 404),
    ("/domain/example.com", 404),
    ("/domain/not-a-domain.invalid", 404),
    ("/domain/www.example.coop", 404),
    ("/nameserver/ns9.nowhere.coop", 404),
    ("/entity/999999", 404),
    ("/entity/C1-COOP", 404),
    ("/ip/192.0.2.1", 501),
    ("/autnum/64496", 501),
    ("/domains?name=*", 422),
    ("/domains?name=e*a.coop", 422),
    ("/domains?name=exa*.example.coop", 422),
    ("/domains", 400),
    ("/domains?name=exa*&nsIp=192.0.2.1", 400),
    ("/nameservers?ip=999.1.1.1", 400),
    ("/entities?fn=Coop*&handle=1234", 400),
    ("/domains?name=exa*&cursor=not-a-cursor", 400),
    ("/domains?name=exa*&sort=registrant", 400),
    ("/domains?name=exa*&fieldSet=everything", 400),
]


def assert_rdap_headers(headers: Any) -> None:
    assert headers["Content-Type"] == "application/rdap+json"
    assert headers["Access-Control-Allow-Origin"] == "*"


async def get_json(client: Client, path: str, **headers: str) -> tuple[int, Any, Any]:
    response = await client.get(path, headers={**PROXY_HEADERS, **headers})
    body = await response.read()
    return response.status, response.headers, orjson.loads(body)


@pytest.mark.parametrize(("path", "status"), ERROR_CASES)
async def test_errors_have_rdap_error_bodies(rdap: Client, path: str, status: int) -> None:
    got_status, headers, body = await get_json(rdap, path)
    assert got_status == status
    assert_rdap_headers(headers)
    assert body["errorCode"] == status
    assert "rdap_level_0" in body["rdapConformance"]
    assert isinstance(body["title"], str)
    assert isinstance(body["description"], list) and body["description"]
    text = orjson.dumps(body).decode()
    assert "Traceback" not in text and "SELECT" not in text


async def test_reserved_name_says_it_is_reserved(rdap: Client) -> None:
    status, _, body = await get_json(rdap, "/domain/housing.coop")
    assert status == 404
    assert "reserved" in " ".join(body["description"])
    status, _, body = await get_json(rdap, "/domain/unregistered-name-4711.coop")
    assert "reserved" not in " ".join(body["description"])


async def test_contact_lookup_answers_alike_for_existing_and_missing_handles(
    rdap: Client,
) -> None:
    _, _, existing = await get_json(rdap, "/entity/C1-COOP")
    _, _, missing = await get_json(rdap, "/entity/C99999999-COOP")
    assert existing == missing


async def test_other_methods_get_405_with_allow(rdap: Client) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        response = await rdap.request(method, "/domain/example.coop")
        assert response.status == 405
        assert "GET" in response.headers["Allow"]
        assert_rdap_headers(response.headers)
        assert orjson.loads(await response.read())["errorCode"] == 405


async def test_cors_preflight(rdap: Client) -> None:
    response = await rdap.options(
        "/domain/example.coop",
        headers={"Origin": "https://example.org", "Access-Control-Request-Method": "GET"},
    )
    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "GET" in response.headers["Access-Control-Allow-Methods"]


@pytest.mark.parametrize(
    "path",
    [
        "/domain/example.coop",
        "/domain/xn--cooprative-e7a.coop",
        "/nameserver/ns1.example.coop",
        "/help",
        "/domain/unregistered-name-4711.coop",
        "/domain/a..coop",
        "/ip/192.0.2.1",
        "/no-such-query",
    ],
)
async def test_head_matches_get(rdap: Client, path: str) -> None:
    get = await rdap.get(path, headers=PROXY_HEADERS)
    get_body = await get.read()
    head = await rdap.head(path, headers=PROXY_HEADERS)
    assert head.status == get.status
    assert await head.read() == b""
    for header in ("Content-Type", "Access-Control-Allow-Origin", "Content-Length"):
        assert head.headers.get(header) == get.headers.get(header), header
    assert int(get.headers["Content-Length"]) == len(get_body)


@pytest.mark.parametrize(
    "accept",
    [None, "application/rdap+json", "application/json", "application/json, application/rdap+json",
     "*/*", "text/html"],
)
async def test_every_accept_variant_gets_rdap_json(rdap: Client, accept: str | None) -> None:
    headers = dict(PROXY_HEADERS)
    if accept is not None:
        headers["Accept"] = accept
    response = await rdap.get("/domain/example.coop", headers=headers)
    assert response.status == 200
    assert_rdap_headers(response.headers)
    assert orjson.loads(await response.read())["ldhName"] == "example.coop"


def without_link_values(document: Any) -> Any:
    """The document with every link ``value`` dropped: those echo the request URL."""
    if isinstance(document, dict):
        return {k: without_link_values(v) for k, v in document.items() if k != "value"}
    if isinstance(document, list):
        return [without_link_values(item) for item in document]
    return document


@pytest.mark.parametrize(
    "variant",
    ["EXAMPLE.COOP", "example.coop.", "eXaMpLe.CoOp", "%65xample.coop", "Example.Coop."],
)
async def test_case_and_trailing_dot_variants_are_equivalent(rdap: Client, variant: str) -> None:
    _, _, canonical = await get_json(rdap, "/domain/example.coop")
    status, _, body = await get_json(rdap, "/domain/" + variant)
    assert status == 200
    assert without_link_values(body) == without_link_values(canonical)


@pytest.mark.parametrize(
    "variant",
    [
        "xn--cooprative-e7a.coop",
        "coop%C3%A9rative.coop",
        "COOP%C3%89RATIVE.COOP",
        "XN--COOPRATIVE-E7A.coop",
    ],
)
async def test_a_label_and_u_label_reach_the_same_domain(rdap: Client, variant: str) -> None:
    status, _, body = await get_json(rdap, "/domain/" + variant)
    assert status == 200
    assert body["ldhName"] == "xn--cooprative-e7a.coop"
    assert body["unicodeName"] == "coopérative.coop"


async def test_links_carry_the_public_base_and_request_url(rdap: Client) -> None:
    _, _, body = await get_json(rdap, "/domain/example.coop?cachebust=1")
    self_link = next(link for link in body["links"] if link["rel"] == "self")
    assert self_link["href"] == "https://rdap.nic.coop/domain/example.coop"
    assert self_link["value"] == "https://rdap.nic.coop/domain/example.coop?cachebust=1"


async def test_forwarded_headers_from_untrusted_peers_are_ignored(
    test_database: Any,
) -> None:
    from aiohttp.test_utils import TestServer

    from rdap_coop.app import create_app
    from rdap_coop.core.queries import Registry
    from rdap_coop.core.ratelimit_setup import build_rate_limiter
    from rdap_coop.core.replicas import ReplicaSet
    from tests.conftest import make_settings

    settings = make_settings(test_database.reader_dsn, trusted_proxies="")
    replicas = await ReplicaSet.open(settings.database)
    limiter = build_rate_limiter(settings.rate_limit)
    client: Client = TestClient(TestServer(create_app(settings, Registry(replicas), limiter)))
    await client.start_server()
    try:
        response = await client.get(
            "/domain/example.coop",
            headers={"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"},
        )
        body = orjson.loads(await response.read())
        assert "evil.example" not in orjson.dumps(body).decode()
    finally:
        await client.close()
        await replicas.close()
