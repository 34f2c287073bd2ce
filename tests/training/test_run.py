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
