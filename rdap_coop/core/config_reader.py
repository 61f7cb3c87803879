"""Validate raw setting values, whichever source they came from, into typed values.

The environment and the configuration file are both turned into one mapping of raw
values (``config_file.py``), so every setting is checked by the same code here and an
error names the setting the way the operator wrote it: ``RDAP_COOP_WORKERS`` for a
variable, ``workers in /etc/rdap-coop.toml`` for a file key. The reader also records
what each setting ended up as and where that came from, for ``rdap-coop config check``;
those records never hold a secret in clear.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

PREFIX = "RDAP_COOP_"

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Origin = Literal["default", "environment", "file"]
RawValue = str | tuple[str, ...]
Shown = str | int | float | bool | Sequence[str] | None

TRUE_WORDS = frozenset({"true", "1", "yes"})
FALSE_WORDS = frozenset({"false", "0", "no"})

# A URL's password is whatever lies between the user's ':' and the last '@': masking
# up to the last '@' also covers passwords holding an unencoded '@' or '/', which a
# URL parser would split elsewhere.
_URL_PASSWORD = re.compile(r"^(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^:@]*:).*@", re.DOTALL)
# libpq and asyncpg also take the password as a query parameter (``?password=``).
_QUERY_PASSWORD = re.compile(r"(?i)(password=)[^&#\s]*")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it as the operator wrote it."""


def mask_url(text: str) -> str:
    """``text`` with any URL password (in the authority or the query) replaced by ``***``."""
    masked = _URL_PASSWORD.sub(r"\g<head>***@", text, count=1)
    return _QUERY_PASSWORD.sub(r"\g<1>***", masked)


@dataclass(frozen=True, slots=True)
class RawSetting:
    """One value as the operator wrote it, and how to name it back to them."""

    value: RawValue
    origin: Origin
    label: str


@dataclass(frozen=True, slots=True)
class EffectiveSetting:
    """What one setting ended up as, for display: secrets are already masked."""

    key: str
    value: str
    origin: Origin


def show(value: Shown) -> str:
    """A value as ``config check`` prints it: TOML-like, ASCII, masked, one line."""
    if value is None:
        return "<unset>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(mask_url(value))
    return "[" + ", ".join(json.dumps(mask_url(item)) for item in value) + "]"


class SettingsReader:
    """Typed access to raw settings by name (the variable name without the prefix)."""

    def __init__(self, raw: Mapping[str, RawSetting], file_label: str | None = None) -> None:
        self.raw = raw
        self.file_label = file_label
        self.effective: dict[str, EffectiveSetting] = {}

    def label(self, name: str) -> str:
        """How to name ``name`` to the operator: as written, else every way to write it."""
        given = self.raw.get(name)
        if given is not None:
            return given.label
        if self.file_label is None:
            return PREFIX + name
        return f"{PREFIX}{name} (or {name.lower()} in {self.file_label})"

    def assignment(self, name: str, value: object) -> str:
        """``name`` set to ``value``, written the way the operator wrote it."""
        given = self.raw.get(name)
        if given is not None and given.origin == "file":
            return f"{name.lower()} = {value} in {self.file_label}"
        return f"{PREFIX}{name}={value}"

    def _record(self, name: str, value: Shown, shown: str | None = None) -> None:
        given = self.raw.get(name)
        origin: Origin = "default" if given is None else given.origin
        self.effective[name] = EffectiveSetting(name.lower(), shown or show(value), origin)

    def _scalar(self, name: str) -> str | None:
        given = self.raw.get(name)
        if given is None or given.value == "":
            return None
        if isinstance(given.value, tuple):
            raise ConfigError(f"{given.label} must be a single value, not an array")
        return given.value

    def _items(self, name: str, separator: str | None) -> tuple[str, ...] | None:
        given = self.raw.get(name)
        if given is None or given.value == "":
            return None
        pieces = given.value if isinstance(given.value, tuple) else given.value.split(separator)
        return tuple(piece.strip() for piece in pieces if piece.strip())

    def text(self, name: str, default: str | None = None) -> str:
        value = self._scalar(name)
        if value is None:
            if default is None:
                raise ConfigError(f"{self.label(name)} is required")
            value = default
        self._record(name, value)
        return value

    def optional_text(self, name: str) -> str | None:
        value = self._scalar(name)
        self._record(name, value)
        return value

    def integer(self, name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
        raw = self._scalar(name)
        value = default if raw is None else self._parse_int(name, raw)
        if value < minimum:
            raise ConfigError(f"{self.label(name)} must be at least {minimum}")
        if maximum is not None and value > maximum:
            raise ConfigError(f"{self.label(name)} must be at most {maximum}")
        self._record(name, value)
        return value

    def _parse_int(self, name: str, raw: str) -> int:
        try:
            return int(raw)
        except ValueError:
            raise ConfigError(f"{self.label(name)} must be an integer") from None

    def _float(self, name: str) -> float | None:
        raw = self._scalar(name)
        if raw is None:
            return None
        try:
            return float(raw)
        except ValueError:
            raise ConfigError(f"{self.label(name)} must be a number") from None

    def number(self, name: str, default: float) -> float:
        value = self._float(name)
        if value is None:
            value = default
        elif not (value > 0 and math.isfinite(value)):
            raise ConfigError(f"{self.label(name)} must be a positive number")
        self._record(name, value)
        return value

    def seconds_or_zero(self, name: str, default: float) -> float:
        value = self._float(name)
        if value is None:
            value = default
        elif not 0 <= value <= 3600:
            raise ConfigError(f"{self.label(name)} must be between 0 and 3600")
        self._record(name, value)
        return value

    def boolean(self, name: str, default: bool) -> bool:
        raw = self._scalar(name)
        if raw is None:
            value = default
        elif raw.strip().lower() in TRUE_WORDS | FALSE_WORDS:
            value = raw.strip().lower() in TRUE_WORDS
        else:
            raise ConfigError(f"{self.label(name)} must be true or false (or 1/0, yes/no)")
        self._record(name, value)
        return value

    def choice(self, name: str, default: str, choices: Sequence[str]) -> str:
        raw = self._scalar(name)
        value = default if raw is None else raw.strip()
        for candidate in choices:
            if candidate.lower() == value.lower():
                self._record(name, candidate)
                return candidate
        raise ConfigError(f"{self.label(name)} must be one of {', '.join(choices)}")

    def base_url(self, name: str, default: str) -> str:
        value = self._scalar(name) or default
        try:
            parts = urlsplit(value)
        except ValueError:  # e.g. an unclosed '[' of an IPv6 literal
            parts = urlsplit("")
        if parts.scheme not in ("http", "https") or not parts.netloc or not value.endswith("/"):
            raise ConfigError(f"{self.label(name)} must be an http(s) URL ending with '/'")
        self._record(name, value)
        return value

    def secret_hex(self, name: str) -> bytes | None:
        raw = self._scalar(name)
        secret = None if raw is None else self._parse_hex(name, raw)
        self._record(name, None, "<set>" if secret else "<unset>")
        return secret

    def _parse_hex(self, name: str, raw: str) -> bytes:
        try:
            secret = bytes.fromhex(raw)
        except ValueError:
            raise ConfigError(f"{self.label(name)} must be hexadecimal") from None
        if len(secret) < 16:
            raise ConfigError(f"{self.label(name)} must be at least 16 bytes (32 hex digits)")
        return secret

    def items(self, name: str, default: tuple[str, ...], separator: str | None) -> tuple[str, ...]:
        """A list: an array in the file; in a variable, split on ``separator`` (None:
        on whitespace)."""
        value = self._items(name, separator)
        value = default if value is None else value
        self._record(name, value)
        return value

    def networks(self, name: str) -> tuple[IPNetwork, ...]:
        texts = self._items(name, ",") or ()
        try:
            value = tuple(ipaddress.ip_network(text, strict=False) for text in texts)
        except ValueError:
            raise ConfigError(f"{self.label(name)} must be comma-separated networks") from None
        self._record(name, [str(network) for network in value])
        return value
