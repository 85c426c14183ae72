"""The benchmark (benchmarks/run.py) runs end to end on tiny data and prints every figure.

Its speed is not judged here: the figures of a --smoke run mean nothing, and the machine
running the tests is busy with other work. The benchmark itself judges the real run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FIGURES = ["votr --help", "votr --version", "votr vote", "votr create", "votr vote --batch",
           "votr list --json", "votr show"]


def test_the_benchmark_runs_on_tiny_data_and_prints_every_ratio(tmp_path):
    env = {key: value for key, value in os.environ.items() if not key.startswith("VOTR_")}
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "run.py"), "--smoke", "--keep", str(tmp_path)],
                          capture_output=True, text=True, env=env, timeout=240, cwd=tmp_path)
    # 0: every target met, 1: some missed (likely on tiny data); anything else is a failure.
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    assert done.stdout.startswith("machine: ")
    table = [line for line in done.stdout.splitlines() if line.startswith("| votr")]
    assert len(table) == 8
    for name in FIGURES:
        assert any(row.startswith(f"| {name} ") for row in table), name
    for row in table:
        assert re.search(r"\| \d+\.\d\d \| (<=|>=) [\d.]+x \| (ok|MISSED) \| (\d+\.\d\d)? \|$", row), row
    assert "the old web app: 35 s for 10,000 polls" in done.stdout
    assert re.search(r"\d of 8 targets met", done.stdout)
