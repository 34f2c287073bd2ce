"""Streaming metrics: cell (frame) scores for piano-rolls (counts accumulate over the epoch, then
divide), and epoch means of a waveform distance."""

import keras
from keras import ops

from mguv.models.losses import mr_stft_distance, snr_db


@keras.saving.register_keras_serializable(package="mguv")
class NoteScore(keras.metrics.Metric):
    """Cell-level (frame) precision, recall or F1 over every (step, channel) cell seen in an epoch.

    ``update_state(y_true, y_pred)``: y_true {0,1} and y_pred probabilities, any equal shapes
    ([batch, steps, pitches]); a cell is predicted on when y_pred > threshold. Counts are summed
    across batches, so the result is the corpus-level score, not a mean of per-batch scores.
    """

    def __init__(self, stat="f1", threshold=0.5, name=None, **kwargs):
        if stat not in ("precision", "recall", "f1"):
            raise ValueError(f"stat must be precision, recall or f1, not {stat!r}")
        super().__init__(name=name or stat, **kwargs)
        self.stat = stat
        self.threshold = threshold
        self.tp = self.add_variable((), initializer="zeros", name="tp")
        self.fp = self.add_variable((), initializer="zeros", name="fp")
        self.fn = self.add_variable((), initializer="zeros", name="fn")

    def update_state(self, y_true, y_pred, sample_weight=None):
        t = ops.cast(y_true > 0.5, "float32")
        p = ops.cast(y_pred > self.threshold, "float32")
        self.tp.assign_add(ops.sum(t * p))
        self.fp.assign_add(ops.sum((1.0 - t) * p))
        self.fn.assign_add(ops.sum(t * (1.0 - p)))

    def result(self):
        eps = keras.config.epsilon()
        precision = self.tp / ops.maximum(self.tp + self.fp, eps)
        recall = self.tp / ops.maximum(self.tp + self.fn, eps)
        if self.stat == "precision":
            return precision
        if self.stat == "recall":
            return recall
        return 2.0 * self.tp / ops.maximum(2.0 * self.tp + self.fp + self.fn, eps)

    def reset_state(self):
        for v in (self.tp, self.fp, self.fn):
            v.assign(0.0)

    def get_config(self):
        return {**super().get_config(), "stat": self.stat, "threshold": self.threshold}


@keras.saving.register_keras_serializable(package="mguv")
class MeanOf(keras.metrics.Mean):
    """The mean over examples of ``fn(y_true, y_pred)`` ("snr_db" or "mr_stft"), across an epoch."""

    FUNCTIONS = {"snr_db": snr_db, "mr_stft": mr_stft_distance}

    def __init__(self, fn="snr_db", name=None, **kwargs):
        super().__init__(name=name or fn, **kwargs)
        self.fn = fn

    def update_state(self, y_true, y_pred, sample_weight=None):
        return super().update_state(self.FUNCTIONS[self.fn](y_true, y_pred))

    def get_config(self):
        return {**super().get_config(), "fn": self.fn}
