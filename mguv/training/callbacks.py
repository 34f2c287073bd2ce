"""Callbacks of our own; everything else is a stock ``keras.callbacks`` class."""

import math
import os

import keras

from mguv import plots
from mguv.io import atomic_path


class BestWeights(keras.callbacks.Callback):
    """Saves the weights whenever ``monitor`` improves, atomically, so the last good checkpoint
    survives an interruption mid-write (Keras' ModelCheckpoint writes in place)."""

    def __init__(self, path, monitor="val_loss"):
        super().__init__()
        self.path, self.monitor = path, monitor
        self.best = math.inf

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is not None and math.isfinite(value) and value < self.best:
            self.best = value
            with atomic_path(self.path) as tmp:
                self.model.save_weights(tmp)


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
