"""Log lines: JSON objects a shipper can parse, or text with the same fields; never raising."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from rdap_coop.core.access_log import log_access
from rdap_coop.core.config import LoggingSettings
from rdap_coop.core.logs import ACCESS_LOGGER, JsonFormatter, TextFormatter, configure_logging

RFC3339_UTC_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
log = logging.getLogger("rdap_coop.tests.logs")


@pytest.fixture(autouse=True)
def restore_logging() -> Iterator[None]:
    """configure_logging changes process-wide state; put it back for the other tests."""
    root, access = logging.getLogger(), logging.getLogger(ACCESS_LOGGER)
    level, access_level = root.level, access.level
    ours = set(root.handlers)
    try:
        yield
    finally:
        for handler in set(root.handlers) - ours:
            if type(handler).__module__ == "rdap_coop.core.logs":
                root.removeHandler(handler)
        root.setLevel(level)
        access.setLevel(access_level)


def json_lines(capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    return [json.loads(line) for line in capsys.readouterr().err.splitlines()]


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no text for this one")


def access_line() -> None:
    log_access(service="rdap", request_id="req-1", kind="domain", outcome="ok",
               duration_seconds=0.0123, client="192.0.2.7", tier="public", status=200,
               path="/domain/example.coop?secret=1")


def test_json_lines_carry_the_record_and_every_extra(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(LoggingSettings(format="json"))
    before = datetime.now(UTC)
    log.info("hello %s", "world", extra={"request_id": "abc", "status": 200, "duration_ms": 1.5,
                                          "where": Path("/srv/x"), "tags": {"a", }})
    [line] = json_lines(capsys)
    assert RFC3339_UTC_MS.match(str(line["ts"]))
    stamp = datetime.fromisoformat(str(line["ts"]).replace("Z", "+00:00"))
    assert before - timedelta(seconds=1) <= stamp <= datetime.now(UTC)
    assert line["level"] == "INFO"
    assert line["logger"] == "rdap_coop.tests.logs"
    assert line["message"] == "hello world"
    assert line["request_id"] == "abc"
    assert line["status"] == 200
    assert line["duration_ms"] == 1.5
    assert line["where"] == "/srv/x"  # not JSON: rendered with str
    assert line["tags"] == "{'a'}"
    assert "exc" not in line


def test_the_access_line_is_one_json_object(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(LoggingSettings(format="json"))
    access_line()
    [line] = json_lines(capsys)
    assert line["logger"] == ACCESS_LOGGER
    expected = {"service": "rdap", "request_id": "req-1", "kind": "domain", "outcome": "ok",
                "duration_ms": 12.3, "client": "192.0.2.7", "tier": "public", "status": 200,
                "path": "/domain/example.coop"}
    assert {key: line[key] for key in expected} == expected


def test_exceptions_go_under_exc_on_the_same_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(LoggingSettings(format="json"))
    try:
        _ = 1 / 0
    except ZeroDivisionError:
        log.exception("division failed", extra={"request_id": "r-9"})
    [line] = json_lines(capsys)
    assert line["message"] == "division failed"
    assert line["level"] == "ERROR"
    assert line["request_id"] == "r-9"
    assert str(line["exc"]).startswith("Traceback (most recent call last)")
    assert "ZeroDivisionError: division by zero" in str(line["exc"])


def record(message: str, *args: object, **extras: object) -> logging.LogRecord:
    made = logging.LogRecord(log.name, logging.INFO, __file__, 1, message, args, None)
    made.__dict__.update(extras)
    return made


def test_a_broken_record_neither_raises_nor_disappears() -> None:
    bad_arguments = record("count %d", "not a number")
    odd_values = record("odd value", thing=Unprintable(), huge=2**80, level="mine")
    first = json.loads(JsonFormatter().format(bad_arguments))
    assert "count %d" in first["message"]
    second = json.loads(JsonFormatter().format(odd_values))
    assert second["thing"] == "<unprintable Unprintable>"
    assert second["huge"] == str(2**80)
    assert second["level"] == "INFO"  # an extra cannot overwrite the record's own fields
    assert second["extra_level"] == "mine"
    assert TextFormatter().format(bad_arguments).endswith("a log record could not be formatted")
    assert 'thing="<unprintable Unprintable>"' in TextFormatter().format(odd_values)


def test_text_lines_append_extras_as_pairs(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(LoggingSettings(format="text"))
    access_line()
    log.warning("plain", extra={"note": 'two words "quoted"', "empty": ""})
    access, plain = capsys.readouterr().err.splitlines()
    assert re.match(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} INFO rdap_coop\.access rdap domain ok ",
                    access)
    assert access.endswith(" service=rdap request_id=req-1 kind=domain outcome=ok "
                           "duration_ms=12.3 client=192.0.2.7 tier=public status=200 "
                           "path=/domain/example.coop")
    assert plain.endswith('WARNING rdap_coop.tests.logs plain note="two words \\"quoted\\"" '
                          'empty=""')


def test_text_tracebacks_follow_the_line(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(LoggingSettings(format="text"))
    try:
        raise KeyError("k")
    except KeyError:
        log.exception("lookup failed", extra={"kind": "domain"})
    first, *rest = capsys.readouterr().err.splitlines()
    assert first.endswith("ERROR rdap_coop.tests.logs lookup failed kind=domain")
    assert rest[0] == "Traceback (most recent call last):"
    assert rest[-1] == "KeyError: 'k'"


def test_access_lines_can_be_switched_off(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(LoggingSettings(format="json", access_log=False))
    access_line()
    log.info("still here")
    [line] = json_lines(capsys)
    assert line["message"] == "still here"


def test_the_level_applies_to_the_service_not_to_access_lines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging(LoggingSettings(format="json", level="WARNING"))
    log.info("too chatty")
    log.warning("worth saying")
    access_line()
    lines = json_lines(capsys)
    assert [line["message"] for line in lines] == ["worth saying", "rdap domain ok"]


def test_reconfiguring_replaces_the_handler(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging(LoggingSettings(format="text"))
    configure_logging(LoggingSettings(format="json"))
    log.info("once")
    assert [line["message"] for line in json_lines(capsys)] == ["once"]


EXTRA_NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,15}", fullmatch=True).filter(
    lambda name: name not in logging.LogRecord("", 0, "", 0, "", None, None).__dict__
    and name not in {"message", "asctime", "taskName"}
)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=8,
)


@given(st.dictionaries(EXTRA_NAMES, JSONISH | st.binary() | st.sets(st.integers()), max_size=6),
       st.text())
def test_any_extras_make_one_parsable_line(extras: dict[str, object], message: str) -> None:
    made = record(message, **extras)
    # Extras never add a line to the text format: odd values are quoted and escaped.
    assert TextFormatter().format(made).count("\n") == message.count("\n")
    line = JsonFormatter().format(made)
    assert "\n" not in line
    document = json.loads(line)
    assert document["message"] == message
    for key, value in extras.items():
        name = f"extra_{key}" if key in {"ts", "level", "logger", "exc", "stack"} else key
        assert name in document
        if isinstance(value, str):
            assert document[name] == value
