"""Golden files for the showcase responses: the wire output, compared exactly.

Run ``pytest --update-golden`` to rewrite them after an intended change, and review
the diff of ``tests/golden/`` like code.
"""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from tests.conftest import PROXY_HEADERS
from tests.conftest import RdapClient as Client

GOLDEN = Path(__file__).parent.parent / "golden"

CASES = {
    "domain-example": "/domain/example.coop",
    "domain-idn-latin": "/domain/xn--cooprative-e7a.coop",
    "domain-idn-cjk-ulabel": "/domain/%E5%8D%94%E5%90%8C%E7%B5%84%E5%90%88.coop",
    "domain-disputed": "/domain/disputed.coop",
    "domain-open-books": "/domain/open-books.coop",
    "domain-expiring": "/domain/expiring.coop",
    "domain-reserved": "/domain/housing.coop",
    "domain-not-a-domain-invalid": "/domain/not-a-domain.invalid",
    "nameserver-ns1-example": "/nameserver/ns1.example.coop",
    "entity-registrar": "/entity/1234",
    "help": "/help",
    "ip-not-implemented": "/ip/192.0.2.1",
}


@pytest.mark.parametrize("name", sorted(CASES))
async def test_golden_response(
    rdap: Client,
    request: pytest.FixtureRequest,
    name: str,
) -> None:
    response = await rdap.get(CASES[name], headers=PROXY_HEADERS)
    document = {
        "status": response.status,
        "content_type": response.headers["Content-Type"],
        "body": orjson.loads(await response.read()),
    }
    rendered = orjson.dumps(document, option=orjson.OPT_INDENT_2) + b"\n"
    path = GOLDEN / f"{name}.json"
    if request.config.getoption("--update-golden"):
        path.write_bytes(rendered)
    assert path.exists(), f"no golden file {path.name}; run pytest --update-golden"
    assert rendered.decode() == path.read_text(encoding="utf-8")
