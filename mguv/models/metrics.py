"""Streaming metrics: cell (frame) scores for piano-rolls (counts accumulate over the epoch, then
divide), and epoch means of a waveform distance."""

import keras
from keras import ops

from mguv.models.losses import mr_stft_distance, snr_db


@keras.saving.register_keras_serializable(package="mguv")
class NoteScore(keras.metrics.Metric):
    """Cell-level precision, recall or F1 over the (step, channel) cells of one block of channels,
    summed over an epoch.

    ``update_state(y_true, y_pred)``: y_true {0,1} and y_pred probabilities, equal shapes
    [batch, steps, channels]; a cell is predicted on when y_pred > threshold. The channels are
    ``groups`` equal blocks (a roll with onsets has 2: what sounds, then what starts) and only block
    ``group`` is scored, so a frame score does not mix in onset cells. Counts are summed across
    batches, so the result is the corpus-level score, not a mean of per-batch scores.
    """

    def __init__(self, stat="f1", threshold=0.5, groups=1, group=0, name=None, **kwargs):
        if stat not in ("precision", "recall", "f1"):
            raise ValueError(f"stat must be precision, recall or f1, not {stat!r}")
        if not 0 <= group < groups:
            raise ValueError(f"group must be in [0, {groups}), not {group}")
        super().__init__(name=name or stat, **kwargs)
        self.stat = stat
        self.threshold = threshold
        self.groups, self.group = int(groups), int(group)
        self.tp = self.add_variable((), initializer="zeros", name="tp")
        self.fp = self.add_variable((), initializer="zeros", name="fp")
        self.fn = self.add_variable((), initializer="zeros", name="fn")

    def update_state(self, y_true, y_pred, sample_weight=None):
        if self.groups > 1:
            width = y_true.shape[-1] // self.groups
            y_true = y_true[..., self.group * width:(self.group + 1) * width]
            y_pred = y_pred[..., self.group * width:(self.group + 1) * width]
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
        return {**super().get_config(), "stat": self.stat, "threshold": self.threshold, "groups": self.groups,
                "group": self.group}


def roll_scores(pitch_groups=1):
    """The training log's piano-roll scores: frame ``precision``, ``recall`` and ``f1`` over the
    sounding cells and, for a roll with onsets (``pitch_groups`` 2), ``onset_f1`` over the onset
    cells (a cell score: the note-level onset F1 is ``mguv.evaluate``'s)."""
    scores = [NoteScore(stat, groups=pitch_groups) for stat in ("precision", "recall", "f1")]
    return scores + ([NoteScore("f1", groups=pitch_groups, group=1, name="onset_f1")] if pitch_groups > 1 else [])


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
