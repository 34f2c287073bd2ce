"""Onset metrics on hand-made rolls: what the frame F1 cannot see, tolerances, empty rolls."""

import warnings

import numpy as np
import pytest

from mguv import metrics_eval
from mguv import note_metrics as nm
from mguv.representation import PianoRoll

REP = PianoRoll(steps_per_beat=4, min_pitch=60, num_pitches=4, segment_steps=8)
STEP = REP.seconds_per_step  # 0.125 s at 120 quarter notes per minute


def roll(*notes):
    """One segment [1, 8, 4] with notes (column, onset step, offset step) switched on."""
    x = np.zeros((1,) + REP.shape, bool)
    for column, on, off in notes:
        x[0, on:off, column] = True
    return x


def test_two_repeated_quarter_notes_merged_into_a_half_note():
    # A binary roll merges repeats, so this one is built from notes: two quarter notes on C#4
    # against one half note over the same cells.
    ref = np.array([[61, 0, 4], [61, 4, 8]])
    est = np.array([[61, 0, 8]])
    assert nm.match_count(ref, est, STEP) == 1
    p, r, f1 = nm.onset_precision_recall_f1([1, len(ref), len(est)])
    assert (p, r, f1) == pytest.approx((1.0, 0.5, 2 / 3))


def test_a_merged_note_costs_one_cell_of_frame_f1_but_half_the_onsets():
    # A gap of one step separates two notes in the data; the prediction holds one long note with
    # the same pitch. Frame F1 loses one cell; onset recall loses half the notes.
    truth = roll((2, 0, 3), (2, 4, 8))
    pred = roll((2, 0, 8))
    counts = nm.note_counts(truth, pred, REP)
    assert counts.tolist() == [1, 2, 1]  # matched, reference, estimated
    assert nm.onset_precision_recall_f1(counts) == pytest.approx((1.0, 0.5, 2 / 3))
    frame = metrics_eval.precision_recall_f1(metrics_eval.cell_counts(truth, pred))
    assert frame[1] == 1.0 and frame[2] > 0.9


def test_onset_within_half_a_step_matches_and_beyond_does_not():
    ref = np.array([[60, 2, 4]])
    assert nm.match_count(ref, [[60, 2.25, 4]], STEP) == 1   # a quarter step late
    assert nm.match_count(ref, [[60, 1.5, 4]], STEP) == 1    # exactly half a step early: inclusive
    assert nm.match_count(ref, [[60, 2.75, 4]], STEP) == 0   # three quarters of a step late
    assert nm.match_count(ref, [[60, 3, 4]], STEP) == 0      # one step: on a grid, a miss
    assert nm.match_count(ref, [[61, 2, 4]], STEP) == 0      # a semitone off
    assert nm.match_count(ref, [[60, 2, 3]], STEP) == 1      # the offset is ignored
    # The tolerance is in steps, so the tempo does not change the answer.
    assert nm.match_count(ref, [[60, 2.25, 4]], 0.01) == 1


def test_shifted_onset_in_rolls_and_one_to_one_matching():
    truth = roll((0, 2, 4))
    assert nm.note_counts(truth, roll((0, 2, 4)), REP).tolist() == [1, 1, 1]
    assert nm.note_counts(truth, roll((0, 3, 5)), REP).tolist() == [0, 1, 1]
    # Two reference notes on one pitch, one estimated note: at most one match.
    assert nm.match_count([[60, 0, 1], [60, 1, 2]], [[60, 0.5, 2]], STEP) == 1


def test_empty_rolls_count_without_warnings():
    notes = roll((3, 0, 2), (0, 5, 8))
    empty = np.zeros_like(notes)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert nm.note_counts(notes, empty, REP).tolist() == [0, 2, 0]
        assert nm.note_counts(empty, notes, REP).tolist() == [0, 0, 2]
        assert nm.note_counts(empty, empty, REP).tolist() == [0, 0, 0]
    assert nm.onset_precision_recall_f1([0, 2, 0]) == (0.0, 0.0, 0.0)
    assert nm.onset_precision_recall_f1([0, 0, 0]) == (0.0, 0.0, 0.0)


def test_counts_add_up_across_segments_and_probabilities_are_thresholded():
    rng = np.random.default_rng(0)
    truth = rng.random((6,) + REP.shape) < 0.3
    pred = rng.random((6,) + REP.shape)  # probabilities: on when > 0.5
    whole = nm.note_counts(truth, pred, REP)
    parts = nm.note_counts(truth[:2], pred[:2], REP) + nm.note_counts(truth[2:], pred[2:], REP)
    assert whole.tolist() == parts.tolist()
    assert whole[nm.MATCHED] <= min(whole[nm.REF], whole[nm.EST])
    assert nm.note_counts(truth, truth.astype(np.float32), REP)[nm.MATCHED] == whole[nm.REF]
    with pytest.raises(ValueError, match="differ in shape"):
        nm.note_counts(truth, pred[:3], REP)


def test_a_roll_with_onsets_keeps_the_repeated_notes_a_binary_roll_merges():
    from mguv.data.roll import notes_to_roll
    from mguv.note_metrics import note_counts, onset_precision_recall_f1

    notes = [[60, 0, 4], [60, 4, 8]]  # two quarter notes of C4
    onsets = PianoRoll(onsets=True, segment_steps=8)
    truth = notes_to_roll(notes, onsets, 8)[0][None]
    held = notes_to_roll([[60, 0, 8]], onsets, 8)[0][None]  # the same cells, struck once
    assert onset_precision_recall_f1(note_counts(truth, truth, onsets)) == (1.0, 1.0, 1.0)
    assert onset_precision_recall_f1(note_counts(truth, held, onsets))[1] == 0.5


ONSETS = PianoRoll(steps_per_beat=4, min_pitch=60, num_pitches=4, segment_steps=8, onsets=True)


def onset_roll(*notes):
    """One segment [1, 8, 8] of ONSETS (frames, then onsets) with notes (column, onset, offset)."""
    x = np.zeros((1,) + ONSETS.shape, bool)
    for column, on, off in notes:
        x[0, on:off, column] = True
        x[0, on, ONSETS.num_pitches + column] = True
    return x


def test_melody_events_are_musicvaes_note_on_note_off_and_no_event():
    # D held 2 steps, silence, E struck twice (a repeat), then G struck: note-ons where notes start
    # (the repeat too), a note-off where silence starts, no event while a note or a silence goes on.
    x = onset_roll((2, 0, 2), (3, 3, 4), (3, 4, 6), (1, 6, 8))
    on, off, none = nm.NOTE_ON, nm.NOTE_OFF, nm.NO_EVENT
    assert nm.melody_events(x, ONSETS).tolist() == [[on + 2, none, off, on + 3, on + 3, none, on + 1, none]]
    assert nm.top_line(x, ONSETS).tolist() == [[2, 2, -1, 3, 3, 3, 1, 1]]
    # Without onset cells a pitch change still strikes, but the repeat merges into one note.
    assert nm.melody_events(x[..., :4], REP).tolist() == [[on + 2, none, off, on + 3, none, none, on + 1, none]]
    # The top line of a chord is its highest pitch; a roll that starts mid-note strikes at step 0.
    chord = roll((0, 0, 8), (3, 0, 4))
    assert nm.melody_events(chord, REP).tolist() == [[on + 3, none, none, none, on + 0, none, none, none]]


def test_event_accuracy_forgives_a_wrong_pitch_on_held_steps_but_not_on_the_strike():
    truth = onset_roll((2, 0, 4), (1, 4, 8))
    wrong = onset_roll((3, 0, 4), (1, 4, 8))  # the first note a tone too high
    counts = nm.event_counts(truth, truth, wrong, ONSETS)
    # teacher-forced = the truth: 8 of 8; free: only the first step differs (a held step is "no
    # event" whatever its pitch); 6 of 8 true steps are no events; 8 steps.
    assert counts.tolist() == [8, 7, 6, 8]
    step = ((wrong > 0.5) == (truth > 0.5)).all(axis=-1).sum()
    assert step == 4  # the step accuracy counts all four steps of the wrong note


def test_teacher_forced_events_are_read_against_the_true_step_before():
    # Each teacher-forced step is a guess given the true steps before it: a guess that holds the
    # true note on step 1 is "no event", even where the guess at step 0 was silence.
    truth = onset_roll((2, 0, 4))
    teacher = onset_roll((2, 1, 4))
    teacher[0, 1, ONSETS.num_pitches + 2] = False  # step 1 holds column 2, as the truth does
    counts = nm.event_counts(truth, teacher, truth, ONSETS)
    assert counts.tolist() == [7, 8, 6, 8]  # only step 0 (silence against a strike) is wrong
    assert (nm.melody_events(teacher, ONSETS)[0, 1] == nm.NOTE_ON + 2)  # read against itself: a strike
    # A decoder that never sees the steps before (inputless) is read against its own step before:
    # step 1 is then a strike where the truth holds, so steps 0 and 1 are wrong.
    assert nm.event_counts(truth, teacher, truth, ONSETS, teacher_sees_truth=False).tolist() == [6, 8, 6, 8]
