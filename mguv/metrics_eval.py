"""Evaluation metrics for binary piano-rolls, in plain numpy (no TensorFlow).

Everything here works on counts so that a split can be scored batch by batch: sum the counts of
every batch, then turn the totals into scores once. A score is then the corpus-level value, not a
mean of per-batch values. Rolls are [segments, steps, pitches] with 0/1 (or bool) cells.
"""

import numpy as np

# Index of each count in the arrays ``cell_counts`` returns.
TP, FP, FN, TN = range(4)


def cell_counts(truth, pred, per_pitch=False):
    """Confusion counts of two binary rolls, cell by cell.

    Args:
      truth: [segments, steps, pitches] in {0, 1} (or bool): the data.
      pred: same shape: probabilities, {0, 1} or bool; a cell is predicted on when > 0.5.
      per_pitch: count each pitch column separately.

    Returns:
      int64 [4] (tp, fp, fn, tn) summed over every cell, or int64 [4, pitches] with ``per_pitch``.
    """
    t = np.asarray(truth) > 0.5
    p = np.asarray(pred) > 0.5
    if t.shape != p.shape:
        raise ValueError(f"truth {t.shape} and prediction {p.shape} differ in shape")
    axes = tuple(range(t.ndim - 1)) if per_pitch else None
    return np.stack([
        np.sum(t & p, axis=axes), np.sum(~t & p, axis=axes),
        np.sum(t & ~p, axis=axes), np.sum(~t & ~p, axis=axes),
    ]).astype(np.int64)


def precision_recall_f1(counts):
    """Precision, recall and F1 (fractions) from ``cell_counts`` totals.

    Args:
      counts: int [4, ...] of (tp, fp, fn, tn).

    Returns:
      (precision, recall, f1), each float64 [...]. A 0/0 ratio is 0, as in the training metric
      ``mguv.models.metrics.NoteScore``: a model that predicts no notes scores 0, not "undefined".
    """
    c = np.asarray(counts, np.float64)
    tp, fp, fn = c[TP], c[FP], c[FN]
    return _ratio(tp, tp + fp), _ratio(tp, tp + fn), _ratio(2 * tp, 2 * tp + fp + fn)


def accuracy(counts):
    """Fraction of cells predicted right, from ``cell_counts`` totals int [4, ...] -> float [...]."""
    c = np.asarray(counts, np.float64)
    return _ratio(c[TP] + c[TN], c.sum(axis=0))


def all_zeros_accuracy(counts):
    """Accuracy of predicting silence everywhere: 1 - (fraction of active cells).

    Takes any ``cell_counts`` totals int [4, ...] of the same data (the prediction is irrelevant:
    active cells are tp + fn). Returns float [...].
    """
    c = np.asarray(counts, np.float64)
    return 1.0 - _ratio(c[TP] + c[FN], c.sum(axis=0))


def copy_first_step(x):
    """The "copy the first step" baseline: every step of a segment equals the segment's first step.

    x: [segments, steps, pitches] -> same shape and dtype (a read-only broadcast view).
    """
    x = np.asarray(x)
    return np.broadcast_to(x[:, :1], x.shape)


def per_pitch_f1(counts):
    """F1 per pitch column from per-pitch ``cell_counts`` totals.

    Args:
      counts: int [4, pitches] (``cell_counts(..., per_pitch=True)`` summed over batches).

    Returns:
      (f1 float64 [pitches], support int64 [pitches]): support is the number of active cells of
      each pitch in the data. F1 is NaN for a pitch that is neither in the data nor predicted,
      where it is undefined (0/0) and would otherwise read as a failure.
    """
    c = np.asarray(counts, np.int64)
    _, _, f1 = precision_recall_f1(c)
    f1 = np.where(c[TP] + c[FP] + c[FN] == 0, np.nan, f1)
    return f1, c[TP] + c[FN]


def note_density(x):
    """Fraction of active cells per segment: [segments, steps, pitches] -> float64 [segments]."""
    x = np.asarray(x)
    return (x > 0.5).reshape(len(x), -1).mean(axis=1)


def active_units(mean, threshold=0.01):
    """Number of latent dimensions the encoder uses (Burda et al.'s "active units").

    Args:
      mean: float [segments, latent]: the posterior means mu over the data.
      threshold: a dimension is active when the variance of its mu over the data exceeds this.

    Returns:
      (count int, variance float64 [latent]).
    """
    mean = np.asarray(mean, np.float64)
    variance = mean.var(axis=0) if len(mean) else np.zeros(mean.shape[1:])
    return int(np.sum(variance > threshold)), variance


def elbo_per_step(nll, kl, steps):
    """The ELBO per step in nats: -(nll + kl) / steps.

    nll, kl: mean Bernoulli NLL and mean KL per segment (nats); steps: steps per segment.
    """
    return -(float(nll) + float(kl)) / float(steps)


def spread_indices(n, k):
    """``min(n, k)`` sorted indices spread evenly over range(n), deterministically.

    Picks a representative subset (every file of a corpus, not just the first ones) for capped
    evaluations and t-SNE. Returns int64 [min(n, k)].
    """
    k = min(int(n), int(k))
    return (np.arange(k, dtype=np.int64) * int(n)) // max(k, 1)


def _ratio(num, den):
    num, den = np.asarray(num, np.float64), np.asarray(den, np.float64)
    out = np.divide(num, den, out=np.zeros(np.broadcast(num, den).shape), where=den > 0)
    return out[()] if out.ndim == 0 else out
