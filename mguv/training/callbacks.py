"""Callbacks of our own; everything else is a stock ``keras.callbacks`` class."""

import json
import math
import os

import keras

from mguv import plots
from mguv.io import atomic_path, write_json


class BestWeights(keras.callbacks.Callback):
    """Saves the weights whenever ``monitor`` improves, atomically, so the last good checkpoint
    survives an interruption mid-write (Keras' ModelCheckpoint writes in place).

    Beside the weights, ``record_path`` (JSON) keeps the epoch and the value they scored. A resumed
    run reads it back, so its first epoch must beat the best so far to replace the checkpoint; a
    fresh run starts from infinity.
    """

    def __init__(self, path, monitor="val_loss", record_path=None, resume=False):
        super().__init__()
        self.path, self.monitor = path, monitor
        self.record_path = record_path or os.path.splitext(os.path.splitext(path)[0])[0] + ".json"
        self.best, self.best_epoch = math.inf, None
        if resume and os.path.exists(self.path):
            record = self.read_record(self.record_path)
            if record and record.get("monitor") == monitor and math.isfinite(record.get("value", math.nan)):
                self.best, self.best_epoch = float(record["value"]), record.get("epoch")

    @staticmethod
    def read_record(path):
        """The saved record {"monitor", "value", "epoch"}, or None when there is none (or unreadable)."""
        try:
            with open(path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is not None and math.isfinite(value) and value < self.best:
            self.best, self.best_epoch = float(value), epoch + 1
            with atomic_path(self.path) as tmp:
                self.model.save_weights(tmp)
            write_json(self.record_path, {"monitor": self.monitor, "value": self.best, "epoch": epoch + 1})


class LivePlots(keras.callbacks.Callback):
    """Redraws the loss curves from the CSV log after every epoch, so a user can watch a run."""

    def __init__(self, csv_path, png_path):
        super().__init__()
        self.csv_path, self.png_path = csv_path, png_path

    def on_epoch_end(self, epoch, logs=None):
        if os.path.exists(self.csv_path):
            plots.loss_curves(plots.read_history(self.csv_path), self.png_path)


class TimeBudget(keras.callbacks.Callback):
    """Stops training at the end of the first epoch that ends after ``seconds`` of training, so
    models can be compared at the same wall-clock budget."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds = seconds
        self.start = None

    def on_train_begin(self, logs=None):
        import time

        self.start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        import time

        if time.time() - self.start >= self.seconds:
            self.model.stop_training = True
