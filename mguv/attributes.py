"""Musical attributes of piano-roll segments, in plain numpy, for attribute vectors in latent space
(``mguv.latent.quartile_difference``).

Each attribute maps rolls [n, steps, rep.channels] (bool or 0/1; > 0.5 counts as on; only the
sounding-pitch channels count, and the onset channels of a roll with onsets say where notes start)
to one float per roll [n]. A roll with no active cell has no mean pitch, polyphony or onsets to speak of: those give
NaN for it (note density gives 0), so callers average with ``np.nanmean``.

  note_density        fraction of active cells, in [0, 1]
  mean_pitch          mean MIDI pitch of the active cells
  polyphony           mean number of sounding pitches over the steps where something sounds
  rhythmic_activity   onsets per bar of the representation's meter: steps where at least one note
                      starts, per bar (held notes and chord size do not count)
"""

import numpy as np

from mguv.data.roll import onset_cells
from mguv.errors import UsageError


def _active(rolls, rep=None):
    """The sounding cells of rolls [n, steps, channels] -> bool [n, steps, pitches]."""
    rolls = np.asarray(rolls)
    if rolls.ndim != 3:
        raise ValueError(f"expected rolls [n, steps, pitches], got shape {rolls.shape}")
    return (rolls if rep is None else rep.frames(rolls)) > 0.5


def note_density(rolls, rep=None):
    """Fraction of active cells per roll: [n, steps, pitches] -> float64 [n] in [0, 1]."""
    return _active(rolls, rep).mean(axis=(1, 2), dtype=np.float64)


def mean_pitch(rolls, rep):
    """Mean MIDI pitch of the active cells per roll (column j is ``rep.min_pitch + j``) -> [n]; NaN
    for an empty roll."""
    on = _active(rolls, rep)
    pitches = rep.min_pitch + np.arange(on.shape[2], dtype=np.float64)
    count = on.sum(axis=(1, 2))
    total = (on.sum(axis=1) * pitches).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def polyphony(rolls, rep=None):
    """Mean number of sounding pitches over the non-silent steps of each roll -> [n]; NaN for an
    empty roll."""
    per_step = _active(rolls, rep).sum(axis=2)
    sounding = (per_step > 0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sounding > 0, per_step.sum(axis=1) / sounding, np.nan)


def onsets(rolls, rep=None):
    """Note starts: bool [n, steps, pitches] (``mguv.data.roll.onset_cells``): where a note's onset
    is marked (a roll with onsets) or a cell is on and was off the step before (a note sounding at
    step 0 starts there). Without ``rep`` the rolls are binary."""
    if rep is not None:
        _active(rolls, rep)  # checks the shape
        return onset_cells(rolls, rep)
    on = _active(rolls)
    before = np.pad(on, ((0, 0), (1, 0), (0, 0)))[:, :-1]
    return on & ~before


def rhythmic_activity(rolls, rep):
    """Onset positions per bar (steps where at least one note starts, per ``rep.steps_per_bar``
    steps) -> [n]; NaN for an empty roll."""
    starts = onsets(rolls, rep)
    bars = starts.shape[1] / rep.steps_per_bar
    per_roll = starts.any(axis=2).sum(axis=1) / bars
    return np.where(starts.any(axis=(1, 2)), per_roll, np.nan)


ATTRIBUTES = {
    "note_density": note_density,
    "mean_pitch": mean_pitch,
    "polyphony": polyphony,
    "rhythmic_activity": rhythmic_activity,
}
UNITS = {
    "note_density": "fraction of cells",
    "mean_pitch": "MIDI pitch",
    "polyphony": "pitches per sounding step",
    "rhythmic_activity": "onsets per bar",
}


def check_name(name):
    """Returns ``name`` if it is a known attribute; else a ``UsageError`` naming the known ones."""
    if name not in ATTRIBUTES:
        raise UsageError(f"unknown attribute {name!r}; choose from {', '.join(ATTRIBUTES)}")
    return name


def compute(name, rolls, rep):
    """The attribute ``name`` of each roll [n, steps, pitches] -> float64 [n] (NaN where undefined)."""
    return ATTRIBUTES[check_name(name)](rolls, rep)

