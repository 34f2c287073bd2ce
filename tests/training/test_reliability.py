"""What stands between a user and lost work: resume keeps the better checkpoint, a diverged run
fails loudly and exports nothing non-finite, --overwrite checks before it deletes, a resume with
other settings is refused, and bad command lines get one line and an exit status."""

import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import REPO, write_tune
from mguv import configs
from mguv.errors import RunFailed, UsageError
from training.test_run import TINY, InterruptAt, run


def cli(*args, cwd=REPO):
    return subprocess.run([sys.executable, *args], cwd=cwd, capture_output=True, text=True, timeout=300)


def assert_one_line_error(result, needle, code=2):
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.returncode == code, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert len(lines) == 1 and needle in lines[0], result.stderr[-2000:]


def test_resume_keeps_the_better_checkpoint(midi_folder, tmp_path):
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        run(midi_folder, out, tmp_path, callbacks=[InterruptAt(1)])
    record_path = out / "checkpoints" / "best.json"
    record = json.loads(record_path.read_text())
    assert record["epoch"] == 1 and record["monitor"] == "val_objective"
    # Say epoch 1 scored far better than any later epoch can: the resumed epoch must not replace it.
    record_path.write_text(json.dumps({**record, "value": -1e9}))
    weights = (out / "checkpoints" / "best.weights.h5").read_bytes()
    run(midi_folder, out, tmp_path)
    assert (out / "checkpoints" / "best.weights.h5").read_bytes() == weights
    assert json.loads(record_path.read_text())["epoch"] == 1


def test_the_vae_picks_epochs_on_a_measure_annealing_does_not_move():
    import numpy as np

    model = TINY.build_model()
    model.compile(optimizer=TINY.train.build_optimizer())
    assert model.monitor == "val_objective"

    x = (np.random.default_rng(0).random((4,) + TINY.representation.shape) < 0.1).astype("float32")
    terms = model.loss_terms(x, training=False).terms
    # Before any step beta is annealed to 0, so the loss leaves the KL out; the objective does not.
    assert float(terms["beta"]) == 0.0
    np.testing.assert_allclose(terms["objective"], terms["recon"] + TINY.train.beta * terms["kl"], rtol=1e-5)


def test_a_diverged_run_fails_and_exports_nothing_non_finite(midi_folder, tmp_path):
    config = configs.override(TINY, ["learning_rate=1e30", "epochs=3"])
    out = tmp_path / "run"
    with pytest.raises(RunFailed, match="diverged"):
        train_config(config, midi_folder, out, tmp_path)
    assert not (out / "model.keras").exists() and not (out / "saved_model").exists()
    assert not (out / "backup").exists()  # a rerun must not resume from the diverged state
    done = cli("train.py", "--config", "lstm_vae-tiny", "--data", str(midi_folder), "--out", str(tmp_path / "cli"),
               "--set", "learning_rate=1e30", "--epochs", "2", "--cache-dir", str(tmp_path / "cache"),
               "--workers", "1")
    assert_one_line_error(done, "training diverged", code=1)
    assert not (tmp_path / "cli" / "model.keras").exists()


def train_config(config, midi_folder, out, tmp_path, **kw):
    from mguv.training.run import train

    return train(config, [str(midi_folder)], str(out), cache_dir=str(tmp_path / "cache"), workers=1,
                 num_samples=2, verbose=0, progress=False, **kw)


def test_overwrite_with_bad_data_leaves_the_old_run_intact(midi_folder, tmp_path):
    out = tmp_path / "run"
    run(midi_folder, out, tmp_path)
    before = {p: (out / p).read_bytes() for p in ("history.csv", "checkpoints/best.weights.h5", "model.keras")}
    with pytest.raises(UsageError, match="no such file"):
        train_config(TINY, tmp_path / "typo", out, tmp_path, overwrite=True)
    assert {p: (out / p).read_bytes() for p in before} == before
    # A good --overwrite starts clean: old TensorBoard events and samples go with the old run.
    (out / "logs" / "old.tfevents").write_text("old")
    (out / "notes.txt").write_text("mine")
    run(midi_folder, out, tmp_path, overwrite=True)
    assert not (out / "logs" / "old.tfevents").exists() and (out / "notes.txt").read_text() == "mine"


def test_a_resume_with_other_settings_is_refused_naming_the_keys(midi_folder, tmp_path):
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        run(midi_folder, out, tmp_path, callbacks=[InterruptAt(1)])
    changed = configs.override(TINY, ["learning_rate=0.01", "model.latent_dim=4"])
    with pytest.raises(UsageError, match=r"train.learning_rate: 0.001 -> 0.01.*|model.latent_dim") as err:
        train_config(changed, midi_folder, out, tmp_path)
    assert "model.latent_dim: 8 -> 4" in str(err.value) and "--overwrite" in str(err.value)
    assert json.loads((out / "config.json").read_text())["config"]["train"]["learning_rate"] == 0.001


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("reliability")
    folder = root / "midi"
    folder.mkdir()
    for i in range(3):
        write_tune(folder / f"t{i}.mid", bars=4, chord=[48 + i])
    out = root / "run"
    train_config(TINY, folder, out, root)
    return out, folder


@pytest.mark.parametrize("args, needle", [
    (["--set", "model.latent_dim=0"], "cannot build the model"),
    (["--samples", "-1"], "--samples -1"),
    (["--set", "learning_rate=nan"], "learning_rate must be a positive number"),
    (["--set", "beta=-1"], "beta must be 0 or a positive number"),
    (["--set", "pos_weight=inf"], "pos_weight must be a positive number"),
])
def test_bad_training_settings_are_one_line(args, needle, finished_run, tmp_path):
    _, folder = finished_run
    done = cli("train.py", "--config", "lstm_vae-tiny", "--data", str(folder), "--out", str(tmp_path / "r"),
               "--workers", "1", *args)
    assert_one_line_error(done, needle)
    assert not (tmp_path / "r" / "model.keras").exists()


def test_an_out_inside_a_file_is_found_before_training(finished_run, tmp_path):
    _, folder = finished_run
    (tmp_path / "notes.txt").write_text("x")
    assert_one_line_error(cli("train.py", "--config", "lstm_vae-tiny", "--data", str(folder), "--out",
                              str(tmp_path / "notes.txt" / "run")), "is not a writable folder")
    (tmp_path / "song.mid").write_text("x")
    assert_one_line_error(cli("-m", "mguv.generate", str(finished_run[0]), "--out",
                              str(tmp_path / "song.mid" / "g")), "is not a writable folder")


def test_an_unwritable_out_is_found_before_training(finished_run, tmp_path):
    if os.geteuid() == 0:
        pytest.skip("root may write anywhere: permissions cannot make a folder unwritable")
    _, folder = finished_run
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    assert_one_line_error(cli("train.py", "--config", "lstm_vae-tiny", "--data", str(folder), "--out",
                              str(locked / "run")), "is not a writable folder")


@pytest.mark.parametrize("args, needle", [
    (["--temperature", "nan"], "--temperature must be a finite number"),
    (["--temperature", "inf"], "--temperature must be a finite number"),
    (["--out", "FILE"], "is a file"),
])
def test_bad_generate_options_are_one_line(args, needle, finished_run, tmp_path):
    out, _ = finished_run
    (tmp_path / "taken.mid").write_text("x")
    args = [str(tmp_path / "taken.mid") if a == "FILE" else a for a in args]
    assert_one_line_error(cli("-m", "mguv.generate", str(out), *args), needle)


def test_interpolating_to_a_hostile_file_is_one_line(finished_run, tmp_path):
    from data.test_hostile_files import long_note_midi

    out, folder = finished_run
    (tmp_path / "long.mid").write_bytes(long_note_midi())
    done = cli("-m", "mguv.generate", str(out), "--interpolate", str(folder / "t0.mid"), str(tmp_path / "long.mid"),
               "--out", str(tmp_path / "g"))
    assert_one_line_error(done, "too costly")


def test_a_saved_model_without_its_variables_is_one_line(finished_run, tmp_path):
    out, _ = finished_run
    broken = tmp_path / "broken"
    shutil.copytree(out / "saved_model", broken)
    shutil.rmtree(broken / "variables")
    assert_one_line_error(cli("-m", "mguv.generate", str(broken), "--out", str(tmp_path / "g")),
                          "cannot be loaded as an mguv SavedModel")


def test_evaluate_on_a_truncated_model_says_it_is_damaged(finished_run, tmp_path):
    out, _ = finished_run
    copy = tmp_path / "run"
    shutil.copytree(out, copy)
    data = (copy / "model.keras").read_bytes()
    (copy / "model.keras").write_bytes(data[: len(data) // 2])
    assert_one_line_error(cli("-m", "mguv.evaluate", str(copy)), "is damaged")
