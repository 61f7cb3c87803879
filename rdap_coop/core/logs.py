"""Where the processes' log lines go and how they look: human text or one JSON object a line.

Both formats carry the fields a caller passes with ``extra={...}`` -- the access lines of
``core/access_log.py`` carry the request id, query kind, outcome, duration, client key
and tier -- as ``key=value`` pairs in text, as members of the object in JSON, so a log
shipper can index them without parsing prose. Formatting never raises: a value that
cannot be rendered is replaced by a description, so a logging call can neither fail a
request nor lose the whole line.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import TextIO

import orjson

from rdap_coop.core.config import Configuration, LoggingSettings

ACCESS_LOGGER = "rdap_coop.access"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"

# Attributes every LogRecord has; anything else on a record came from ``extra``.
_STANDARD_ATTRIBUTES = frozenset(
    {*logging.LogRecord("", 0, "", 0, "", None, None).__dict__, "message", "asctime", "taskName"}
)
_CORE_FIELDS = frozenset({"ts", "level", "logger", "message", "exc", "stack"})


class _ServiceHandler(logging.StreamHandler[TextIO]):
    """Our handler on the root logger, told apart so reconfiguring replaces only it."""


def configure_logging(settings: LoggingSettings) -> None:
    """Send every logger's records to stderr in the configured format and level.

    Handlers others installed (a test runner's, say) are left alone. The access logger
    gets its own level, so per-query lines are on or off whatever the service's level.
    """
    handler = _ServiceHandler()
    handler.setFormatter(JsonFormatter() if settings.format == "json" else TextFormatter())
    root = logging.getLogger()
    for previous in [each for each in root.handlers if isinstance(each, _ServiceHandler)]:
        root.removeHandler(previous)
    root.addHandler(handler)
    root.setLevel(settings.level)
    access_level = logging.INFO if settings.access_log else logging.WARNING
    logging.getLogger(ACCESS_LOGGER).setLevel(access_level)


def announce_configuration(configuration: Configuration) -> None:
    """At start, once logging is set up: where the settings came from, and every warning
    about them (an unknown ``RDAP_COOP_*`` variable is often a misspelt setting)."""
    log = logging.getLogger("rdap_coop.config")
    source = configuration.file or "no configuration file"
    log.info("settings from %s and RDAP_COOP_* variables", source)
    for warning in configuration.warnings:
        log.warning("%s", warning)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``ts`` (RFC 3339, UTC, milliseconds), ``level``, ``logger``,
    ``message``, every extra field, and ``exc`` with the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        try:
            document = self._document(record)
            try:
                return orjson.dumps(document, default=_as_text, option=orjson.OPT_NON_STR_KEYS
                                    ).decode()
            except TypeError:  # orjson.JSONEncodeError: e.g. an integer beyond 64 bits
                return orjson.dumps({key: _plain(value) for key, value in document.items()}
                                    ).decode()
        except Exception:  # noqa: BLE001 -- a broken record must not fail the caller
            return json.dumps(_broken_record(record))

    def _document(self, record: logging.LogRecord) -> dict[str, object]:
        document: dict[str, object] = {
            "ts": rfc3339(record),
            "level": record.levelname,
            "logger": record.name,
            "message": _message(record),
        }
        for key, value in extra_fields(record):
            document[f"extra_{key}" if key in _CORE_FIELDS else key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            document["exc"] = record.exc_text
        if record.stack_info:
            document["stack"] = self.formatStack(record.stack_info)
        return document


class TextFormatter(logging.Formatter):
    """``asctime level logger message`` followed by the extra fields as ``key=value``."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:
        line = super().formatMessage(record)
        pairs = " ".join(f"{key}={_text_value(value)}" for key, value in extra_fields(record))
        return f"{line} {pairs}" if pairs else line

    def format(self, record: logging.LogRecord) -> str:
        try:
            return super().format(record)
        except Exception:  # noqa: BLE001 -- a broken record must not fail the caller
            broken = _broken_record(record)
            return f"{broken['level']} {broken['logger']} {broken['message']}"


def rfc3339(record: logging.LogRecord) -> str:
    """The record's time as RFC 3339 (section 5.6) in UTC, to the millisecond."""
    seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
    return f"{seconds}.{int(record.msecs):03d}Z"


def extra_fields(record: logging.LogRecord) -> Iterator[tuple[str, object]]:
    """The fields the caller passed with ``extra``, in the order given."""
    for key, value in record.__dict__.items():
        if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
            yield key, value


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except Exception:  # noqa: BLE001 -- arguments that do not fit the format
        return f"{_as_text(record.msg)} {_as_text(record.args)}"


def _as_text(value: object) -> str:
    try:
        return str(value)
    except Exception:  # noqa: BLE001 -- a value whose __str__ fails
        return f"<unprintable {type(value).__name__}>"


def _plain(value: object) -> object:
    """A value orjson always accepts: JSON scalars stay, anything else becomes text."""
    if value is None or isinstance(value, str | bool | float):
        return value
    if isinstance(value, int) and -(2**63) <= value < 2**64:
        return value
    return _as_text(value)


def _text_value(value: object) -> str:
    """Bare when unambiguous; quoted (JSON) when spaces, quotes or '=' would blur the pairs."""
    text = _as_text(value)
    if text and text.isprintable() and not any(c.isspace() or c in '"=\\' for c in text):
        return text
    return json.dumps(text)


def _broken_record(record: logging.LogRecord) -> dict[str, str]:
    """What is still known of a record that could not be formatted."""
    return {
        "level": _as_text(getattr(record, "levelname", "ERROR")),
        "logger": _as_text(getattr(record, "name", "?")),
        "message": "a log record could not be formatted",
    }
