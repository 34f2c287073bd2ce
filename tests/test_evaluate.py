"""Evaluation: the numpy metrics on hand-made rolls, and ``python -m mguv.evaluate`` on a real run."""

import json
import math

import numpy as np
import pytest

from mguv import configs
from mguv import metrics_eval as me
from mguv.evaluate import evaluate_run, main

# -- metrics on tiny hand-made arrays ---------------------------------------------------------


def test_counts_and_scores_on_a_2x2_roll():
    truth = np.array([[[1, 0], [1, 1]]])
    pred = np.array([[[0.9, 0.6], [0.2, 0.51]]])  # probabilities: on when > 0.5
    counts = me.cell_counts(truth, pred)
    assert counts.tolist() == [2, 1, 1, 0]  # tp, fp, fn, tn
    p, r, f1 = me.precision_recall_f1(counts)
    assert (p, r, f1) == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    assert me.accuracy(counts) == pytest.approx(0.5)


def test_scores_of_no_predictions_are_zero_not_nan():
    truth = np.array([[[1, 0], [0, 0]]])
    counts = me.cell_counts(truth, np.zeros_like(truth))
    assert me.precision_recall_f1(counts) == (0.0, 0.0, 0.0)
    assert me.accuracy(counts) == pytest.approx(0.75)


def test_counts_add_up_across_batches():
    rng = np.random.default_rng(0)
    truth = rng.random((6, 4, 3)) < 0.3
    pred = rng.random((6, 4, 3))
    whole = me.cell_counts(truth, pred)
    parts = me.cell_counts(truth[:2], pred[:2]) + me.cell_counts(truth[2:], pred[2:])
    assert whole.tolist() == parts.tolist() and whole.sum() == truth.size


def test_all_zeros_baseline_is_one_minus_density():
    x = np.zeros((2, 2, 2), bool)
    x[0, 0, 0] = x[1, 1, 1] = x[1, 0, 1] = True  # 3 of 8 cells
    counts = me.cell_counts(x, np.ones_like(x))  # the prediction does not matter
    assert me.all_zeros_accuracy(counts) == pytest.approx(5 / 8)
    assert me.accuracy(me.cell_counts(x, np.zeros_like(x))) == pytest.approx(5 / 8)
    assert me.note_density(x).tolist() == [1 / 4, 2 / 4]


def test_copy_first_step_baseline():
    x = np.array([[[1, 0], [0, 1], [0, 1]]])  # one segment, 3 steps, 2 pitches
    pred = me.copy_first_step(x)
    assert pred.tolist() == [[[1, 0], [1, 0], [1, 0]]]
    counts = me.cell_counts(x, pred)
    assert counts.tolist() == [1, 2, 2, 1]
    assert me.precision_recall_f1(counts)[2] == pytest.approx(1 / 3)


def test_per_pitch_f1_and_support():
    truth = np.array([[[1, 0, 0], [1, 1, 0]]])
    pred = np.array([[[1, 1, 0], [0, 1, 0]]])
    f1, support = me.per_pitch_f1(me.cell_counts(truth, pred, per_pitch=True))
    assert f1[:2] == pytest.approx([2 / 3, 2 / 3])
    assert math.isnan(f1[2])  # never played, never predicted: undefined, not a failure
    assert support.tolist() == [2, 1, 0]


def test_active_units():
    mean = np.stack([np.zeros(4), [1.0, -1, 1, -1], [0.05, -0.05, 0.05, -0.05],
                     [0.2, -0.2, 0.2, -0.2]], axis=1)  # variances 0, 1, 0.0025, 0.04
    count, variance = me.active_units(mean, threshold=0.01)
    assert count == 2
    assert variance == pytest.approx([0, 1, 0.0025, 0.04])


def test_elbo_per_step_and_spread_indices():
    assert me.elbo_per_step(nll=90.0, kl=6.0, steps=32) == pytest.approx(-3.0)
    assert me.spread_indices(10, 4).tolist() == [0, 2, 5, 7]
    assert me.spread_indices(3, 10).tolist() == [0, 1, 2]


# -- the CLI on a trained run -----------------------------------------------------------------

FRACTIONS = [f"{prefix}_{stat}" for prefix in ("teacher_forced", "free_running", "copy_first_step")
             for stat in ("precision", "recall", "f1", "accuracy")] + ["all_zeros_accuracy", "note_density"]
# The honest names: frame (per-cell) and note-onset scores, teacher-forced and free-running.
SCORES = [f"{kind}_{stat}_{mode}" for kind in ("frame", "onset") for stat in ("precision", "recall", "f1")
          for mode in ("teacher_forced", "free_running")]


@pytest.fixture
def trained_run(midi_folder, tmp_path):
    from mguv.training.run import train

    # Half the files held out, so the validation split has enough segments for a t-SNE.
    config = configs.override(configs.get("lstm_vae-tiny"), ["epochs=1", "val_fraction=0.5"])
    run = tmp_path / "run"
    train(config, [str(midi_folder)], out=str(run), cache_dir=str(tmp_path / "cache"), workers=1,
          num_samples=2, verbose=0, progress=False)
    return run


def test_evaluate_writes_metrics_and_plots(trained_run, midi_folder, tmp_path, capsys):
    run = trained_run
    data = json.loads((run / "data.json").read_text())
    assert main([str(run), "--cache-dir", str(tmp_path / "cache"), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "teacher-forced" in out and "free-running" in out and "active units" in out
    assert "frame F1" in out and "onset F1" in out

    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["val_segments"] == data["split"]["val_segments"] >= 5
    for key in FRACTIONS + SCORES:
        assert 0.0 <= metrics[key] <= 1.0, key
    for mode in ("teacher_forced", "free_running"):  # the old names stay for one release
        for stat in ("precision", "recall", "f1"):
            assert metrics[f"frame_{stat}_{mode}"] == metrics[f"{mode}_{stat}"]
    assert metrics["onset_tolerance_steps"] == 0.5
    for key in ("teacher_forced", "free_running", "no_event_baseline"):  # MusicVAE's measure on its events
        assert 0.0 <= metrics[f"event_accuracy_{key}"] <= 1.0, key
    for mode in ("teacher_forced", "free_running"):  # the strict form: the whole step equals the input's
        by_position = metrics["step_accuracy_by_position"][mode]
        assert len(by_position) == 32 and all(0.0 <= v <= 1.0 for v in by_position)
        assert metrics[f"step_accuracy_{mode}"] == pytest.approx(np.mean(by_position))
    assert metrics["all_zeros_accuracy"] == pytest.approx(1 - metrics["note_density"])
    latent = metrics["latent_dim"]
    assert len(metrics["kl_per_dim_nats"]) == latent and min(metrics["kl_per_dim_nats"]) >= 0
    assert metrics["kl_per_segment_nats"] == pytest.approx(sum(metrics["kl_per_dim_nats"]))
    assert 0 <= metrics["active_units"] <= latent
    assert metrics["nll_per_segment_nats"] > 0
    assert metrics["elbo_per_step_nats"] == pytest.approx(
        -(metrics["nll_per_segment_nats"] + metrics["kl_per_segment_nats"]) / 32)
    pitch = metrics["per_pitch_f1"]
    assert pitch["pitch"] == list(range(48, 84)) and len(pitch["f1"]) == len(pitch["support"]) == 36
    assert all(v is None or 0.0 <= v <= 1.0 for v in pitch["f1"])
    assert sum(pitch["support"]) == round(metrics["note_density"] * metrics["val_segments"] * 32 * 36)
    assert metrics["config"]["name"] == "lstm_vae-tiny" and metrics["data"] == [str(midi_folder)]
    for name in ("per_pitch_f1.png", "kl_per_dim.png", "latent_pca.png", "latent_tsne.png"):
        assert (run / "plots" / name).stat().st_size > 0, name
    prior = metrics["prior_samples"]
    assert prior["num"] == 1000 and prior["samples"]["segments"] == 1000
    assert prior["validation"]["segments"] == metrics["val_segments"]
    assert prior["validation"]["note_density"] == pytest.approx(metrics["note_density"])
    assert 0 <= prior["pitch_class_l1"] <= 2 and prior["note_density_rel_err"] >= 0
    # The likelihood bounds, nats per frame: the importance-weighted bound is the tighter one.
    lk = metrics["likelihood"]
    assert lk["iw_samples"] == 64 and lk["frames"] == metrics["val_segments"] * 32
    assert 0 < lk["iw_nats_per_frame"] <= lk["elbo_nats_per_frame"]
    assert "IW bound (K=64)" in out

    # The split is rebuilt deterministically: the library call gives the same numbers again.
    again = evaluate_run(run, cache_dir=str(tmp_path / "cache"), workers=1, make_plots=False,
                         write=False)
    for key in FRACTIONS + SCORES + ["kl_per_segment_nats", "nll_per_segment_nats", "active_units"]:
        assert again[key] == pytest.approx(metrics[key]), key

    # Too few points for a t-SNE: skipped, with the reason in the metrics.
    few = evaluate_run(run, max_segments=3, cache_dir=str(tmp_path / "cache"), workers=1,
                       write=False)
    assert few["val_segments"] == 3 and few["val_segments_total"] == metrics["val_segments"]
    assert "skipped" in few["plots"]["latent_tsne"] and "file" in few["plots"]["latent_pca"]


def test_evaluate_scores_a_next_step_run_by_its_exact_likelihood(midi_folder, tmp_path, capsys):
    from mguv.training.run import train

    config = configs.override(configs.get("lstm-tiny"), ["model.output=nade", "model.top_k=0", "val_fraction=0.5"])
    run = tmp_path / "run"
    train(config, [str(midi_folder)], out=str(run), cache_dir=str(tmp_path / "cache"), workers=1,
          num_samples=2, verbose=0, progress=False)
    assert main([str(run), "--cache-dir", str(tmp_path / "cache"), "--workers", "1"]) == 0
    assert "exact NLL" in capsys.readouterr().out
    metrics = json.loads((run / "metrics.json").read_text())
    segments, pieces = metrics["likelihood"]["segments"], metrics["likelihood"]["whole_pieces"]
    # The same validation frames, scored per segment and as whole pieces.
    assert segments["frames"] == pieces["frames"] == metrics["val_segments"] * 32
    assert 1 <= pieces["pieces"] < metrics["val_segments"]
    assert segments["nll_nats_per_frame"] > 0 and pieces["nll_nats_per_frame"] > 0
    assert metrics["prior_samples"]["samples"]["segments"] == 1000


def _one_error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error:"), err
    return err[0]


def test_missing_run_is_one_line_and_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path / "missing")])
    assert exit_.value.code == 2
    assert "does not exist" in _one_error_line(capsys)


def test_run_without_model_is_one_line_and_exit_2(tmp_path, capsys):
    run = tmp_path / "half"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"config": configs.get("lstm_vae-tiny").to_dict(),
                                                 "data": []}))
    with pytest.raises(SystemExit) as exit_:
        main([str(run)])
    assert exit_.value.code == 2
    assert "no model.keras" in _one_error_line(capsys)


def test_bad_batch_size_is_a_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path), "--batch-size", "0"])
    assert exit_.value.code == 2
    _one_error_line(capsys)
