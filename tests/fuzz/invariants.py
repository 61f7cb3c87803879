"""What every answer must be, whatever was asked: the fuzzers' oracle.

Never a 5xx other than a deliberate 503 (which says when to retry) or the 501 of the
query types a domain registry does not serve, never a stack trace
or SQL text, always a valid RDAP error body or a documented WHOIS reply, and never the
personal data the public is not shown. The personal data is taken from the sample
registry itself: the e-mail addresses and phone numbers of contacts who did not consent
to publish them -- distinctive strings that no legitimate public answer contains.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import asyncpg
import orjson

from whois_coop.render import FAILURE_LINES

# How much longer `make fuzz` runs than `make test`: a multiplier of example counts.
FUZZ_SCALE = max(1, int(os.environ.get("RDAP_COOP_TEST_FUZZ_SCALE", "1") or "1"))

LEAK_MARKERS = (
    "Traceback", 'File "', "asyncpg", "psycopg", "SELECT ", " FROM ", "pg_catalog",
    "registry_freshness", "Exception", "Error:",
)
RDAP_TYPE = "application/rdap+json"
WHOIS_LAST_UPDATE = ">>> Last update of WHOIS database:"
WHOIS_FAILURE_REPLIES = frozenset(line + "\r\n" for line in FAILURE_LINES.values())

WITHHELD_VALUES_QUERY = """
SELECT array_remove(array_agg(DISTINCT v), NULL) FROM (
    SELECT email AS v FROM contact WHERE NOT ('email' = ANY (disclose))
    UNION ALL SELECT voice FROM contact WHERE NOT ('voice' = ANY (disclose))
    UNION ALL SELECT fax FROM contact WHERE NOT ('fax' = ANY (disclose))
) AS withheld WHERE length(v) >= 8
"""


async def withheld_personal_values(admin_dsn: str) -> frozenset[str]:
    """Personal data the public tier must never see, read from the sample registry."""
    connection = await asyncpg.connect(admin_dsn)
    try:
        values: list[str] = await connection.fetchval(WITHHELD_VALUES_QUERY)
    finally:
        await connection.close()
    return frozenset(values)


def rdap_problems(
    status: int, headers: Mapping[str, str], body: bytes, secrets: frozenset[str]
) -> list[str]:
    """Everything wrong with one RDAP response (empty when it is sound). ``secrets`` is
    what the asker may not see: pass an empty set for an accredited client's answer."""
    problems = []
    if status >= 500 and status not in (501, 503):  # 501: ip/ and autnum/, by design
        problems.append(f"status {status}")
    if status in (429, 503) and not headers.get("Retry-After", "").isdigit():
        problems.append(f"{status} without Retry-After in seconds")
    text = body.decode("utf-8", "replace")
    problems += [f"leaks {marker!r}" for marker in LEAK_MARKERS if marker in text]
    problems += ["leaks personal data" for secret in secrets if secret in text][:1]
    if status >= 400 and status != 304:
        problems += _error_body_problems(status, headers, body)
    return problems


def _error_body_problems(status: int, headers: Mapping[str, str], body: bytes) -> list[str]:
    """RFC 9083 §6: errorCode equal to the status, a title, a description list."""
    if not headers.get("Content-Type", "").startswith(RDAP_TYPE):
        return [f"error {status} is not {RDAP_TYPE}"]
    if not body:
        return []  # HEAD
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError:
        return [f"error {status} body is not JSON"]
    if not isinstance(document, dict) or document.get("errorCode") != status:
        return [f"error {status} body has no matching errorCode"]
    description = document.get("description")
    if not isinstance(document.get("title"), str) or not (
        isinstance(description, list) and all(isinstance(line, str) for line in description)
    ):
        return [f"error {status} body lacks title or description"]
    return []


def whois_problems(reply: bytes, secrets: frozenset[str]) -> list[str]:
    """Everything wrong with one anonymous port-43 reply (empty when it is sound)."""
    try:
        text = reply.decode("utf-8")
    except UnicodeDecodeError:
        return ["reply is not UTF-8"]
    problems = [f"leaks {marker!r}" for marker in LEAK_MARKERS if marker in text]
    problems += ["leaks personal data" for secret in secrets if secret in text][:1]
    if not text.endswith("\r\n") or "\n" in text.replace("\r\n", ""):
        problems.append("lines not CRLF-terminated")
    is_help = text.startswith("This is the WHOIS service")  # with no replica: no last update
    if text not in WHOIS_FAILURE_REPLIES and WHOIS_LAST_UPDATE not in text and not is_help:
        problems.append("neither an answer nor a documented failure line")
    return problems
