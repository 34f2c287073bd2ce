"""benchmarks/likelihood.py: its targets and tables from rows (the training itself is run by hand),
and its command line."""

import importlib.util
import subprocess
import sys

from conftest import REPO

spec = importlib.util.spec_from_file_location("likelihood_benchmark", REPO / "benchmarks" / "likelihood.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def row(data, fam, output, nll=None, iw=None, in_scale=0.97):
    return {"family": fam, "output": output, "data": data, "config": "c", "nll_nats_per_frame": nll,
            "nll_whole_pieces_nats_per_frame": None if nll is None else nll - 0.2,
            "elbo_nats_per_frame": None if iw is None else iw + 0.1, "iw_nats_per_frame": iw,
            "iw_samples": None if iw is None else 64, "frames": 100, "params": 10, "train_seconds": 60.0,
            "epochs": 2, "sample_in_scale": in_scale, "data_in_scale": 0.98, "sample_density_rel_err": 0.05,
            "sample_polyphony_rel_err": 0.2, "sample_pitch_class_l1": 0.1, "samples_per_second": 900.0}


def test_targets_compare_the_rows_the_issue_names():
    runs = [row("nottingham", "lstm", "nade", nll=2.6), row("nottingham", "lstm_vae", "nade", iw=2.4),
            row("bach", "lstm", "bernoulli", nll=8.0), row("bach", "lstm", "nade", nll=5.9),
            row("bach", "lstm_vae", "bernoulli", iw=8.0), row("bach", "lstm_vae", "nade", iw=6.5)]
    checks = {t["name"]: t for t in bench.targets(runs)}
    assert checks["Nottingham: lstm_vae NADE IW bound (nats/frame)"]["met"]
    assert checks["Nottingham: lstm_vae NADE IW bound <= lstm NADE exact NLL per segment"]["met"]
    assert checks["Bach: lstm NADE at least 25% below lstm Bernoulli"]["met"]        # 5.9 <= 6.0
    assert not checks["Bach: lstm_vae NADE at least 25% below lstm_vae Bernoulli"]["met"]  # 6.5 > 6.0
    assert not checks["Nottingham: lstm_vae NADE prior samples, polyphony rel. error"]["met"]
    result = {"command": "python benchmarks/likelihood.py", "date": "d", "machine": "m", "total_seconds": 60,
              "setup": "s", "datasets": [{"name": "nottingham", "frames_per_beat": "2"},
                                         {"name": "bach", "frames_per_beat": "1"}],
              "runs": runs, "targets": bench.targets(runs)}
    md = bench.markdown(result)
    assert "| lstm_vae | nade |" in md and "2.400 (64)" in md and "RNN-NADE 2.31" in md and "RNN-NADE 5.56" in md
    assert "**no**" in md


def test_a_missing_folder_is_one_line_and_exit_2(tmp_path):
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "likelihood.py"), "--data",
                           str(tmp_path / "nope")], capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.strip().startswith("error: --data")
    assert len(done.stderr.strip().splitlines()) == 1
