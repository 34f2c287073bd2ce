"""A whole run: files written, resume after an interruption, refusing to clobber a finished run."""

import json
import os

import keras
import pytest

from mguv import configs
from mguv.errors import UsageError
from mguv.training.run import train

TINY = configs.override(configs.get("lstm_vae-tiny"), ["epochs=2", "batch_size=4"])


class InterruptAt(keras.callbacks.Callback):
    """Raises KeyboardInterrupt at the start of an epoch, like Ctrl-C."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def run(midi_folder, out, tmp_path, **kw):
    return train(TINY, [str(midi_folder)], str(out), cache_dir=str(tmp_path / "cache"), workers=1,
                 num_samples=2, verbose=0, progress=False, **kw)


def test_interrupted_run_resumes_and_finishes(midi_folder, tmp_path):
    out = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        run(midi_folder, out, tmp_path, callbacks=[InterruptAt(1)])
    assert os.path.isdir(out / "backup") and not (out / "model.keras").exists()
    summary = run(midi_folder, out, tmp_path)
    assert summary["epochs_run"] == 1  # only the epoch that was left
    history = (out / "history.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in history[1:]] == ["0", "1"]
    assert not (out / "backup").exists()
    for name in ("model.keras", "config.json", "representation.json", "data.json", "summary.json",
                 "checkpoints/best.weights.h5", "saved_model/saved_model.pb", "plots/loss.png",
                 "plots/reconstructions.png", "plots/samples.png", "samples/sample_00.mid",
                 "samples/sample_01.mid"):
        assert (out / name).exists(), name
    config = json.loads((out / "config.json").read_text())
    assert config["data"] == [str(midi_folder)] and config["config"]["train"]["epochs"] == 2
    data = json.loads((out / "data.json").read_text())
    assert data["split"]["val_segments"] > 0 and data["split"]["val_files"]

    with pytest.raises(UsageError, match="already holds a trained model"):
        run(midi_folder, out, tmp_path)
    run(midi_folder, out, tmp_path, overwrite=True)
    history = (out / "history.csv").read_text().splitlines()
    assert len(history) == 3  # the overwritten run starts a fresh log


def test_a_run_with_onsets_learns_writes_and_generates_struck_notes(midi_folder, tmp_path):
    """The tunes' chords are struck again every bar: a model of rolls with onsets sees those strikes
    in its data, and everything it writes is MIDI with the representation's shape."""
    import numpy as np
    import pretty_midi

    from mguv.data.roll import roll_to_notes
    from mguv.trained_model import TrainedModel

    config = configs.override(TINY, ["onsets=true"])
    out = tmp_path / "onsets"
    train(config, [str(midi_folder)], str(out), cache_dir=str(tmp_path / "cache"), workers=1, num_samples=2,
          verbose=0, progress=False)
    model = TrainedModel.from_run(str(out))
    assert model.rep.onsets and model.rep.shape == (32, 72)
    example = model.read_example(str(midi_folder / "a.mid"))
    notes = roll_to_notes(example, model.rep)
    chord = [n for n in notes.tolist() if n[0] == 48]  # the bass of the accompaniment, one per bar
    assert chord == [[48, 0, 16], [48, 16, 32]]
    rolls = model.sample(3, 1.0, seed=1)
    assert rolls.shape == (3, 32, 72)
    paths = model.write(rolls, str(tmp_path / "gen"), "sample", ["a", "b", "c"])
    for path, roll in zip(paths, rolls):
        written = sorted(n.pitch for n in pretty_midi.PrettyMIDI(path).instruments[0].notes) if len(
            roll_to_notes(roll, model.rep)) else []
        assert written == sorted(n[0] for n in roll_to_notes(roll, model.rep).tolist())
    assert np.isfinite(json.loads((out / "summary.json").read_text())["val"]["loss"])
    from mguv.evaluate import evaluate_run

    metrics = evaluate_run(str(out), cache_dir=str(tmp_path / "cache"), make_plots=False)
    for key in ("frame_f1_teacher_forced", "onset_f1_teacher_forced", "onset_f1_free_running"):
        assert 0.0 <= metrics[key] <= 1.0, key
    assert 0.0 <= metrics["prior_samples"]["samples"]["restruck_rate"] <= 1.0
    from mguv.sample_stats import restruck_rate

    assert restruck_rate(example[None], model.rep) > 0.05  # the chords are struck again every bar
