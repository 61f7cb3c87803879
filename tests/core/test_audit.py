"""The disclosure audit log: a durable hash chain whose every alteration is detected."""

from __future__ import annotations

import asyncio
import json
import stat
import threading
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from rdap_coop.core.audit import (
    DISCLOSABLE_FIELD_NAMES,
    GENESIS_HASH,
    AuditLog,
    AuditUnavailable,
    DisclosureRecord,
    record_line,
    verify_audit_log,
)
from rdap_coop.core.errors import BackendUnavailable
from rdap_coop.core.redaction import AccessTier

START = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def make_record(number: int, **changes: object) -> DisclosureRecord:
    record = DisclosureRecord(
        time=START + timedelta(seconds=number, microseconds=number),
        request_id=f"req-{number:04d}",
        service="rdap" if number % 2 else "whois",
        client_id="c-3f9a1b2c4d5e",
        organisation="WIPO Arbitration and Mediation Center",
        tier=AccessTier.UDRP_PROVIDER,
        purpose="domainNameControl",
        case_reference="D2026-0123" if number % 3 else None,
        query=f"/domain/example-{number}.coop",
        object_handles=(f"D{number}-COOP", f"C{number}-COOP"),
        disclosed_fields=("Registrant Name", "Registrant Email", "Registry Tech ID"),
        client_address="192.0.2.10",
    )
    return record if not changes else _replace(record, **changes)


def _replace(record: DisclosureRecord, **changes: object) -> DisclosureRecord:
    members = {name: getattr(record, name) for name in DisclosureRecord.__dataclass_fields__}
    members.update(changes)
    return DisclosureRecord(**members)


def write_log(path: Path, count: int) -> list[bytes]:
    log = AuditLog(path)
    for number in range(count):
        log.append(make_record(number))
    return path.read_bytes().splitlines(keepends=True)


def problems_of(path: Path) -> tuple[str, ...]:
    report = verify_audit_log(path)
    assert not report.ok
    return report.problems


def test_a_chain_of_records_verifies(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path, 12)
    report = verify_audit_log(path)
    assert report.ok and report.records == 12 and report.problems == ()
    first, last = json.loads(lines[0]), json.loads(lines[-1])
    assert first["prev"] == GENESIS_HASH
    assert report.last_hash == last["hash"]
    assert [json.loads(line)["request_id"] for line in lines] == [
        f"req-{number:04d}" for number in range(12)
    ]


def test_a_line_holds_the_record_and_nothing_more(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    (line,) = write_log(path, 1)
    assert line.endswith(b"\n") and line.count(b"\n") == 1 and line.isascii()
    members = json.loads(line)
    assert list(members) == sorted(members)
    assert line == json.dumps(members, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    assert members["time"] == "2026-11-29T12:00:00.000000Z"
    assert members["tier"] == "udrp_provider" and members["service"] == "whois"
    assert members["case_reference"] is None and members["v"] == 1
    assert members["object_handles"] == ["D0-COOP", "C0-COOP"]
    assert members["disclosed_fields"] == ["Registrant Name", "Registrant Email",
                                           "Registry Tech ID"]


def test_an_empty_log_verifies(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    path.write_bytes(b"")
    report = verify_audit_log(path)
    assert report.ok and report.records == 0 and report.last_hash == GENESIS_HASH


def test_altering_any_byte_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    original = b"".join(write_log(path, 3))
    for offset in range(len(original)):
        for replacement in {original[offset] ^ 0x01, ord(" ")} - {original[offset]}:
            altered = bytearray(original)
            altered[offset] = replacement
            path.write_bytes(bytes(altered))
            problems = problems_of(path)
            assert all(problem.startswith("line ") for problem in problems), offset


def test_altering_a_value_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path, 5)
    lines[2] = lines[2].replace(b"192.0.2.10", b"192.0.2.99")
    path.write_bytes(b"".join(lines))
    assert problems_of(path) == ("line 3: hash mismatch",)


def test_rehashing_an_altered_line_breaks_the_next_link(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path, 5)
    previous = json.loads(lines[1])["hash"]
    lines[2] = record_line(make_record(2, organisation="Someone Else"), previous)
    path.write_bytes(b"".join(lines))
    assert problems_of(path) == ("line 4: prev does not match line 3",)


def test_deleting_a_line_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path, 5)
    del lines[1]
    path.write_bytes(b"".join(lines))
    assert problems_of(path) == ("line 2: prev does not match line 1",)


def test_deleting_the_first_line_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path, 3)
    path.write_bytes(b"".join(lines[1:]))
    assert problems_of(path) == ("line 1: prev does not match the start of the chain",)


def test_swapping_two_lines_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path, 5)
    lines[1], lines[3] = lines[3], lines[1]
    path.write_bytes(b"".join(lines))
    problems = problems_of(path)
    assert "line 2: prev does not match line 1" in problems
    assert "line 4: prev does not match line 3" in problems


def test_inserting_a_forged_line_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path, 4)
    forged = record_line(make_record(99), json.loads(lines[1])["hash"])
    path.write_bytes(b"".join([*lines[:2], forged, *lines[2:]]))
    assert problems_of(path) == ("line 4: prev does not match line 3",)


def test_truncating_inside_a_record_is_detected(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    data = b"".join(write_log(path, 4))
    path.write_bytes(data[: len(data) - 40])
    assert "line 4: incomplete record (no line end)" in problems_of(path)
    middle = data.index(b"\n") + 30
    path.write_bytes(data[:middle] + data[data.index(b"\n", middle):])
    assert problems_of(path)[0] == "line 2: not a JSON object"


def test_dropping_whole_records_from_the_end_changes_the_anchor(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path, 4)
    anchor = verify_audit_log(path).last_hash
    path.write_bytes(b"".join(lines[:3]))
    report = verify_audit_log(path)
    assert report.ok and report.last_hash != anchor


@pytest.mark.parametrize(
    "garbage", [b"not json\n", b"[1, 2]\n", b"\n", b'{"prev": "x"}\n', "caf\u00e9\n".encode()]
)
def test_malformed_lines_are_named(tmp_path: Path, garbage: bytes) -> None:
    path = tmp_path / "audit.jsonl"
    lines = write_log(path, 3)
    path.write_bytes(b"".join([*lines[:1], garbage, *lines[1:]]))
    assert problems_of(path)[0].startswith("line 2: ")


def test_a_missing_log_does_not_verify(tmp_path: Path) -> None:
    report = verify_audit_log(tmp_path / "absent.jsonl")
    assert not report.ok and report.problems == ("cannot read the log: FileNotFoundError",)


def test_reopening_a_log_continues_its_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    write_log(path, 3)
    reopened = AuditLog(path)
    reopened.append(make_record(3))
    reopened.append(make_record(4))
    report = verify_audit_log(path)
    assert report.ok and report.records == 5


def test_a_new_log_is_private(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    write_log(path, 1)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("damage", ["alter", "cut"])
def test_a_log_whose_tail_does_not_verify_takes_no_more_records(
    tmp_path: Path, damage: str
) -> None:
    path = tmp_path / "audit.jsonl"
    data = b"".join(write_log(path, 3))
    damaged = data.replace(b"req-0002", b"req-9999") if damage == "alter" else data[:-1]
    path.write_bytes(damaged)
    with pytest.raises(AuditUnavailable):
        AuditLog(path).append(make_record(3))
    assert path.read_bytes() == damaged


def test_an_unwritable_log_is_unavailable(tmp_path: Path) -> None:
    log = AuditLog(tmp_path / "no-such-directory" / "audit.jsonl")
    with pytest.raises(AuditUnavailable) as failure:
        log.append(make_record(0))
    assert isinstance(failure.value, BackendUnavailable) and failure.value.http_status == 503
    directory_as_file = AuditLog(tmp_path)
    with pytest.raises(AuditUnavailable):
        directory_as_file.append(make_record(0))


async def test_async_appends_keep_their_order(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    await asyncio.gather(*(log.append_async(make_record(number)) for number in range(20)))
    assert verify_audit_log(path).ok
    ids = [json.loads(line)["request_id"] for line in path.read_bytes().splitlines()]
    assert ids == [f"req-{number:04d}" for number in range(20)]


def test_writers_in_several_threads_share_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"

    def writer(offset: int) -> None:
        log = AuditLog(path)  # one per thread, as separate processes would have
        for number in range(10):
            log.append(make_record(offset + number))

    threads = [threading.Thread(target=writer, args=(100 * n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = verify_audit_log(path)
    assert report.ok and report.records == 40


def test_client_text_cannot_break_a_line(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    query = "exämple.coop\r\n{\"forged\": true}\u2028\x00\ud800"
    AuditLog(path).append(make_record(0, query=query))
    (line,) = path.read_bytes().splitlines()
    assert json.loads(line)["query"] == query
    assert verify_audit_log(path).ok


@pytest.mark.parametrize(
    "disclosed", [("jane.doe@example.coop",), ("Registrant Name", "+44.2079460000"),
                  ("Jane Doe",), ("registrant name",)]
)
def test_records_take_field_names_never_values(disclosed: tuple[str, ...]) -> None:
    with pytest.raises(ValueError) as failure:
        make_record(0, disclosed_fields=disclosed)
    assert not any(value in str(failure.value) for value in disclosed)


def test_the_disclosable_names_are_the_icann_names() -> None:
    assert {"Registrant Name", "Registrant Email", "Registrant Street", "Registry Registrant ID",
            "Tech Phone", "Registry Tech ID"} <= DISCLOSABLE_FIELD_NAMES
    assert "Registrant Organization" in DISCLOSABLE_FIELD_NAMES


@pytest.mark.parametrize(
    "changes",
    [{"time": datetime(2026, 11, 29, 12)}, {"tier": AccessTier.PUBLIC}, {"service": "http"}],
)
def test_records_are_validated(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        make_record(0, **changes)


def test_times_are_recorded_in_utc(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    local = datetime(2026, 11, 29, 13, 0, tzinfo=timezone(timedelta(hours=1)))
    AuditLog(path).append(make_record(0, time=local))
    assert json.loads(path.read_bytes())["time"] == "2026-11-29T12:00:00.000000Z"
