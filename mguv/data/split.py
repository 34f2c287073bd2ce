"""Deterministic train/validation splits of a ``Segments`` set."""

import numpy as np

SPLITS = ("file", "segment")


def train_val_indices(segments, val_fraction=0.15, by="file", seed=0):
    """Splits segment indices into (train, val), both sorted int arrays.

    Args:
      segments: a ``types.Segments`` or ``types.Clips`` (anything with ``files`` and ``file_id``).
      val_fraction: fraction held out (0.15 is the paper's 85:15).
      by: "file" keeps every segment of a file on one side, so no validation tune is seen in
        training; "segment" is the paper's random segment split.
      seed: the split depends only on this and the corpus.
    """
    rng = np.random.default_rng(seed)
    n = len(segments)
    if by == "segment":
        order = rng.permutation(n)
        n_val = max(1, int(round(val_fraction * n))) if n > 1 else 0
        return np.sort(order[n_val:]), np.sort(order[:n_val])
    if by != "file":
        raise ValueError(f"unknown split {by!r}; choose from {SPLITS}")
    n_files = len(segments.files)
    order = rng.permutation(n_files)
    n_val = max(1, int(round(val_fraction * n_files))) if n_files > 1 else 0
    is_val = np.isin(segments.file_id, order[:n_val])
    return np.nonzero(~is_val)[0], np.nonzero(is_val)[0]
