"""Musical attributes of piano-rolls (``mguv.attributes``)."""

import numpy as np
import pytest

from mguv import attributes as attrs
from mguv.errors import UsageError
from mguv.representation import PianoRoll

REP = PianoRoll()


def roll_with(cells, steps=32, pitches=36):
    """A [1, steps, pitches] roll with (step, column) cells on."""
    roll = np.zeros((1, steps, pitches), bool)
    for t, j in cells:
        roll[0, t, j] = True
    return roll


def test_note_density_is_the_fraction_of_active_cells():
    roll = roll_with([(0, 0), (1, 0), (2, 5), (3, 5)])
    assert attrs.note_density(roll)[0] == pytest.approx(4 / (32 * 36))
    assert attrs.note_density(np.zeros((2, 32, 36)))[1] == 0.0


def test_mean_pitch_weights_every_active_cell():
    roll = roll_with([(0, 0), (1, 12), (2, 12)])  # C3 once, C4 twice
    assert attrs.mean_pitch(roll, REP)[0] == pytest.approx(48 + 8)
    assert np.isnan(attrs.mean_pitch(np.zeros((1, 32, 36)), REP)[0])


def test_polyphony_averages_over_sounding_steps_only():
    roll = roll_with([(0, 0), (0, 4), (0, 7), (5, 2)])  # a triad, then one note; 30 silent steps
    assert attrs.polyphony(roll)[0] == pytest.approx(2.0)
    assert np.isnan(attrs.polyphony(np.zeros((1, 32, 36)))[0])


def test_rhythmic_activity_counts_onset_steps_per_bar():
    held = roll_with([(t, 3) for t in range(32)])  # one note held over both bars
    assert attrs.rhythmic_activity(held, REP)[0] == pytest.approx(0.5)
    eighths = roll_with([(t, j) for t in range(0, 32, 2) for j in (0, 4)])  # a dyad every 2 steps
    assert attrs.rhythmic_activity(eighths, REP)[0] == pytest.approx(8.0)  # 16 onset steps / 2 bars
    # Re-striking a sustained pitch in the binary roll is one held note: no extra onset.
    assert attrs.onsets(held)[0].sum() == 1
    assert np.isnan(attrs.rhythmic_activity(np.zeros((1, 32, 36)), REP)[0])


def test_attributes_reject_bad_input():
    with pytest.raises(UsageError, match="unknown attribute 'loudness'"):
        attrs.compute("loudness", np.zeros((1, 32, 36)), REP)
    with pytest.raises(ValueError, match="steps, pitches"):
        attrs.note_density(np.zeros((32, 36)))
