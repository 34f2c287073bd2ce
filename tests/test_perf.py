"""Smoke test of benchmarks/perf.py --quick: it runs and writes valid results (no timings checked)."""

import json
import os
import subprocess
import sys

from conftest import NOTTINGHAM, REPO

SECTIONS = ("midi", "audio", "train_lstm", "train_conv", "generate", "decode_audio")


def test_quick_run_writes_the_targets_and_every_section(tmp_path):
    out = tmp_path / "results"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "perf.py"), "--quick", "--out", str(out)]
        + (["--data", str(NOTTINGHAM)] if NOTTINGHAM.is_dir() else []),
        capture_output=True, text=True, cwd=tmp_path, timeout=600,
        env={**os.environ, "MGUV_CACHE_DIR": str(tmp_path / "cache")})
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((out / "perf.json").read_text())
    assert result["quick"] and len(result["load_before"]) == 3
    targets = result["targets"]
    assert len(targets) == 12
    for t in targets:
        assert {"name", "value", "unit", "target", "met"} <= set(t)
        assert t["met"] in (True, False, None)
    for name in SECTIONS:
        section = result["sections"][name]
        assert "error" not in section, section.get("traceback", section["error"])
    if NOTTINGHAM.is_dir():
        assert result["sections"]["midi"]["identical_segments"]
    else:  # Parts that need the Nottingham files say why they were skipped.
        assert "Nottingham" in result["sections"]["midi"]["skipped"]
    measured = [t for t in targets if t["met"] is not None]
    assert len(measured) >= (12 if NOTTINGHAM.is_dir() else 9)
    md = (out / "perf.md").read_text()
    assert "python benchmarks/perf.py --quick" in md and "| target | value | goal | met |" in md


def test_a_bad_data_folder_is_one_line_and_exit_2(tmp_path):
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "perf.py"), "--quick", "--out", str(tmp_path),
                           "--data", str(tmp_path / "missing")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.startswith("error: --data")
    assert not (tmp_path / "perf.json").exists()
