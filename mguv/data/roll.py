"""Note lists <-> piano-rolls <-> MIDI, and cutting rolls into segments.

A piano-roll is a bool array [steps, rep.channels]; column j < num_pitches is MIDI pitch
``min_pitch + j`` sounding. In the binary roll (the papers') consecutive active steps are one held
note, so a note struck again where the same pitch ends merges with it. With ``rep.onsets`` column
``num_pitches + j`` marks the steps where a note of that pitch starts, and every onset begins a
new note.
"""

import numpy as np

from mguv.representation import bar_steps

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
      rep: a ``PianoRoll`` representation (pitch range, melody option, onsets).
      length: number of steps; defaults to the last offset.

    Returns:
      (roll bool [length, rep.channels], number of notes dropped for being outside the pitch range).
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
    if rep.onsets:
        starts = np.zeros_like(roll)
        sounding = start < end  # a note of no length inside the roll has no onset to mark
        starts[start[sounding], column[sounding]] = True
        roll = np.concatenate([roll, starts & roll], axis=1)
    return roll, dropped


def onset_cells(roll, rep):
    """Where notes start: rolls [..., steps, rep.channels] -> bool [..., steps, num_pitches].

    With ``rep.onsets``: a sounding cell whose onset is marked, or whose pitch was silent the step
    before (an onset the model left out cannot make a note vanish). Binary roll: a sounding cell
    whose pitch was silent the step before (step 0 counts as preceded by silence).
    """
    roll = np.asarray(roll) > 0.5
    frames = roll[..., :rep.num_pitches]
    before = np.zeros_like(frames)
    before[..., 1:, :] = frames[..., :-1, :]
    starts = frames & ~before
    if rep.onsets:
        starts |= frames & roll[..., rep.num_pitches:]
    return starts


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
      bool [num_segments, segment_steps, rep.channels] and the onset step of each segment [num_segments].
    """
    steps = rep.segment_steps
    starts = np.arange(0, max(len(roll) - steps + 1, 0), rep.hop)
    if len(starts) == 0:
        return np.zeros((0,) + rep.shape, bool), starts
    segments = np.stack([roll[s:s + steps] for s in starts])
    keep = segments.any(axis=(1, 2))
    return segments[keep], starts[keep]


def bar_lines(meter, length, steps_per_beat):
    """The whole bars of a file: [(start step, numerator, denominator)] in time order.

    Bars run from ``meter.first_downbeat_step`` (a pickup before it is no bar) under the time
    signature in force (``meter``: a ``mguv.data.types.Meter``; 4/4 when it states none); a bar
    ends before the next time signature begins and before ``length`` steps, or is left out. A
    meter whose bar is not a whole number of steps on this grid gives no bars.
    """
    signatures = list(meter.time_signatures) or [(0, 4, 4)]
    bars = []
    for i, (step, num, den) in enumerate(signatures):
        end = min(signatures[i + 1][0] if i + 1 < len(signatures) else length, length)
        size = bar_steps(steps_per_beat, num, den)
        if size != int(size) or size < 1:
            continue
        start = max(step, meter.first_downbeat_step)
        while start + size <= end:
            bars.append((start, num, den))
            start += int(size)
    return bars


def segment_at_bars(roll, rep, meter):
    """Cuts a roll [steps, channels] into segments of ``rep.segment_bars`` bars of the
    representation's meter, each starting on a bar line (``bar_lines``; the bar holding the last
    note counts, rests to its end added); silent segments are dropped.

    Returns:
      (bool [num_segments, segment_steps, rep.channels], their start steps [num_segments],
      {"num/den": whole segments of that meter in the file} for every meter it has, kept or not).
    """
    # The last bar of a tune often ends in rests after its last note: pad the roll so it counts.
    longest = max([bar_steps(rep.steps_per_beat, num, den) for _, num, den in meter.time_signatures] or [0.0])
    pad = int(np.ceil(max(longest, rep.steps_per_bar)))
    notes_end = len(roll)
    roll = np.concatenate([roll, np.zeros((pad,) + roll.shape[1:], roll.dtype)])
    runs = []  # runs of back-to-back bars in one meter
    bars = [b for b in bar_lines(meter, len(roll), rep.steps_per_beat) if b[0] < notes_end]
    for start, num, den in bars:
        last = runs[-1][-1] if runs else None
        if last and last[1:] == (num, den) and last[0] + int(bar_steps(rep.steps_per_beat, num, den)) == start:
            runs[-1].append((start, num, den))
        else:
            runs.append([(start, num, den)])
    hop = rep.hop_steps // int(rep.steps_per_bar) if rep.hop_steps else rep.segment_bars
    per_meter, starts = {}, []
    for run in runs:
        key = f"{run[0][1]}/{run[0][2]}"
        firsts = range(0, len(run) - rep.segment_bars + 1, hop)
        per_meter[key] = per_meter.get(key, 0) + len(firsts)
        if run[0][1:] == (rep.meter_numerator, rep.meter_denominator):
            starts += [run[k][0] for k in firsts]
    if not starts:
        return np.zeros((0,) + rep.shape, bool), np.zeros(0, np.int64), per_meter
    segments = np.stack([roll[s:s + rep.segment_steps] for s in starts])
    keep = segments.any(axis=(1, 2))
    return segments[keep], np.asarray(starts)[keep], per_meter


def cut_segments(roll, rep, meter):
    """The segments of a file's roll as the representation cuts them: at bar lines when
    ``rep.segment_bars`` (``segment_at_bars``), else every ``rep.hop`` steps from step 0
    (``segment``). Returns (segments, start steps, {"num/den": whole segments} or {})."""
    if rep.segment_bars:
        return segment_at_bars(roll, rep, meter)
    segments, starts = segment(roll, rep)
    return segments, starts, {}


def restruck(notes):
    """bool [N] for notes [N, 3] (pitch, onset step, offset step): the note starts on the step
    where a note of the same pitch ends (what a binary roll merges with the note before)."""
    ends = {(int(p), int(e)) for p, _, e in notes}
    return np.array([(int(p), int(s)) in ends for p, s, _ in notes], bool)


def roll_to_notes(roll, rep):
    """Turns a roll [steps, rep.channels] into notes [N, 3] (MIDI pitch, onset step, offset step),
    sorted by onset then pitch: a note starts at every onset (``onset_cells``) and lasts while its
    pitch sounds, up to the next onset of that pitch."""
    roll = np.asarray(roll) > 0.5
    frames = roll[:, :rep.num_pitches]
    starts = onset_cells(roll, rep)
    steps = len(frames)
    # A note stops at step t (exclusive) when its pitch sounded at t - 1 and, at t, is silent or
    # starts again; t = steps closes every note still sounding.
    after_frames = np.zeros((steps + 1, frames.shape[1]), bool)
    after_frames[:steps] = frames
    after_starts = np.zeros_like(after_frames)
    after_starts[:steps] = starts
    before = np.zeros_like(after_frames)
    before[1:] = frames
    stops = before & (~after_frames | after_starts)
    on_step, on_col = np.nonzero(starts)
    off_step, off_col = np.nonzero(stops)
    # Starts and stops alternate within a column, so sorting both by (column, step) pairs them.
    on = np.lexsort((on_step, on_col))
    off = np.lexsort((off_step, off_col))
    notes = np.stack([on_col[on] + rep.min_pitch, on_step[on], off_step[off]], axis=1)
    return notes[np.lexsort((notes[:, 0], notes[:, 1]))].astype(np.int32).reshape(-1, 3)


def roll_to_midi(roll, rep):
    """Writes a piano-roll as a ``pretty_midi.PrettyMIDI`` with what the representation says.

    roll: [steps, rep.channels], bool or probabilities (> 0.5 counts as on).
    The file carries ``rep.tempo`` (quarter notes per minute), the time signature
    ``rep.meter_numerator``/``rep.meter_denominator``, and one track named ``rep.track_name`` with
    General MIDI program ``rep.program`` whose notes all have velocity ``rep.velocity``.
    The tick resolution is a multiple of ``steps_per_beat`` so step boundaries land on exact ticks,
    which makes roll -> MIDI -> roll an exact round trip.
    """
    import pretty_midi

    resolution = 480 if 480 % rep.steps_per_beat == 0 else 120 * rep.steps_per_beat
    pm = pretty_midi.PrettyMIDI(resolution=resolution, initial_tempo=rep.tempo)
    pm.time_signature_changes.append(pretty_midi.TimeSignature(rep.meter_numerator, rep.meter_denominator, 0))
    inst = pretty_midi.Instrument(program=rep.program, name=rep.track_name)
    dt = rep.seconds_per_step
    for pitch, start, end in roll_to_notes(np.asarray(roll) > 0.5, rep):
        inst.notes.append(pretty_midi.Note(rep.velocity, int(pitch), start * dt, end * dt))
    pm.instruments.append(inst)
    return pm


def write_midi(roll, rep, path):
    """Writes ``roll`` [steps, rep.channels] to ``path`` as a MIDI file (``roll_to_midi``: the
    representation's tempo, time signature, program, velocity and track name), atomically (temp
    file, then rename)."""
    from mguv.io import atomic_path

    with atomic_path(path) as tmp:
        roll_to_midi(roll, rep).write(tmp)
