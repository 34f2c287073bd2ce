"""Note-level onset metrics for piano-rolls, binary or with onsets (mir_eval's transcription matching).

The frame metrics of ``mguv.metrics_eval`` score every cell on its own, so they cannot see a lost
onset: a model that merges two repeated quarter notes into one half note covers the same cells and
scores a perfect frame F1. Here both rolls are turned into notes (``mguv.data.roll.roll_to_notes``)
and an estimated note finds a reference note when it has the same pitch and its onset lies within
half a step; offsets are ignored (mir_eval's ``offset_ratio=None``, the usual "onset F1" of
transcription). Each note is matched at most once (a maximum bipartite matching).

As in ``mguv.metrics_eval``, everything works on counts so that a split can be scored batch by
batch: sum the (matched, reference, estimated) counts of every segment, then turn the totals into
scores once. A score is then the corpus-level value, not a mean of per-segment values.
"""

import numpy as np

from mguv.data.roll import roll_to_notes

# Index of each count in the arrays ``note_counts`` returns.
MATCHED, REF, EST = range(3)
ONSET_TOLERANCE_STEPS = 0.5
# Pitches are whole MIDI notes, so anything below a semitone (100 cents) compares them exactly.
PITCH_TOLERANCE_CENTS = 1.0


def match_count(ref_notes, est_notes, seconds_per_step, onset_tolerance_steps=ONSET_TOLERANCE_STEPS):
    """How many estimated notes match a reference note (same pitch, onset within tolerance).

    Args:
      ref_notes: [N, 3] (MIDI pitch, onset step, offset step), as ``roll_to_notes`` gives: the data.
        Steps may be fractional.
      est_notes: [M, 3], the same layout: the prediction.
      seconds_per_step: the duration of one step in seconds (``PianoRoll.seconds_per_step``).
      onset_tolerance_steps: the largest onset difference that still matches, in steps (inclusive).

    Returns:
      int in [0, min(N, M)]: the size of mir_eval's maximum one-to-one matching (offsets ignored).
    """
    ref = np.asarray(ref_notes, np.float64).reshape(-1, 3)
    est = np.asarray(est_notes, np.float64).reshape(-1, 3)
    if len(ref) == 0 or len(est) == 0:
        return 0  # nothing to match; mir_eval would only warn about the empty side
    import mir_eval  # imports scipy: about a second, paid only when there are notes to match

    matching = mir_eval.transcription.match_notes(
        ref[:, 1:] * seconds_per_step, mir_eval.util.midi_to_hz(ref[:, 0]),
        est[:, 1:] * seconds_per_step, mir_eval.util.midi_to_hz(est[:, 0]),
        onset_tolerance=onset_tolerance_steps * seconds_per_step,
        pitch_tolerance=PITCH_TOLERANCE_CENTS, offset_ratio=None)
    return len(matching)


def note_counts(truth, pred, rep):
    """Note counts of two rolls, summed over their segments.

    Args:
      truth: [segments, *rep.shape] in {0, 1} (or bool): the data, one roll per segment in the
        layout ``roll_to_notes`` reads.
      pred: same shape: probabilities, {0, 1} or bool; a cell is on when > 0.5.
      rep: the ``PianoRoll`` representation (its pitch range and ``seconds_per_step``).

    Returns:
      int64 [3] (matched, reference, estimated) notes; indexed by MATCHED, REF, EST.
    """
    t = np.asarray(truth) > 0.5
    p = np.asarray(pred) > 0.5
    if t.shape != p.shape:
        raise ValueError(f"truth {t.shape} and prediction {p.shape} differ in shape")
    counts = np.zeros(3, np.int64)
    for t_roll, p_roll in zip(t.reshape((-1,) + t.shape[-2:]), p.reshape((-1,) + p.shape[-2:])):
        ref, est = roll_to_notes(t_roll, rep), roll_to_notes(p_roll, rep)
        counts += (match_count(ref, est, rep.seconds_per_step), len(ref), len(est))
    return counts


def onset_precision_recall_f1(counts):
    """Onset precision, recall and F1 (fractions) from ``note_counts`` totals.

    Args:
      counts: int [3] (matched, reference, estimated) notes.

    Returns:
      (precision, recall, f1) floats: matched / estimated, matched / reference and their harmonic
      mean. A 0/0 ratio is 0, as for the frame metrics of ``mguv.metrics_eval``.
    """
    matched, ref, est = (float(c) for c in np.asarray(counts, np.int64))
    ratio = lambda num, den: num / den if den > 0 else 0.0  # noqa: E731
    return ratio(matched, est), ratio(matched, ref), ratio(2 * matched, ref + est)


# MusicVAE's melody events, the classes its melody models predict and its accuracy counts: one per
# step, "no event" (a note goes on sounding, or silence goes on), "note off" (silence starts) or
# "note on" of a pitch. A held note is a no-event step whatever its pitch, so this accuracy forgives
# a wrong pitch on every step of a note but the first; ``mguv.evaluate``'s step accuracy does not.
NO_EVENT, NOTE_OFF, NOTE_ON = 0, 1, 2  # NOTE_ON + j: pitch column j struck


def top_line(roll, rep):
    """The melody of rolls [..., steps, rep.channels] (probabilities or {0, 1}; on when > 0.5): the
    highest sounding pitch column of each step, int64 [..., steps], -1 where nothing sounds."""
    frames = np.asarray(rep.frames(np.asarray(roll))) > 0.5
    highest = frames.shape[-1] - 1 - np.argmax(frames[..., ::-1], axis=-1)
    return np.where(frames.any(axis=-1), highest, -1).astype(np.int64)


def step_before(top):
    """The top line of the step before each step: top int [..., steps] -> int64 [..., steps], -1
    (silence) before step 0."""
    return np.concatenate([np.full(top.shape[:-1] + (1,), -1), top[..., :-1]], axis=-1).astype(np.int64)


def melody_events(roll, rep, before=None):
    """MusicVAE's melody events of the top line of rolls [..., steps, rep.channels].

    A step strikes its pitch when the roll's onset cell says so (with ``rep.onsets``) or when the
    pitch differs from the step before's; a silent step after a sounding one is a note off.

    Args:
      roll: [..., steps, rep.channels], probabilities or {0, 1}.
      rep: the ``PianoRoll`` representation.
      before: int [..., steps], the top line (``top_line``) of the step before each step, -1 = silence;
        None = the roll's own, with silence before step 0. A teacher-forced prediction is read against
        the true step before, as MusicVAE's next-step accuracy is.

    Returns:
      int64 [..., steps]: NO_EVENT, NOTE_OFF, or NOTE_ON + pitch column.
    """
    roll = np.asarray(roll)
    top = top_line(roll, rep)
    if before is None:
        before = step_before(top)
    struck = top != before
    if rep.onsets:
        onsets = roll[..., rep.num_pitches:] > 0.5
        struck |= np.take_along_axis(onsets, np.maximum(top, 0)[..., None], axis=-1)[..., 0]
    events = np.where((top >= 0) & struck, NOTE_ON + top, NO_EVENT)
    return np.where((top < 0) & (before >= 0), NOTE_OFF, events).astype(np.int64)


def event_counts(truth, teacher, free, rep, teacher_sees_truth=True):
    """Per-step event matches of MusicVAE's accuracy, summed over segments.

    Args:
      truth: [segments, steps, rep.channels]: the data.
      teacher: same shape: each step's most likely value given the true steps before it (its events are
        read against the true step before).
      free: same shape: a free-running decoding.
      rep: the ``PianoRoll`` representation.
      teacher_sees_truth: False for a decoder that never sees the steps before (inputless): its
        teacher-forced steps are then read against its own step before, as the free-running ones are.

    Returns:
      int64 [4]: steps whose event equals the truth's, teacher-forced and free-running; steps where
      the truth has no event (the accuracy of always predicting "no event"); all steps.
    """
    before = step_before(top_line(truth, rep))
    events = melody_events(truth, rep, before)
    return np.array([(melody_events(teacher, rep, before if teacher_sees_truth else None) == events).sum(),
                     (melody_events(free, rep) == events).sum(), (events == NO_EVENT).sum(), events.size],
                    np.int64)
