"""Coverage-guided fuzzing (atheris) of the pure parsers: names, WHOIS lines, patterns, cursors.

Every target holds its parser to its contract: it returns a value of its type or raises
only its documented error (``InvalidQuery``, ``PatternUnsupported``, ``CursorInvalid``)
with fixed text that never echoes the input; a canonical result parses back to itself;
a cursor that decodes is exactly the one encoded, and an edited, foreign or misdirected
cursor never decodes. libFuzzer's per-input timeout turns a hang into a crash.

    python fuzz/parsers.py [--target NAME] --runs N [--jobs J]

runs each target (all by default) for N inputs in its own subprocess (atheris ends the
process when done), seeded from ``fuzz/corpus/<target>/``, and prints one line per
target: target, inputs run, crashes found, time. It exits non-zero on any crash and
prints the crashing input. New inputs libFuzzer finds go to a temporary directory:
the committed corpus stays small and only changes by hand.
"""

from __future__ import annotations

import argparse
import contextlib
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import atheris  # type: ignore[import-untyped]

# Only the fuzzing child needs coverage feedback, so only it instruments our modules.
_IN_CHILD = "--child" in sys.argv
with atheris.instrument_imports(include=["rdap_coop", "whois_coop"]) if _IN_CHILD else (
    contextlib.nullcontext()
):
    from rdap_coop.core import cursor, names, search_patterns
    from rdap_coop.core.errors import InvalidQuery, LookupFailed
    from whois_coop import protocol

CORPUS = Path(__file__).resolve().parent / "corpus"
# Inputs are names and query lines: a few hundred bytes hold every interesting shape.
MAX_INPUT_BYTES = 1024
PER_INPUT_TIMEOUT_SECONDS = 10
CURSOR_SECRET = b"fuzz-parsers cursor secret, 32+ bytes"
CURSOR_CLOCK = 1_700_000_000.0
DOMAIN = names.DomainName

NAME_ERRORS = frozenset({
    "invalid domain name", "invalid host name", "invalid IP address", "invalid registrar ID",
    "invalid entity handle",
})


def _constants(module: Any) -> frozenset[str]:
    """The fixed texts a module raises with: its upper-case string constants."""
    return frozenset(value for key, value in vars(module).items()
                     if isinstance(value, str) and key.lstrip("_").isupper())


PATTERN_ERRORS = _constants(search_patterns) | {
    "invalid domain name pattern", "invalid host name pattern", "invalid search pattern",
}
WHOIS_ERRORS = _constants(protocol) | NAME_ERRORS
CURSOR_ERRORS = _constants(cursor)


def _text(data: bytes) -> str:
    # surrogateescape: every byte string is a distinct str, invalid UTF-8 included.
    return data.decode("utf-8", "surrogateescape")


def _check_error(error: LookupFailed, texts: frozenset[str]) -> None:
    assert error.description in texts, f"undocumented error text {error.description!r}"


# ---------------------------------------------------------------------------------------
# Names, handles, addresses (rdap_coop.core.names).


def _check_name(parse: Callable[[str], names.DomainName], data: bytes) -> None:
    try:
        name = parse(_text(data))
    except InvalidQuery as error:
        _check_error(error, NAME_ERRORS)
        return
    assert isinstance(name, DOMAIN)
    assert name.ldh_name.isascii() and name.ldh_name == name.ldh_name.lower()
    assert len(name.ldh_name) <= names.MAX_NAME_OCTETS and not name.ldh_name.endswith(".")
    again = parse(name.ldh_name)
    assert again == name and again.unicode_name == name.unicode_name, (name, again)
    if name.unicode_name is not None:
        assert unicodedata.is_normalized("NFC", name.unicode_name)
        assert parse(name.unicode_name) == name


def domain_name(data: bytes) -> None:
    _check_name(names.parse_domain_name, data)


def host_name(data: bytes) -> None:
    _check_name(names.parse_host_name, data)


def entity_handle(data: bytes) -> None:
    try:
        handle = names.parse_entity_handle(_text(data))
    except InvalidQuery as error:
        _check_error(error, NAME_ERRORS)
        return
    if isinstance(handle, names.RegistrarHandle):
        assert 1 <= handle.iana_id <= names.MAX_REGISTRAR_ID
        assert names.parse_entity_handle(str(handle.iana_id)) == handle
    else:
        assert isinstance(handle, names.RoidHandle) and handle.roid == handle.roid.upper()
        assert names.parse_entity_handle(handle.roid) == handle


def ip_address(data: bytes) -> None:
    try:
        address = names.parse_ip_address(_text(data))
    except InvalidQuery as error:
        _check_error(error, NAME_ERRORS)
        return
    assert names.parse_ip_address(str(address)) == address


# ---------------------------------------------------------------------------------------
# Port-43 query lines (whois_coop.protocol).


def _canonical_line(query: protocol.WhoisQuery) -> bytes | None:
    """A query line that asks exactly ``query``, or None where no line can."""
    kind = protocol.QueryKind
    if query.kind is kind.HELP:
        return b"help\r\n"
    if query.kind in (kind.DOMAIN, kind.NAMESERVER) and query.name is not None:
        return f"{query.kind.value} {query.name.ldh_name}\r\n".encode()
    if query.kind is kind.NAMESERVER_BY_ADDRESS:
        return f"nameserver {query.address}\r\n".encode()
    if query.kind is kind.REGISTRAR_BY_ID:
        return f"registrar {query.registrar_id}\r\n".encode()
    name = query.registrar_name or ""
    # An all-digit name reads as an ID, a leading '=' as the legacy prefix.
    if name.isdigit() or name.startswith("="):
        return None
    return f"registrar {name}\r\n".encode()


def whois_query(data: bytes) -> None:
    try:
        query = protocol.parse_whois_query(data)
    except InvalidQuery as error:
        _check_error(error, WHOIS_ERRORS)
        return
    assert isinstance(query, protocol.WhoisQuery)
    assert len(data) <= protocol.DEFAULT_MAX_QUERY_BYTES
    line = _canonical_line(query)
    if line is not None:
        assert protocol.parse_whois_query(line, max_query_bytes=len(line)) == query, line


# ---------------------------------------------------------------------------------------
# Search patterns (rdap_coop.core.search_patterns).


def _check_name_pattern(parse: Callable[[str], search_patterns.NamePattern], data: bytes) -> None:
    try:
        pattern = parse(_text(data))
    except (InvalidQuery, search_patterns.PatternUnsupported) as error:
        _check_error(error, PATTERN_ERRORS)
        return
    fields = (pattern.exact, pattern.ldh_prefix, pattern.unicode_prefix)
    assert sum(field is not None for field in fields) == 1, pattern
    if pattern.exact is not None:
        assert pattern.matches(pattern.exact)
        canonical = pattern.exact.ldh_name
    else:
        prefix = pattern.ldh_prefix or pattern.unicode_prefix
        assert prefix and "." not in prefix and "%" not in prefix and "_" not in prefix
        canonical = f"{prefix}*.{pattern.suffix}"
    assert parse(canonical) == pattern, canonical


def domain_pattern(data: bytes) -> None:
    _check_name_pattern(search_patterns.parse_domain_pattern, data)


def host_pattern(data: bytes) -> None:
    _check_name_pattern(search_patterns.parse_host_pattern, data)


def prefix_search(data: bytes) -> None:
    """Every prefix of a registrable name's first label finds that name, or is refused
    for a documented reason (422) -- never as a malformed pattern (400). As documented,
    an all-ASCII prefix is matched against A-labels only: "mple*" does not find
    "mple協.coop" (xn--mple-jt0g.coop), so that case need only parse."""
    if not data:
        return
    try:
        name = names.parse_domain_name(_text(data[1:]))
    except InvalidQuery:
        return
    if not name.is_registrable_coop:
        return
    spelling = name.unicode_name if name.unicode_name and data[0] & 1 else name.ldh_name
    label = spelling.partition(".")[0]
    prefix = label[: 1 + (data[0] >> 1) % len(label)]
    try:
        pattern = search_patterns.parse_domain_pattern(prefix + "*")
    except search_patterns.PatternUnsupported as error:
        _check_error(error, PATTERN_ERRORS)
        return
    if spelling == name.ldh_name or not prefix.isascii():
        assert pattern.matches(name), (prefix, name, pattern)


def text_pattern(data: bytes) -> None:
    try:
        pattern = search_patterns.parse_text_pattern(_text(data))
    except (InvalidQuery, search_patterns.PatternUnsupported) as error:
        _check_error(error, PATTERN_ERRORS)
        return
    assert (pattern.exact is None) != (pattern.prefix is None), pattern
    folded = pattern.exact if pattern.exact is not None else f"{pattern.prefix}*"
    # Case folding may lengthen a term ("İ" is two characters lower-cased).
    again = search_patterns.parse_text_pattern(folded, max_chars=len(folded))
    assert again == pattern, (pattern, again)


# ---------------------------------------------------------------------------------------
# Paging cursors (rdap_coop.core.cursor).

CODEC = cursor.CursorCodec(CURSOR_SECRET, clock=lambda: CURSOR_CLOCK)


def cursor_arbitrary(data: bytes) -> None:
    """Any token at all: a state only if it is genuine, else CursorInvalid, nothing else."""
    try:
        CODEC.decode(_text(data), query_fingerprint="fuzz", viewer="public")
    except cursor.CursorInvalid as error:
        _check_error(error, CURSOR_ERRORS)


def _state(provider: Any) -> cursor.CursorState:
    parts: list[cursor.KeyPart] = []
    for _ in range(provider.ConsumeIntInRange(0, 3)):
        kind = provider.ConsumeIntInRange(0, 2)
        part: cursor.KeyPart = None
        if kind == 1:
            part = provider.ConsumeUnicode(provider.ConsumeIntInRange(0, 40))
        elif kind == 2:
            part = provider.ConsumeInt(provider.ConsumeIntInRange(1, 9))
        parts.append(part)
    return cursor.CursorState(
        query_fingerprint=provider.ConsumeUnicode(provider.ConsumeIntInRange(0, 40)),
        viewer=provider.ConsumeUnicode(provider.ConsumeIntInRange(0, 20)),
        last_key=tuple(parts),
        page_number=provider.ConsumeIntInRange(1, 2**40),
    )


def _tampered(token: str, provider: Any) -> str:
    at = provider.ConsumeIntInRange(0, len(token))
    edit = provider.ConsumeIntInRange(0, 4)
    char = chr(provider.ConsumeIntInRange(32, 0x17F))
    if edit == 0:
        return token[:at] + char + token[at + 1:]
    if edit == 1:
        return token[:at] + char + token[at:]
    if edit == 2:
        return token[:at] + token[at + 1:]
    if edit == 3:
        return token[:at]
    return token[:at] + token[at:].swapcase()


def _refused(token: str, fingerprint: str, viewer: str) -> None:
    try:
        CODEC.decode(token, query_fingerprint=fingerprint, viewer=viewer)
    except cursor.CursorInvalid as error:
        _check_error(error, CURSOR_ERRORS)
    else:
        raise AssertionError(f"cursor {token!r} decoded for {fingerprint!r}, {viewer!r}")


def cursor_tampered(data: bytes) -> None:
    """A genuine cursor round-trips; edited, or presented elsewhere, it never decodes."""
    provider = atheris.FuzzedDataProvider(data)
    state = _state(provider)
    try:
        token = CODEC.encode(state)
    except ValueError:
        return  # documented: a state too large for a token (a caller's bug)
    fingerprint, viewer = state.query_fingerprint, state.viewer
    assert CODEC.decode(token, query_fingerprint=fingerprint, viewer=viewer) == state
    _refused(token, fingerprint + "x", viewer)
    _refused(token, fingerprint, viewer + "x")
    edited = _tampered(token, provider)
    if edited != token:
        _refused(edited, fingerprint, viewer)


TARGETS: dict[str, Callable[[bytes], None]] = {
    "domain_name": domain_name,
    "host_name": host_name,
    "entity_handle": entity_handle,
    "ip_address": ip_address,
    "whois_query": whois_query,
    "domain_pattern": domain_pattern,
    "host_pattern": host_pattern,
    "prefix_search": prefix_search,
    "text_pattern": text_pattern,
    "cursor_arbitrary": cursor_arbitrary,
    "cursor_tampered": cursor_tampered,
}


# ---------------------------------------------------------------------------------------
# Running: one subprocess per target, because atheris exits the process when done.


@dataclass(frozen=True, slots=True)
class Outcome:
    target: str
    runs: int
    crashes: int
    seconds: float
    report: str = ""


def fuzz_in_this_process(target: str, runs: int, workdir: Path) -> None:
    """The child: libFuzzer over ``target``; new inputs go to ``workdir``, not the corpus."""
    found = workdir / "corpus"
    found.mkdir(exist_ok=True)
    atheris.Setup(
        [sys.argv[0], f"-runs={runs}", f"-max_len={MAX_INPUT_BYTES}",
         f"-timeout={PER_INPUT_TIMEOUT_SECONDS}", f"-artifact_prefix={workdir}/",
         "-print_final_stats=1", str(found), str(CORPUS / target)],
        TARGETS[target],
    )
    atheris.Fuzz()


def run_target(target: str, runs: int) -> Outcome:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"fuzz-{target}-") as directory:
        workdir = Path(directory)
        command = [sys.executable, __file__, "--child", target, "--runs", str(runs),
                   "--workdir", str(workdir)]
        # A generous bound over libFuzzer's own per-input timeout: never hang here either.
        bound = 60 + runs * 0.05
        try:
            child = subprocess.run(command, capture_output=True, text=True, timeout=bound)
            # atheris prints the Python traceback on stdout, libFuzzer reports on stderr.
            log, failed = child.stdout + child.stderr, child.returncode != 0
        except subprocess.TimeoutExpired as expired:
            log, failed = f"killed after {bound:.0f} s\n{expired.stderr!r}", True
        artifacts = sorted(workdir.glob("crash-*")) + sorted(workdir.glob("timeout-*")) + sorted(
            workdir.glob("oom-*"))
        report = "" if not failed else _crash_report(log, artifacts)
    # "Done N runs" when finished; after a crash, the count of inputs executed.
    done = re.findall(r"Done (\d+) runs|number_of_executed_units: *(\d+)", log)
    runs_done = int(next(n for n in done[-1] if n)) if done else 0
    return Outcome(target, runs_done, int(failed), time.monotonic() - started, report)


def _crash_report(log: str, artifacts: list[Path]) -> str:
    """The Python traceback (or libFuzzer's complaint) and the inputs that caused it."""
    start = log.find("=== Uncaught Python exception")
    lines = log[start:].splitlines() if start >= 0 else log.splitlines()[-25:]
    lines = [line for line in lines if not line.startswith(("INFO:", "WARNING:", "#"))]
    inputs = [f"crashing input ({path.name}): {path.read_bytes()!r}" for path in artifacts]
    return "\n".join([*lines[:60], *inputs])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", choices=sorted(TARGETS), action="append")
    parser.add_argument("--runs", type=int, required=True, help="inputs per target")
    parser.add_argument("--jobs", type=int, default=1, help="targets fuzzed at once")
    parser.add_argument("--child", choices=sorted(TARGETS), help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        fuzz_in_this_process(args.child, args.runs, args.workdir)
        return 0
    targets = args.target or list(TARGETS)
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        outcomes = list(pool.map(lambda target: run_target(target, args.runs), targets))
    for outcome in outcomes:
        print(f"{outcome.target:<17} runs={outcome.runs:<9} crashes={outcome.crashes} "
              f"seconds={outcome.seconds:.1f}", flush=True)
    for outcome in outcomes:
        if outcome.crashes:
            print(f"\n=== {outcome.target} ===\n{outcome.report}", flush=True)
    return 1 if any(outcome.crashes for outcome in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
