"""The audit log of disclosures cannot be written: the disk is full, or its directory
is gone (an unmounted volume).

A disclosure is never made unaudited (SPEC ACC-20): while the log takes no record,
accredited clients get 503 (RDAP) or "temporarily unavailable" (WHOIS), while public
answers -- which need no record -- go on as before. Once the log is writable again,
disclosures resume, and every one served, before and after, is in the log, whose
hash chain is intact. Faked as root can: a symlink to ``/dev/full`` (ENOSPC on every
write) in place of the log, and the log's directory renamed away (ENOENT).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import aiohttp

from rdap_coop.core.audit import verify_audit_log
from tests.faults.census import assert_no_leak
from tests.faults.conftest import (
    HEALTHY_SECONDS,
    RECOVERY_SECONDS,
    REFUSAL_SECONDS,
    ROUNDS,
    WARM_SECONDS,
    Cluster,
    Launcher,
    assert_logs_clean,
    settled,
    until,
)
from tests.faults.load import HANG_SECONDS, Load, Probe, figure, public_probes, worst, wrong
from tests.rdap.test_access import LE_PURPOSE, accredit

ACCREDITED = ("accredited-rdap", "accredited-whois")
LAW_ENFORCEMENT_SOURCE = "127.0.0.2"  # allow-listed for WHOIS by accredit()


@contextlib.contextmanager
def disk_full(log: Path) -> Iterator[None]:
    """The log's name points at /dev/full; the file itself is kept aside, unchanged."""
    kept, full = log.with_suffix(".kept"), log.with_suffix(".full")
    os.link(log, kept)
    full.symlink_to("/dev/full")
    full.replace(log)  # atomic: no moment without a log to start a new chain in
    try:
        yield
    finally:
        kept.replace(log)


@contextlib.contextmanager
def directory_gone(log: Path) -> Iterator[None]:
    away = log.parent.with_name(log.parent.name + ".away")
    log.parent.rename(away)
    try:
        yield
    finally:
        away.rename(log.parent)


async def test_disclosures_are_refused_while_the_audit_log_takes_no_record(
    cluster: Cluster, launch: Launcher, secrets: frozenset[str], tmp_path: Path
) -> None:
    accredited = accredit(tmp_path)
    log = tmp_path / "audit" / "disclosures.jsonl"
    log.parent.mkdir()
    access = {"CLIENTS_FILE": str(accredited.clients_file), "AUDIT_LOG": str(log)}
    services = rdap, whois = await asyncio.gather(launch("rdap", **access),
                                                  launch("whois", **access))
    timeout = aiohttp.ClientTimeout(total=HANG_SECONDS)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        load = Load(session, secrets)
        probes: list[Probe] = [
            *public_probes(load, "public", rdap=rdap.url, whois=whois.port),
            functools.partial(load.rdap, "accredited-rdap", rdap.url + "/domain/example.coop",
                              token=accredited.tokens["udrp"]),
            functools.partial(load.rdap, "accredited-rdap",
                              f"{rdap.url}/domain/disputed.coop?roidc1_qp={LE_PURPOSE}",
                              token=accredited.tokens["police"]),
            functools.partial(load.whois, "accredited-whois", whois.port, "example.coop",
                              source=LAW_ENFORCEMENT_SOURCE, accredited=True),
        ]
        await load.learn(probes)
        async with load.running(probes):
            await asyncio.sleep(WARM_SECONDS)
    before = await settled(*services)

    recoveries = []
    faults: list[Callable[[Path], contextlib.AbstractContextManager[None]]] = [
        disk_full, directory_gone]
    async with aiohttp.ClientSession(timeout=timeout) as session:
        load.session = session
        async with load.running(probes, askers=6):
            for fault in faults * ROUNDS:
                await asyncio.sleep(0.2)
                with fault(log):
                    broken = time.monotonic()
                    await until(functools.partial(load.refused_all, ACCREDITED, broken), 5.0)
                    await asyncio.sleep(0.3)
                mended = time.monotonic()
                recoveries.append(max([await load.recovered(label, since=mended,
                                                            within=RECOVERY_SECONDS)
                                       for label in ACCREDITED]))
    after = await settled(*services)

    report = verify_audit_log(log)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    served = [o for o in load.of(*ACCREDITED) if o.kind == "ok"]
    refused = [o for o in load.outcomes if o.kind == "unavailable"]
    figure("audit log unwritable", load.outcomes, load.of("public"),
           disclosures_served=len(served), audit_records=len(records),
           worst_refusal=f"{worst(refused) * 1000:.0f} ms",
           recovered_after=f"{max(recoveries):.2f} s",
           descriptors=f"{before[0]}+{before[1]} -> {after[0]}+{after[1]}")
    assert wrong(load.outcomes) == []
    assert all(o.kind == "ok" for o in load.of("public"))
    assert worst(load.of("public")) < HEALTHY_SECONDS
    assert {o.label for o in refused} == set(ACCREDITED)
    assert worst(refused) < REFUSAL_SECONDS
    # Every disclosure served is on record, and nothing else is; the chain is whole.
    assert report.ok, report.problems
    assert len(records) == len(served)
    rdap_ids = {o.request_id for o in served if o.label == "accredited-rdap"}
    assert rdap_ids == {r["request_id"] for r in records if r["service"] == "rdap"}
    for old, new in zip(before, after, strict=True):
        assert_no_leak(old, new)
    assert_logs_clean(services, secrets)
