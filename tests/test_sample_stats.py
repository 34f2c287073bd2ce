import numpy as np
import pytest

from mguv import sample_stats
from mguv.representation import PianoRoll

REP = PianoRoll()  # column 0 is C3 (MIDI 48), 4 steps per beat


def _roll(steps=8, pitches=36):
    return np.zeros((steps, pitches), bool)


def test_statistics_of_a_known_roll():
    roll = _roll()
    roll[0:4, [0, 4, 7]] = True  # C major triad for 4 steps: 3 sounding
    roll[4:6, 2] = True          # D for 2 steps: 1 sounding; steps 6, 7 are empty
    stats = sample_stats.sample_statistics(roll[None], REP)
    assert stats["note_density"] == pytest.approx(14 / (8 * 36))
    assert stats["polyphony"] == pytest.approx((4 * 3 + 2 * 1) / 6)
    assert stats["empty_step_rate"] == pytest.approx(2 / 8)
    assert stats["scale_consistency"] == pytest.approx(1.0)  # C, E, G, D are all in C major
    hist = np.array(stats["pitch_class_histogram"])
    assert hist.sum() == pytest.approx(1.0)
    assert hist[0] == pytest.approx(4 / 14) and hist[2] == pytest.approx(2 / 14)


def test_scale_consistency_counts_notes_outside_every_scale():
    roll = _roll(steps=12)
    for step, pitch in enumerate(range(12)):  # the chromatic scale: 7 of 12 fit any major scale
        roll[step, pitch] = True
    stats = sample_stats.sample_statistics(roll[None], REP)
    assert stats["scale_consistency"] == pytest.approx(7 / 12)


def test_comparison_is_zero_for_the_same_set_and_grows_with_a_shift():
    rng = np.random.default_rng(0)
    rolls = rng.random((20, 16, 36)) < 0.05
    stats = sample_stats.sample_statistics(rolls, REP)
    same = sample_stats.compare_statistics(stats, stats)
    assert all(v == 0 for v in same.values())
    shifted = sample_stats.sample_statistics(np.roll(rolls, 1, axis=-1) & rolls, REP)
    diff = sample_stats.compare_statistics(shifted, stats)
    assert diff["note_density_rel_err"] > 0.5
    assert 0 < diff["pitch_class_l1"] <= 2


def test_empty_rolls_do_not_crash():
    stats = sample_stats.sample_statistics(np.zeros((3, 8, 36), bool), REP)
    assert stats["note_density"] == 0 and stats["polyphony"] == 0 and stats["empty_step_rate"] == 1


def test_restruck_notes_are_counted_with_onsets_and_merged_without():
    from mguv.data.roll import notes_to_roll

    notes = [[60, 0, 4], [60, 4, 8], [64, 0, 8]]  # C4 struck twice, E4 held
    onsets = PianoRoll(onsets=True, segment_steps=8)
    with_onsets = sample_stats.sample_statistics(notes_to_roll(notes, onsets, 8)[0][None], onsets)
    binary = sample_stats.sample_statistics(notes_to_roll(notes, REP, 8)[0][None], REP)
    assert with_onsets["restruck_rate"] == pytest.approx(1 / 3) and binary["restruck_rate"] == 0
    assert with_onsets["note_density"] == binary["note_density"]  # frames alone count as cells
