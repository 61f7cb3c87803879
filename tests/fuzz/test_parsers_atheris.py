"""The coverage-guided parser fuzzers of ``fuzz/parsers.py``, briefly (``make fuzz`` runs
them long): every target runs its inputs in its own process and finds no crash."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from tests.fuzz.invariants import FUZZ_SCALE

ROOT = Path(__file__).resolve().parents[2]
HARNESS = ROOT / "fuzz" / "parsers.py"
RUNS = 3000 * FUZZ_SCALE
RESULT = re.compile(r"^(\w+) +runs=(\d+) +crashes=(\d+) +seconds=[0-9.]+$", re.MULTILINE)


def test_every_parser_target_survives_its_inputs() -> None:
    targets = sorted(path.name for path in (ROOT / "fuzz" / "corpus").iterdir() if path.is_dir())
    assert len(targets) >= 10, targets
    finished = subprocess.run(
        [sys.executable, str(HARNESS), "--runs", str(RUNS), "--jobs", "2"],
        capture_output=True, text=True, cwd=ROOT, timeout=600 + RUNS // 100,
    )
    report = finished.stdout + finished.stderr
    results = {name: (int(runs), int(crashes)) for name, runs, crashes in RESULT.findall(report)}
    assert sorted(results) == targets, report
    assert finished.returncode == 0, report
    assert all(runs >= RUNS and crashes == 0 for runs, crashes in results.values()), report
