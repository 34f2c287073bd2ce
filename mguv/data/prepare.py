"""A config's data, ready to train or score: the corpus through the mode's converter, then the
split. Training, evaluation and the trained-model facade all rebuild a run's split here, so they
see the same examples."""

from mguv.cli import log
from mguv.data.converters import converter_for
from mguv.data.split import train_val_indices
from mguv.errors import UsageError


def prepare_data(config, data_specs, cache_dir=None, workers=None, progress=True, genre=None):
    """Loads the corpus with the config's converter and splits it as ``config.train`` says.

    Args:
      data_specs: ``--data`` specs; empty for the mode's built-in corpus.
      genre: filters a GTZAN-style audio folder (audio only).

    Returns (data, train_idx, val_idx); ``data.x`` holds every example ([n, *representation.shape])
    and the indices are int arrays into it.

    Raises:
      UsageError: bad specs, or too few examples to hold out a validation split.
    """
    t = config.train
    segments = converter_for(config.representation).load(data_specs, cache_dir=cache_dir, workers=workers,
                                                          progress=progress, genre=genre)
    train_idx, val_idx = train_val_indices(segments, t.val_fraction, t.split, t.seed)
    if len(val_idx) == 0 or len(train_idx) == 0:
        if t.split == "file":
            log("  only one usable file: splitting by example instead of by file")
            train_idx, val_idx = train_val_indices(segments, t.val_fraction, "segment", t.seed)
        if len(val_idx) == 0 or len(train_idx) == 0:
            raise UsageError(f"--data {' '.join(data_specs) or '(default)'}: {len(segments)} example(s) "
                             "is too few to hold out a validation split")
    return segments, train_idx, val_idx
