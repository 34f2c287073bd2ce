"""Smoke test of benchmarks/nottingham.py --quick on a slice of the real dataset (no timings)."""

import json
import subprocess
import sys

from conftest import REPO

REQUIRED = ("config", "data", "f1_teacher_forced", "precision_free_running", "recall_free_running",
            "f1_free_running", "accuracy", "accuracy_all_zeros", "kl_nats", "active_units",
            "elbo_nats_per_step", "sample_note_density_rel_err", "sample_polyphony_rel_err",
            "sample_pitch_class_l1", "train_seconds", "params")


def test_quick_benchmark_writes_the_result_files(nottingham_slice, nottingham, tmp_path):
    (nottingham_slice / "melody").mkdir()
    for tune in nottingham_slice.glob("*.mid"):
        (nottingham_slice / "melody" / tune.name).symlink_to(nottingham / "melody" / tune.name)
    out = tmp_path / "results"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "nottingham.py"), "--quick", "--data", str(nottingham_slice),
         "--runs", str(tmp_path / "runs"), "--out", str(out), "--minutes", "0.05"],
        capture_output=True, text=True, cwd=tmp_path, env={"MGUV_CACHE_DIR": str(tmp_path / "cache"),
                                                           "PATH": "/usr/bin:/bin"}, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((out / "nottingham.json").read_text())
    assert [(r["config"], r["data"], r["split"], r["onsets"]) for r in result["runs"]] == [
        ("lstm_vae-tiny", "full", "segment", False), ("lstm_vae-tiny", "melody", "segment", False),
        ("lstm_vae-tiny", "full", "file", True)]
    for run in result["runs"]:
        assert all(key in run for key in REQUIRED)
        assert 0 <= run["f1_free_running"] <= 1 and run["params"] > 0
    assert result["best"] == "lstm_vae-tiny"
    assert {t["name"] for t in result["targets"]} >= {"teacher-forced F1", "free-running F1"}
    assert 0 <= result["split_leak"]["nearest_train_segment_f1"] <= 1
    onset_checks = result["onset_targets"]["lstm_vae-tiny-full-file-split-onsets"]
    assert {t["name"] for t in onset_checks} >= {"free-running onset F1 (file split)", "round trip: notes back identical"}
    assert result["roundtrip_onsets"]["survived_fraction"] == 1.0
    for key in ("onset_f1_teacher_forced", "onset_f1_free_running", "onset_precision_free_running",
                "onset_recall_free_running", "frame_f1_free_running", "split"):
        assert all(key in run for run in result["runs"]), key
    md = (out / "nottingham.md").read_text()
    assert "| lstm_vae-tiny | melody |" in md and "python benchmarks/nottingham.py --quick" in md
    assert (out / "nottingham" / "lstm_vae-tiny-full-tsne.png").stat().st_size > 0


def test_a_missing_folder_is_one_line_and_exit_2(tmp_path):
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "nottingham.py"), "--data",
                           str(tmp_path / "nope")], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.strip().startswith("error: --data")
    assert len(done.stderr.strip().splitlines()) == 1
