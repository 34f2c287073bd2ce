"""Note lists <-> binary piano-rolls <-> MIDI, and cutting rolls into segments.

A piano-roll is a bool array [steps, num_pitches]; column j is MIDI pitch ``min_pitch + j``.
Consecutive active steps are one held note, so repeated notes of one pitch merge (the paper's
binary representation).
"""

import numpy as np

# Adaptive time step (``PianoRoll.adaptive_step``): pieces are parsed on this fine grid (the parse
# cache is keyed by it), then each is re-gridded to its own step. 24 per quarter note holds 32nd
# notes and sixteenth-note triplets exactly.
ADAPTIVE_PARSE_STEPS_PER_BEAT = 24
ADAPTIVE_SHARE = 0.2


def parse_steps_per_beat(rep):
    """The grid a representation's files are parsed (and cached) on, in steps per quarter note."""
    return ADAPTIVE_PARSE_STEPS_PER_BEAT if rep.adaptive_step else rep.steps_per_beat


def adaptive_step(notes, share=ADAPTIVE_SHARE):
    """The paper's adaptive time step of one piece: its shortest note duration that accounts for
    more than ``share`` of its notes.

    Args:
      notes: int [N, 3] (pitch, onset, offset) on any grid.
      share: fraction of the notes (0.2 in the paper).

    Returns:
      The step in grid units (int >= 1). A piece where no duration is that common (e.g. an
      unquantized performance) gets its most common duration.
    """
    durations = np.asarray(notes, np.int64).reshape(-1, 3)
    durations = durations[:, 2] - durations[:, 1]
    if len(durations) == 0:
        return 1
    values, counts = np.unique(durations, return_counts=True)  # values ascending
    common = np.nonzero(counts > share * len(durations))[0]
    return max(int(values[common[0]] if len(common) else values[np.argmax(counts)]), 1)


def regrid(notes, step):
    """Notes [N, 3] on a fine grid -> the same notes on a grid ``step`` times coarser; onsets and
    offsets round to the nearest coarse step, and every note keeps at least one step."""
    notes = np.asarray(notes, np.int64).reshape(-1, 3)
    onset = np.rint(notes[:, 1] / step).astype(np.int64)
    offset = np.maximum(np.rint(notes[:, 2] / step).astype(np.int64), onset + 1)
    return np.stack([notes[:, 0], onset, offset], axis=1).astype(np.int32)


def to_rep_grid(notes, rep):
    """Notes parsed at ``parse_steps_per_beat(rep)`` -> (notes on the representation's grid, the
    step used in quarter notes). Without ``adaptive_step`` the notes are already there."""
    if not rep.adaptive_step:
        return np.asarray(notes), 1.0 / rep.steps_per_beat
    step = adaptive_step(notes)
    return regrid(notes, step), step / ADAPTIVE_PARSE_STEPS_PER_BEAT


def notes_to_roll(notes, rep, length=None):
    """Rasterizes notes into a piano-roll.

    Args:
      notes: int array [N, 3] of (MIDI pitch, onset step, offset step), offsets exclusive.
      rep: a ``PianoRoll`` representation (pitch range, melody option).
      length: number of steps; defaults to the last offset.

    Returns:
      (roll bool [length, num_pitches], number of notes dropped for being outside the pitch range).
    """
    notes = np.asarray(notes, np.int64).reshape(-1, 3)
    if length is None:
        length = int(notes[:, 2].max()) if len(notes) else 0
    column = notes[:, 0] - rep.min_pitch
    inside = (column >= 0) & (column < rep.num_pitches)
    dropped = int((~inside).sum())
    notes, column = notes[inside], column[inside]
    start = np.clip(notes[:, 1], 0, length)
    end = np.clip(notes[:, 2], 0, length)
    # +1 at each onset, -1 at each offset; a running sum > 0 means "sounding" (handles overlaps).
    edges = np.zeros((length + 1, rep.num_pitches), np.int32)
    np.add.at(edges, (start, column), 1)
    np.add.at(edges, (end, column), -1)
    roll = np.cumsum(edges[:-1], axis=0) > 0
    if rep.melody_only:
        roll = highest_note(roll)
    return roll, dropped


def highest_note(roll):
    """Keeps only the highest active pitch at each step. roll: bool [T, P] -> bool [T, P]."""
    active = roll.any(axis=1)
    top = roll.shape[1] - 1 - np.argmax(roll[:, ::-1], axis=1)
    out = np.zeros_like(roll)
    out[np.nonzero(active)[0], top[active]] = True
    return out


def segment(roll, rep):
    """Cuts a roll into segments of ``rep.segment_steps`` every ``rep.hop`` steps.

    A trailing partial segment is dropped, and so are silent segments.

    Returns:
      bool [num_segments, segment_steps, num_pitches] and the onset step of each segment [num_segments].
    """
    steps = rep.segment_steps
    starts = np.arange(0, max(len(roll) - steps + 1, 0), rep.hop)
    if len(starts) == 0:
        return np.zeros((0,) + rep.shape, bool), starts
    segments = np.stack([roll[s:s + steps] for s in starts])
    keep = segments.any(axis=(1, 2))
    return segments[keep], starts[keep]


def roll_to_notes(roll, rep):
    """Turns runs of active steps into notes [N, 3] (MIDI pitch, onset step, offset step), sorted."""
    roll = np.asarray(roll) > 0
    padded = np.pad(roll, ((1, 1), (0, 0))).astype(np.int8)
    diff = np.diff(padded, axis=0)
    on_step, on_col = np.nonzero(diff == 1)
    off_step, off_col = np.nonzero(diff == -1)
    # Runs come out in the same (column, step) order from both, so sort both by column then step.
    on = np.lexsort((on_step, on_col))
    off = np.lexsort((off_step, off_col))
    notes = np.stack([on_col[on] + rep.min_pitch, on_step[on], off_step[off]], axis=1)
    return notes[np.lexsort((notes[:, 0], notes[:, 1]))].astype(np.int32).reshape(-1, 3)


def roll_to_midi(roll, rep, velocity=90):
    """Writes a piano-roll as a ``pretty_midi.PrettyMIDI`` at ``rep.tempo`` with program ``rep.program``.

    roll: [steps, num_pitches], bool or probabilities (> 0.5 counts as on).
    The tick resolution is a multiple of ``steps_per_beat`` so step boundaries land on exact ticks,
    which makes roll -> MIDI -> roll an exact round trip.
    """
    import pretty_midi

    resolution = 480 if 480 % rep.steps_per_beat == 0 else 120 * rep.steps_per_beat
    pm = pretty_midi.PrettyMIDI(resolution=resolution, initial_tempo=rep.tempo)
    inst = pretty_midi.Instrument(program=rep.program)
    dt = rep.seconds_per_step
    for pitch, start, end in roll_to_notes(np.asarray(roll) > 0.5, rep):
        inst.notes.append(pretty_midi.Note(velocity, int(pitch), start * dt, end * dt))
    pm.instruments.append(inst)
    return pm


def write_midi(roll, rep, path):
    """Writes ``roll`` [steps, num_pitches] to ``path`` atomically (temp file, then rename)."""
    from mguv.io import atomic_path

    with atomic_path(path) as tmp:
        roll_to_midi(roll, rep).write(tmp)
