"""The disclosure audit log: one hash-chained JSON line per non-public answer.

Every answer that shows more than the public sees is recorded (SPEC ACC-20) --
who asked, under which purpose and case, for what, and the *names* of the fields
disclosed, never their values (SPEC ACC-21). Each line is one JSON object with
sorted keys, compact and ASCII-only, plus two members:

- ``prev``: the ``hash`` of the line before (64 zeros on the first line);
- ``hash``: the SHA-256, in hex, of the line's canonical JSON without ``hash``.

So altering, removing, reordering or inserting a line breaks the chain at that
line, and ``verify_audit_log`` names it. Removing lines from the *end* leaves a
valid shorter chain; ``AuditReport.last_hash`` is what to anchor elsewhere (a
remote log, a monitoring system) to detect that too.

Appends are durable (``fsync`` per record) and serialised by an exclusive
``flock``, so several processes may share one file. Before each append the last
line is re-checked; a log whose tail does not verify takes no more records, and
``AuditUnavailable`` tells the caller to withhold the disclosure.
"""

from __future__ import annotations

import asyncio
import fcntl
import hashlib
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from rdap_coop.core.errors import BackendUnavailable
from rdap_coop.core.metrics import Service
from rdap_coop.core.models import WithheldField
from rdap_coop.core.redaction import AccessTier

FORMAT_VERSION = 1
GENESIS_HASH = "0" * 64
_ROLE_LABELS = ("Registrant", "Tech", "Admin", "Billing")
# The only names a record accepts: RP24 Appendix E names such as "Registrant Email"
# and "Registry Tech ID". A closed set, so a value cannot be recorded by mistake.
DISCLOSABLE_FIELD_NAMES: frozenset[str] = frozenset(
    f"Registry {label} ID" if field is WithheldField.ID else f"{label} {field.value}"
    for label in _ROLE_LABELS
    for field in WithheldField
)
_RECORD_MEMBERS = frozenset({
    "v", "time", "request_id", "service", "client_id", "organisation", "tier", "purpose",
    "case_reference", "query", "object_handles", "disclosed_fields", "client_address",
    "prev", "hash",
})
_TAIL_BLOCK_BYTES = 8192


class AuditUnavailable(BackendUnavailable):
    """The record could not be written durably: the disclosure must not be made."""


@dataclass(frozen=True, slots=True)
class DisclosureRecord:
    """One non-public answer. ``disclosed_fields`` holds names only (see above)."""

    time: datetime
    request_id: str
    service: Service
    client_id: str
    organisation: str
    tier: AccessTier
    purpose: str
    case_reference: str | None
    query: str
    object_handles: tuple[str, ...]
    disclosed_fields: tuple[str, ...]
    client_address: str

    def __post_init__(self) -> None:
        if self.time.utcoffset() is None:
            raise ValueError("an audit record's time must be timezone-aware")
        if self.service not in ("rdap", "whois"):
            raise ValueError("an audit record's service must be rdap or whois")
        if self.tier is AccessTier.PUBLIC:
            raise ValueError("public answers are not audited")
        unknown = set(self.disclosed_fields) - DISCLOSABLE_FIELD_NAMES
        if unknown:
            raise ValueError(f"not disclosable field names: {len(unknown)}")


@dataclass(frozen=True, slots=True)
class AuditReport:
    ok: bool
    records: int
    problems: tuple[str, ...]
    last_hash: str


def _canonical(members: dict[str, object]) -> bytes:
    # ASCII-only: every non-ASCII or control character is escaped, so a line is
    # one line whatever a client sent, and re-encoding a parsed line is exact.
    return json.dumps(members, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _chain_hash(members: dict[str, object]) -> str:
    return hashlib.sha256(_canonical(members)).hexdigest()


def _members(record: DisclosureRecord, prev: str) -> dict[str, object]:
    members: dict[str, object] = asdict(record)
    moment = record.time.astimezone(UTC).isoformat(timespec="microseconds")
    members.update(v=FORMAT_VERSION, time=moment.replace("+00:00", "Z"),
                   tier=record.tier.value, prev=prev)
    return members


def record_line(record: DisclosureRecord, prev: str) -> bytes:
    """The log line for ``record`` chained after ``prev``, newline included."""
    members = _members(record, prev)
    members["hash"] = _chain_hash(members)
    return _canonical(members) + b"\n"


class AuditLog:
    """An append-only audit file; nothing is opened until the first record."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._async_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"AuditLog({str(self.path)!r})"

    def append(self, record: DisclosureRecord) -> None:
        """Write and fsync one record, or raise ``AuditUnavailable``.

        Safe from several threads and processes: the exclusive ``flock`` held from
        reading the tail to the ``fsync`` serialises appends.
        """
        try:
            self._append_locked(record)
        except OSError as exc:
            raise AuditUnavailable("The disclosure audit log is unavailable") from exc

    async def append_async(self, record: DisclosureRecord) -> None:
        """``append`` in a worker thread; records keep the order of the calls."""
        async with self._async_lock:
            await asyncio.to_thread(self.append, record)

    def _append_locked(self, record: DisclosureRecord) -> None:
        created = not self.path.exists()
        descriptor = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            _write_all(descriptor, record_line(record, _tail_hash(descriptor)))
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
        if created:
            _fsync_directory(self.path.parent)


def _write_all(descriptor: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(descriptor, view):]


def _fsync_directory(directory: Path) -> None:
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _tail_hash(descriptor: int) -> str:
    """The hash to chain after: the last line's, once it verifies."""
    line = _last_line(descriptor)
    if line is None:
        return GENESIS_HASH
    members = _parse(line)
    if members is None or _canonical(members) != line:
        raise AuditUnavailable("The disclosure audit log's last record does not verify")
    claimed = members.pop("hash", None)
    if claimed != _chain_hash(members):
        raise AuditUnavailable("The disclosure audit log's last record does not verify")
    return str(claimed)


def _last_line(descriptor: int) -> bytes | None:
    end = os.lseek(descriptor, 0, os.SEEK_END)
    if end == 0:
        return None
    if os.pread(descriptor, 1, end - 1) != b"\n":
        raise AuditUnavailable("The disclosure audit log ends in an incomplete record")
    start, tail = end, b""
    while start > 0 and b"\n" not in tail[:-1]:
        step = min(_TAIL_BLOCK_BYTES, start)
        start -= step
        tail = os.pread(descriptor, step, start) + tail
    return tail[:-1].rsplit(b"\n", 1)[-1]


def _parse(line: bytes) -> dict[str, object] | None:
    try:
        members = json.loads(line.decode("ascii"))
    except ValueError:
        return None
    return members if isinstance(members, dict) else None


def verify_audit_log(path: Path) -> AuditReport:
    """Check every line and the chain; ``ok`` only if nothing at all is wrong.

    ``records`` counts the lines read, good or bad; ``last_hash`` is the hash the
    next record would chain after ("" if the last line cannot be read).
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        return AuditReport(False, 0, (f"cannot read the log: {type(exc).__name__}",), "")
    *complete, unterminated = data.split(b"\n")
    verifier = _ChainVerifier()
    for number, line in enumerate(complete, 1):
        verifier.check(number, line)
    if unterminated:
        verifier.check(len(complete) + 1, unterminated)
        verifier.problems.append(f"line {len(complete) + 1}: incomplete record (no line end)")
    return AuditReport(
        not verifier.problems, len(complete) + bool(unterminated), tuple(verifier.problems),
        verifier.prev or "",
    )


class _ChainVerifier:
    """Walks the lines in order; ``prev`` is None after a line it could not read."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.prev: str | None = GENESIS_HASH

    def check(self, number: int, line: bytes) -> None:
        members = _parse(line)
        if members is None:
            self.problems.append(f"line {number}: not a JSON object")
            self.prev = None
            return
        # The hash covers the parsed content; requiring the canonical bytes as well
        # makes any change of any byte (spacing, escapes, key order) detectable.
        if _canonical(members) != line:
            self.problems.append(f"line {number}: not in canonical form")
        if set(members) != _RECORD_MEMBERS:
            self.problems.append(f"line {number}: not an audit record (members differ)")
        claimed = members.pop("hash", None)
        if claimed != _chain_hash(members):
            self.problems.append(f"line {number}: hash mismatch")
        if self.prev is not None and members.get("prev") != self.prev:
            before = f"line {number - 1}" if number > 1 else "the start of the chain"
            self.problems.append(f"line {number}: prev does not match {before}")
        self.prev = claimed if isinstance(claimed, str) else None
