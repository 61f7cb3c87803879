"""The OpenAPI description at ``/openapi.yaml``: valid, complete, true to the answers, served.

Complete means: every route the application registers is documented with each of its
methods, and nothing is documented that the application does not serve, so a new route
without documentation fails here. True means: the golden answers (the exact wire output
of the showcase lookups, public and accredited) validate against the schemas the
document gives for their operation and status, and the schemas are closed enough that
an undocumented member does not. ``tests/fuzz/test_schemathesis.py`` checks the rest
against live answers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
import pytest
import schemathesis
import yaml
from aiohttp.test_utils import TestClient, TestServer
from schemathesis.core.result import Ok

import rdap_coop
from rdap_coop.app import create_app
from rdap_coop.core.queries import Registry
from rdap_coop.core.ratelimit_setup import build_rate_limiter
from tests.conftest import RdapClient, SampleDatabase, make_settings

DOCUMENT = Path(rdap_coop.__file__).parent / "static" / "openapi.yaml"
GOLDEN = Path(__file__).parent.parent / "golden"
HTTP_METHODS = frozenset({"get", "head", "options", "post", "put", "patch", "delete", "trace"})
# Every status the service can answer with (RFC 7480 §5, RFC 6585, RFC 9082 §4.1).
SERVED_STATUSES = {200, 304, 400, 401, 403, 404, 405, 422, 429, 501, 503}
# Which operation each golden file answers, by the start of its name.
GOLDEN_OPERATIONS = {
    "domain": "/domain/{name}",
    "tier": "/domain/{name}",
    "nameserver": "/nameserver/{name}",
    "entity": "/entity/{handle}",
    "help": "/help",
    "ip": "/ip/{tail}",
}
RDAP_TYPE = "application/rdap+json"


def document() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(DOCUMENT.read_text(encoding="utf-8"))
    return loaded


def resolve(doc: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """An object, or the component its local ``$ref`` names."""
    while "$ref" in item:
        target: Any = doc
        for part in item["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        item = target
    return item


def body_validator(doc: dict[str, Any], path: str, method: str, status: int) -> Any:
    """A JSON Schema 2020-12 validator of the RDAP body documented for one answer."""
    response = resolve(doc, doc["paths"][path][method]["responses"][str(status)])
    schema = response["content"][RDAP_TYPE]["schema"]
    return jsonschema_rs.validator_for({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        **schema,
    })


def test_the_document_is_valid_openapi_3_1() -> None:
    doc = document()
    assert doc["openapi"].startswith("3.1.")
    schema = schemathesis.openapi.from_dict(doc)
    schema.validate()  # against the OpenAPI 3.1 specification's own JSON Schema
    # Every operation loads: its parameters, responses and their references resolve.
    results = list(schema.get_all_operations())
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) == len(results)
    ids = [op.definition.raw["operationId"] for op in operations
           if "operationId" in op.definition.raw]
    assert len(ids) == len(set(ids))
    for name in doc["components"]["schemas"]:
        jsonschema_rs.validator_for({"$schema": "https://json-schema.org/draft/2020-12/schema",
                                     "components": doc["components"],
                                     "$ref": f"#/components/schemas/{name}"})


def test_every_route_is_documented_and_nothing_else(rdap: RdapClient) -> None:
    assert rdap.app is not None
    routed = {(route.method.lower(), route.resource.canonical)
              for route in rdap.app.router.routes() if route.resource is not None}
    documented = {(method, path) for path, item in document()["paths"].items()
                  for method in item if method in HTTP_METHODS}
    # The edge answers the CORS preflight on every path; everything else is routed.
    assert routed == {(method, path) for method, path in documented if method != "options"}
    assert {path for method, path in documented if method == "options"} == {
        path for _, path in routed
    }


def test_every_status_the_service_gives_is_documented() -> None:
    doc = document()
    statuses = {int(status) for item in doc["paths"].values() for method, operation in
                item.items() if method in HTTP_METHODS for status in operation["responses"]}
    # 405 answers the methods the document does not declare: a response of its own.
    method_not_allowed = doc["components"]["responses"]["MethodNotAllowed"]
    assert method_not_allowed["headers"]["Allow"]["$ref"].endswith("/Allow")
    if method_not_allowed["content"][RDAP_TYPE]["schema"]["$ref"].endswith("/Error405"):
        statuses.add(405)
    assert statuses >= SERVED_STATUSES


@pytest.mark.parametrize("golden", sorted(path.name for path in GOLDEN.glob("*.json")))
def test_golden_answers_match_the_documented_schema(golden: str) -> None:
    doc = document()
    recorded = orjson.loads((GOLDEN / golden).read_bytes())
    path = GOLDEN_OPERATIONS[golden.split("-", 1)[0].removesuffix(".json")]
    assert recorded.get("content_type", RDAP_TYPE) == RDAP_TYPE
    validator = body_validator(doc, path, "get", recorded["status"])
    body = recorded["body"]
    errors = [error.message for error in validator.iter_errors(body)]
    assert errors == []
    # Closed shapes: a member the document does not describe is refused.
    assert not validator.is_valid({**body, "undocumented": True})


@pytest.mark.parametrize("status", sorted(SERVED_STATUSES - {200, 304}))
def test_error_bodies_must_carry_their_own_status(status: int) -> None:
    validator = jsonschema_rs.validator_for({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": document()["components"],
        "$ref": f"#/components/schemas/Error{status}",
    })
    body = {"rdapConformance": ["rdap_level_0"], "errorCode": status, "title": "Title",
            "description": ["One line."]}
    assert validator.is_valid(body)
    assert not validator.is_valid({**body, "errorCode": 500})


@pytest.fixture
async def tightly_limited(
    test_database: SampleDatabase, registry: Registry
) -> AsyncIterator[RdapClient]:
    """The app with a budget of one query per client and almost no refill."""
    settings = make_settings(test_database.reader_dsn, rate_limit_public_burst="1",
                             rate_limit_public_per_second="0.001", rate_limit_search_cost="1")
    limiter = build_rate_limiter(dataclasses.replace(settings.rate_limit, redis_url=None))
    client: RdapClient = TestClient(TestServer(create_app(settings, registry, limiter)))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


async def test_the_document_is_served_cacheable_and_never_rate_limited(
    tightly_limited: RdapClient,
) -> None:
    assert (await tightly_limited.get("/help")).status == 200
    assert (await tightly_limited.get("/help")).status == 429  # the budget is spent
    for _ in range(3):
        response = await tightly_limited.get("/openapi.yaml")
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/yaml; charset=utf-8"
        assert await response.read() == DOCUMENT.read_bytes()
        assert "RateLimit-Remaining" not in response.headers
        assert response.headers["Cache-Control"].startswith("public, max-age=")
    etag = response.headers["ETag"]
    again = await tightly_limited.get("/openapi.yaml", headers={"If-None-Match": etag})
    assert again.status == 304
    head = await tightly_limited.head("/openapi.yaml")
    assert head.status == 200 and await head.read() == b""
