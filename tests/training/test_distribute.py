"""tf.distribute: mirrored replicas match one device; two workers train and only the chief writes."""

import csv
import json
import os
import socket
import subprocess
import sys

import pytest

from conftest import REPO


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def train_cli(out, data, cache, *extra, env=None):
    return subprocess.Popen(
        [sys.executable, "train.py", "--config", "lstm_vae-tiny", "--data", str(data), "--out", str(out),
         "--cache-dir", str(cache), "--workers", "1", "--samples", "1", "--set", "dropout=0", *extra],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def losses(run):
    with open(run / "history.csv") as f:
        return [float(row["loss"]) for row in csv.DictReader(f)]


def test_mirrored_two_cpu_replicas_match_one_device(tmp_path):
    from conftest import write_tune

    # Tunes that repeat one bar, so all training segments are equal and the shuffle order cannot
    # matter; one global batch per epoch, so epoch 1's loss is the loss after exactly one step.
    # Plain SGD: a gradient scaled per replica instead of per global batch would change that step.
    data = tmp_path / "data"
    data.mkdir()
    write_tune(data / "a.mid", bars=8)
    write_tune(data / "b.mid", pitches=(72, 71, 69, 67), bars=8)
    common = ("--epochs", "2", "--batch-size", "64", "--set", "beta_warmup_steps=0", "--set", "optimizer=sgd",
              "--set", "learning_rate=0.05", "--set", "clipnorm=0", "--set", "val_fraction=0.5")
    midi_folder = data
    single = train_cli(tmp_path / "single", midi_folder, tmp_path / "cache", *common)
    out, _ = single.communicate(timeout=600)
    assert single.returncode == 0, out[-3000:]
    mirrored = train_cli(tmp_path / "mirrored", midi_folder, tmp_path / "cache", *common,
                         "--strategy", "mirrored", "--cpu-replicas", "2")
    out, _ = mirrored.communicate(timeout=600)
    assert mirrored.returncode == 0, out[-3000:]
    assert "2 replicas (MirroredStrategy)" in out
    a, b = losses(tmp_path / "single"), losses(tmp_path / "mirrored")
    assert a[0] == pytest.approx(b[0], rel=1e-5) and a[1] == pytest.approx(b[1], rel=1e-5), (a, b)
    assert abs(a[1] - a[0]) > 100 * 1e-5 * a[0]  # the step moved the loss far more than the tolerance
    summary = json.loads((tmp_path / "mirrored" / "summary.json").read_text())
    assert summary["replicas"] == 2


def test_two_workers_train_and_only_the_chief_writes(midi_folder, tmp_path):
    ports = [free_port(), free_port()]
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs = []
    for index, out in enumerate(("chief", "worker")):
        env = {**os.environ, "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
        procs.append(train_cli(tmp_path / out, midi_folder, tmp_path / "cache", "--epochs", "2",
                               "--batch-size", "8", "--strategy", "multiworker", env=env))
    outputs = []
    for p in procs:
        try:
            out, _ = p.communicate(timeout=600)
        finally:
            p.kill()
        outputs.append(out)
    assert [p.returncode for p in procs] == [0, 0], "\n-----\n".join(o[-3000:] for o in outputs)
    assert "2 replicas" in outputs[0] and "done in" in outputs[0] and "nan" not in outputs[0].split("done in")[1]
    assert not (tmp_path / "worker").exists()
    chief = tmp_path / "chief"
    assert (chief / "saved_model" / "saved_model.pb").exists() and len(losses(chief)) == 2
    gen = subprocess.run([sys.executable, "-m", "mguv.generate", str(chief), "--num", "2", "--temperature", "1"],
                         cwd=REPO, capture_output=True, text=True, timeout=300)
    assert gen.returncode == 0, gen.stderr[-2000:]
    import pretty_midi

    notes = sum(len(i.notes) for i in pretty_midi.PrettyMIDI(str(chief / "generated" / "sample_00.mid")).instruments)
    assert notes > 0


def test_multiworker_without_tf_config_is_a_usage_error(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    result = subprocess.run([sys.executable, "train.py", "--strategy", "multiworker", "--data", str(tmp_path)],
                            cwd=REPO, capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 2 and "TF_CONFIG" in result.stderr
