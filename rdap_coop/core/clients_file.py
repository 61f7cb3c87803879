"""Reading and writing the clients file (its format: ``rdap_coop.core.clients``).

Strict parsing, with errors that name the entry and field, and ``add_client``, which
replaces the file atomically so a reload never sees half an entry.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import NoReturn

from rdap_coop.core.clients import (
    PURPOSES_BY_TIER,
    SHA256_HEX,
    AccreditedClient,
    ClientsConfig,
    ClientsFileError,
    PurposeNotAllowed,
    WhoisAllowance,
    hash_token,
    resolve_purpose,
)
from rdap_coop.core.config import IPNetwork
from rdap_coop.core.errors import InvalidQuery
from rdap_coop.core.redaction import AccessTier

_ACCREDITED_TIERS = tuple(tier for tier in AccessTier if tier is not AccessTier.PUBLIC)


_CLIENT_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


_MAX_ORGANISATION_CHARS = 256


_WHOIS_KEYS = frozenset({"network", "tier", "organisation", "registrar_id", "purpose"})


_CLIENT_KEYS = _WHOIS_KEYS - {"network", "purpose"} | {"id", "token_sha256", "networks", "expires",
                                           "revoked", "rate_limit_burst",
                                           "rate_limit_per_second", "created"}


_HEADER = (
    "# Accredited clients of the .coop RDAP and WHOIS services: token hashes only.\n"
    "# Add clients with `rdap-coop clients add`; to revoke one, set `revoked = true`.\n"
    "# After any change, send SIGHUP to the services to reload this file.\n"
)


# TOML 1.0 basic strings must escape the quote, the backslash and every control
# character but tab; tab is escaped too, so an entry stays one readable line.
_TOML_ESCAPES = {
    **{code: f"\\u{code:04X}" for code in (*range(0x20), 0x7F)},
    ord('"'): '\\"', ord("\\"): "\\\\", ord("\t"): "\\t", ord("\n"): "\\n", ord("\r"): "\\r",
}


def load_clients(path: Path) -> ClientsConfig:
    return parse_clients(_read_text(path), str(path))


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ClientsFileError(f"{path}: the clients file does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ClientsFileError(f"{path}: cannot read ({type(exc).__name__})") from None


def parse_clients(text: str, source: str = "clients file") -> ClientsConfig:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ClientsFileError(f"{source}: not valid TOML: {exc}") from None
    for key in document:
        if key not in ("client", "whois_allow"):
            raise ClientsFileError(f"{source}: unknown table {key!r}")
    clients = tuple(_client_from(entry) for entry in _entries(document, "client", source))
    allowances = tuple(
        _allowance_from(entry) for entry in _entries(document, "whois_allow", source)
    )
    _check_unique(clients, source)
    _check_disjoint(allowances, source)
    return ClientsConfig(clients, allowances)


@dataclass(frozen=True, slots=True)
class _Entry:
    """One table of the file, read field by field; errors name the entry and field."""

    where: str
    table: Mapping[str, object]

    def fail(self, name: str, problem: str) -> NoReturn:
        raise ClientsFileError(f"{self.where}: {name} {problem}")

    def check_keys(self, known: frozenset[str]) -> None:
        for key in self.table:
            if key not in known:
                self.fail(key, "is not a known field")

    def text(self, name: str, pattern: re.Pattern[str] | None = None) -> str:
        value = self.table.get(name)
        if not isinstance(value, str):
            self.fail(name, "is required and must be a string")
        if pattern is not None and pattern.fullmatch(value) is None:
            self.fail(name, f"must match {pattern.pattern}")
        return value

    def organisation(self) -> str:
        value = self.text("organisation")
        problem = _organisation_problem(value)
        if problem:
            self.fail("organisation", problem)
        return value

    def tier(self) -> AccessTier:
        value = self.table.get("tier")
        if not isinstance(value, str) or value not in _ACCREDITED_TIERS:
            self.fail("tier", "must be one of " + ", ".join(_ACCREDITED_TIERS))
        return AccessTier(value)

    def registrar_id(self, tier: AccessTier) -> int | None:
        value = self.optional_int("registrar_id", minimum=1)
        if (value is None) == (tier is AccessTier.REGISTRAR):
            self.fail("registrar_id", "is required for, and only for, tier = \"registrar\"")
        return value

    def purpose(self, tier: AccessTier) -> str:
        value = self.table.get("purpose", "")
        try:
            return resolve_purpose(tier, value if isinstance(value, str) else "?")
        except (InvalidQuery, PurposeNotAllowed):
            self.fail("purpose", "must be one of " + ", ".join(sorted(PURPOSES_BY_TIER[tier])))

    def optional_int(self, name: str, *, minimum: int) -> int | None:
        value = self.table.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.fail(name, f"must be an integer of at least {minimum}")
        return value

    def optional_rate(self, name: str) -> float | None:
        value = self.table.get(name)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            self.fail(name, "must be a positive number")
        return float(value)

    def optional_moment(self, name: str) -> datetime | None:
        value = self.table.get(name)
        if value is None:
            return None
        if not isinstance(value, datetime) or value.utcoffset() is None:
            self.fail(name, "must be a date-time with an offset, e.g. 2027-12-31T00:00:00Z")
        return value.astimezone(UTC)

    def network(self, name: str, value: object) -> IPNetwork:
        if isinstance(value, str):
            try:
                return ipaddress.ip_network(value)
            except ValueError:
                pass
        self.fail(name, f"has {value!r}, not an address range (host bits must be zero)")

    def networks(self) -> tuple[IPNetwork, ...]:
        value = self.table.get("networks", [])
        if not isinstance(value, list):
            self.fail("networks", "must be a list of address ranges")
        return tuple(self.network("networks", item) for item in value)


def _entries(document: Mapping[str, object], kind: str, source: str) -> list[_Entry]:
    tables = document.get(kind, [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ClientsFileError(f"{source}: {kind} must be an array of tables, [[{kind}]]")
    return [_Entry(f"{source}: [[{kind}]] entry {n}", t) for n, t in enumerate(tables, 1)]


def _client_from(entry: _Entry) -> AccreditedClient:
    entry.check_keys(_CLIENT_KEYS)
    tier = entry.tier()
    created = entry.optional_moment("created")
    if created is None:
        entry.fail("created", "is required")
    if not isinstance(revoked := entry.table.get("revoked", False), bool):
        entry.fail("revoked", "must be true or false")
    return AccreditedClient(
        client_id=entry.text("id", _CLIENT_ID),
        organisation=entry.organisation(),
        tier=tier,
        registrar_id=entry.registrar_id(tier),
        token_sha256=entry.text("token_sha256", SHA256_HEX),
        networks=entry.networks(),
        expires_at=entry.optional_moment("expires"),
        revoked=revoked,
        rate_limit_burst=entry.optional_int("rate_limit_burst", minimum=1),
        rate_limit_per_second=entry.optional_rate("rate_limit_per_second"),
        created_at=created,
    )


def _allowance_from(entry: _Entry) -> WhoisAllowance:
    entry.check_keys(_WHOIS_KEYS)
    tier = entry.tier()
    return WhoisAllowance(
        network=entry.network("network", entry.table.get("network")),
        tier=tier,
        organisation=entry.organisation(),
        registrar_id=entry.registrar_id(tier),
        purpose=entry.purpose(tier),
    )


def _organisation_problem(value: str) -> str | None:
    if not value.strip():
        return "must not be blank"
    if len(value) > _MAX_ORGANISATION_CHARS:
        return f"must be at most {_MAX_ORGANISATION_CHARS} characters"
    if any(0xD800 <= ord(char) <= 0xDFFF for char in value):
        return "must not contain unpaired surrogates"
    return None


def _check_unique(clients: tuple[AccreditedClient, ...], source: str) -> None:
    ids = [client.client_id for client in clients]
    hashes = [client.token_sha256 for client in clients]
    for label, values in (("id", ids), ("token_sha256", hashes)):
        for number, value in enumerate(values, 1):
            if value in values[: number - 1]:
                raise ClientsFileError(f"{source}: [[client]] entry {number}: {label} is taken")


def _check_disjoint(allowances: tuple[WhoisAllowance, ...], source: str) -> None:
    # Overlapping ranges would make the tier a WHOIS client gets depend on file order.
    for number, allowance in enumerate(allowances, 1):
        for earlier in allowances[: number - 1]:
            a, b = allowance.network, earlier.network
            if a.version == b.version and (a.network_address in b or b.network_address in a):
                raise ClientsFileError(
                    f"{source}: [[whois_allow]] entry {number}: network overlaps an earlier entry's"
                )


def add_client(
    path: Path,
    *,
    tier: AccessTier,
    organisation: str,
    registrar_id: int | None,
    networks: Iterable[IPNetwork] = (),
    expires_at: datetime | None = None,
    now: datetime,
) -> tuple[AccreditedClient, str]:
    """Add a client with a fresh token; returns it and the token, which is stored nowhere.

    The file (created with mode 0600 if missing) is validated as a whole before it is
    replaced atomically, so a reload never sees half an entry and a bad argument never
    damages it. Raises ``ClientsFileError``, naming the field, on invalid input.
    """
    _check_arguments(organisation, expires_at, now)
    existing = _read_text(path) if path.exists() else _HEADER
    taken = {client.client_id for client in parse_clients(existing, str(path)).clients}
    token = secrets.token_urlsafe(32)
    client = AccreditedClient(
        client_id=_new_client_id(taken),
        organisation=organisation,
        tier=tier,
        registrar_id=registrar_id,
        token_sha256=hash_token(token),
        networks=tuple(networks),
        expires_at=None if expires_at is None else expires_at.astimezone(UTC),
        revoked=False,
        rate_limit_burst=None,
        rate_limit_per_second=None,
        created_at=now.astimezone(UTC).replace(microsecond=0),
    )
    text = existing + ("" if existing.endswith("\n") else "\n") + _client_toml(client)
    config = parse_clients(text, str(path))
    _replace_private(path, text)
    return config.clients[-1], token


def _check_arguments(organisation: str, expires_at: datetime | None, now: datetime) -> None:
    problem = _organisation_problem(organisation)
    if problem:
        raise ClientsFileError(f"organisation {problem}")
    for name, moment in (("expires", expires_at), ("now", now)):
        if moment is not None and moment.utcoffset() is None:
            raise ClientsFileError(f"{name} must be timezone-aware")


def _new_client_id(taken: set[str]) -> str:
    while True:
        client_id = f"c-{secrets.token_hex(6)}"
        if client_id not in taken:
            return client_id


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string, whatever characters it holds."""
    return '"' + value.translate(_TOML_ESCAPES) + '"'


def _toml_datetime(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _client_toml(client: AccreditedClient) -> str:
    ranges = ", ".join(toml_string(str(network)) for network in client.networks)
    members = {
        "id": toml_string(client.client_id),
        "organisation": toml_string(client.organisation),
        "tier": toml_string(client.tier.value),
        "registrar_id": None if client.registrar_id is None else f"{client.registrar_id:d}",
        "token_sha256": toml_string(client.token_sha256),
        "networks": f"[{ranges}]" if ranges else None,
        "expires": client.expires_at and _toml_datetime(client.expires_at),
        "created": _toml_datetime(client.created_at),
    }
    return "\n[[client]]\n" + "".join(
        f"{name} = {value}\n" for name, value in members.items() if value is not None
    )


def _replace_private(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
