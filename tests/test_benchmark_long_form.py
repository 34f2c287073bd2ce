"""benchmarks/long_form.py: its interpolation statistics, walks, targets and tables (the training
itself is run by hand), and its command line."""

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

from conftest import REPO
from mguv import configs
from mguv.note_metrics import melody_events
from mguv.representation import PianoRoll

spec = importlib.util.spec_from_file_location("long_form_benchmark", REPO / "benchmarks" / "long_form.py")
bench = importlib.util.module_from_spec(spec)
spec.loader.exec_module(bench)


def test_walk_stats_count_only_walks_that_rise():
    distances = np.array([[0.0, 0.1, 0.2, 0.3],     # even, strictly rising
                          [0.0, 0.0, 0.2, 0.3],     # monotonic with a flat step
                          [0.0, 0.2, 0.1, 0.3],     # falls back once
                          [0.1, 0.1, 0.1, 0.1]])    # stays put: a decoder that ignores z
    stats = bench.walk_stats(distances)
    assert stats["monotonic_share"] == 0.5 and stats["strictly_rising_share"] == 0.25
    assert bench.walk_stats(distances[:1])["step_cv_median"] == 0.0
    assert stats["mean_distance_by_point"] == [0.025, 0.1, 0.15, 0.25]


def test_walks_start_at_the_start_tune_in_data_space():
    config = configs.override(configs.get("lstm_vae-tiny"), [])
    model = config.build_model()
    x = (np.random.default_rng(0).random((6,) + config.representation.shape) < 0.1)
    walks = bench.hamming_walks(model, x, np.random.default_rng(1), pairs=5, points=4)
    assert walks["latent"].shape == walks["data"].shape == (5, 4)
    assert (walks["data"][:, 0] == 0).all() and (walks["data"][:, -1] > 0).all()
    assert ((0 <= walks["latent"]) & (walks["latent"] <= 1)).all()
    # The compiled decoders the benchmark scores with decode as generate does, greedy and sampled.
    decoders = bench.compiled_decoders(model, config.representation)
    z = np.random.default_rng(2).standard_normal((3, model.latent_dim)).astype(np.float32)
    noise = np.random.default_rng(3).random((3,) + config.representation.shape).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(decoders["greedy"](z)) > 0.5,
                                  np.asarray(model.decoder.generate(z)[1]) > 0.5)
    np.testing.assert_array_equal(np.asarray(decoders["sampled"](z, noise)) > 0.5,
                                  np.asarray(model.decoder.generate(z, noise=noise)[1]) > 0.5)
    compiled = bench.hamming_walks(model, x, np.random.default_rng(1), pairs=5, points=4, decode=decoders["greedy"])
    np.testing.assert_array_equal(compiled["latent"], walks["latent"])


class _EchoModel:
    """Encodes to a fixed posterior and decodes the tune it last encoded, flipping step 0 of every
    tune when ``flip``: a stand-in whose sampled accuracy is known."""

    def __init__(self, flip):
        self.flip, self.decoder, self.seen, self.zs = flip, self, None, []

    def encode(self, x, training=False):
        self.seen = x
        return np.zeros((len(x), 3), np.float32), np.full((len(x), 3), np.log(0.25), np.float32)  # sigma 0.5

    def generate(self, z, noise=None):
        assert noise is not None and noise.shape == self.seen.shape  # every step is drawn
        self.zs.append(z)
        roll = self.seen.copy()
        if self.flip:
            roll[:, 0] = 1.0 - roll[:, 0]
        return None, roll


def test_sampled_accuracy_draws_z_and_steps_and_counts_whole_steps_and_events():
    rep = PianoRoll(num_pitches=3, segment_steps=8)
    x = np.random.default_rng(0).random((5, 8, 3)) < 0.3
    model = _EchoModel(flip=False)
    assert bench.sampled_accuracy(model, x, rep, np.random.default_rng(0), draws=2, batch_size=4) == {
        "step": 1.0, "event": 1.0}
    assert len(model.zs) == 4 and not np.allclose(model.zs[0], model.zs[1])  # z ~ q(z|x), not its mean
    spread = np.concatenate(model.zs).std()
    assert 0.3 < spread < 0.7  # sigma = exp(logvar / 2) = 0.5
    flipped = bench.sampled_accuracy(_EchoModel(flip=True), x, rep, np.random.default_rng(0))
    assert flipped["step"] == 7 / 8
    # Flipping step 0 changes its event, and step 1's wherever step 0's top line was its own.
    wrong = (melody_events(x, rep) != melody_events(np.where(np.arange(8)[:, None] == 0, ~x, x), rep)).sum()
    assert flipped["event"] == 1 - wrong / x[..., 0].size and wrong >= 5


def row(config, free, mono):
    walk = {"monotonic_share": mono, "strictly_rising_share": 0.0, "step_cv_median": 0.5,
            "mean_distance_by_point": [0.0, 0.1]}
    return {"config": config, "family": config.split("-")[0], "data": "nottingham/melody", "params": 10,
            "train_seconds": 60.0, "epochs": 2, "accuracy_teacher_forced": 0.9, "accuracy_free_running": free,
            "accuracy_free_running_sampled": free / 2, "accuracy_events_teacher_forced": 0.95,
            "accuracy_events_free_running": free + 0.1, "accuracy_events_free_running_sampled": free / 2 + 0.1,
            "accuracy_events_no_event_baseline": 0.6,
            "onset_f1_free_running": 0.5, "kl_nats": 20.0, "elbo_nats_per_step": -1.0,
            "sample_note_density_rel_err": 0.1, "sample_polyphony_rel_err": 0.1, "sample_pitch_class_l1": 0.1,
            "interpolation": {"latent": walk, "data_space": walk}}


def test_targets_hold_the_hierarchical_row_against_the_flat_one():
    runs = [row("lstm_vae-16bar", 0.62, 0.5), row("hier_vae-16bar", 0.86, 0.95)]
    checks = {t["name"]: t["met"] for t in bench.targets(runs)}
    assert all(checks.values()) and len(checks) == 5
    assert checks["hier free-running event accuracy (melody)"] and checks["hier minus flat free-running step accuracy"]
    runs[1] = row("hier_vae-16bar", 0.70, 0.95)  # 0.08 above flat; 0.70 strict, 0.80 in events: both below 0.85
    assert not any(t["met"] for t in bench.targets(runs) if "accuracy" in t["name"])
    values = {t["name"]: t["value"] for t in bench.targets(runs)}
    assert values["hier free-running event accuracy (melody)"] == pytest.approx(0.8)
    assert values["hier minus flat free-running event accuracy"] == 0.08
    result = {"command": "python benchmarks/long_form.py", "date": "d", "machine": "m", "total_seconds": 60,
              "runs": runs, "targets": bench.targets(runs),
              "probes": [{"config": "lstm_vae-16bar", "bars": 16, "steps": 256, "seconds_per_batch": 1.0,
                          "microseconds_per_step": 60.0, "peak_memory_mb": 1200.0}]}
    md = bench.markdown(result)
    assert "| hier_vae-16bar | nottingham/melody |" in md and "**no**" in md and "| 16 | 256 |" in md
    assert "free accuracy (sampled)" in md and "| 0.700 | 0.350 |" in md  # greedy, then sampled
    assert "| hier_vae-16bar | nottingham/melody | 0.950 | 0.800 | 0.450 | 0.600 |" in md  # the event table
    assert "](long_form/hier_vae-16bar-sample.png)" in md and "](long_form/accuracy_by_position.png)" in md


def test_the_full_files_plan_writes_its_own_results_beside_the_melody_ones():
    (rows, stem), (melody_rows, melody_stem) = bench.PLANS["full"], bench.PLANS["melody"]
    assert stem != melody_stem and sum(share for *_, share in rows) == sum(share for *_, share in melody_rows) == 1
    assert {configs.get(name).model.output for name, *_ in rows} == {"nade"}
    nade = dict(row("hier_vae-16bar-nade", 0.3, 0.5), data="nottingham")
    result = {"command": "c", "date": "d", "machine": "m", "total_seconds": 60, "runs": [nade], "targets": [],
              "probes": [], "stem": stem}
    md = bench.markdown(result)
    assert f"]({stem}/hier_vae-16bar-nade-sample.png)" in md and f"]({stem}/accuracy_by_position.png)" in md
    assert bench.targets([nade]) == [] and "the targets are the melody models'" in md


def test_a_missing_data_folder_is_one_line_and_exit_2(tmp_path):
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "long_form.py"), "--data",
                           str(tmp_path / "nowhere")], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "no such folder" in done.stderr


def test_set_scales_the_rows_that_have_the_setting_and_a_bad_one_is_one_line_and_exit_2(tmp_path):
    sets = ["model.decoder_units=64", "model.conductor_units=32", "free_bits=256"]
    hier, flat = bench.row_config("hier_vae-16bar", sets=sets), bench.row_config("lstm_vae-16bar", sets=sets)
    assert hier.model.decoder_units == flat.model.decoder_units == 64 and hier.model.conductor_units == 32
    assert hier.train.free_bits == flat.train.free_bits == 256 and flat.train.split == "file"
    assert flat.train.val_fraction == 0.15
    assert bench.row_config("hier_vae-16bar", quick=True).model.decoder_units == 16
    done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "long_form.py"), "--data", str(tmp_path),
                           "--set", "model.no_such_thing=1"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "no_such_thing" in done.stderr


def test_a_stem_with_folders_or_a_bad_input_dropout_is_one_line_and_exit_2(tmp_path):
    for extra, message in ((["--stem", "a/b"], "--stem a/b"), (["--set", "model.input_dropout=2"], "input_dropout")):
        done = subprocess.run([sys.executable, str(REPO / "benchmarks" / "long_form.py"), "--data", str(tmp_path),
                               *extra], capture_output=True, text=True, timeout=300)
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip().count("\n") == 0 and message in done.stderr
