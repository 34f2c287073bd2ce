"""Parse one score file (MIDI, MusicXML, Humdrum) into a note list on a quarter-note step grid.

The note list is the unit the cache stores: an int32 array [num_notes, 3] of
(MIDI pitch, onset step, offset step), offsets exclusive. It depends only on the file and on
``steps_per_beat``, so changing the pitch range, segment length or melody option never re-parses.

This module must not import TensorFlow: it runs in parser worker processes.
"""

import io
import os

import numpy as np

MIDI_EXTENSIONS = (".mid", ".midi")
MUSIC21_EXTENSIONS = (".mxl", ".musicxml", ".xml", ".krn")
SCORE_EXTENSIONS = MIDI_EXTENSIONS + MUSIC21_EXTENSIONS

# Bump when parsing changes, so old caches are not reused.
PARSER_VERSION = 2  # 2: caches record each file's position in its source


def _to_steps(start_beats, end_beats, steps_per_beat):
    """Quantizes onsets/offsets in quarter notes to steps; every note lasts at least one step."""
    start = np.rint(np.asarray(start_beats, np.float64) * steps_per_beat).astype(np.int64)
    end = np.rint(np.asarray(end_beats, np.float64) * steps_per_beat).astype(np.int64)
    end = np.maximum(end, start + 1)
    return start, end


def parse_midi(data, steps_per_beat):
    """Parses MIDI bytes into notes [N, 3] int32 (pitch, onset step, offset step).

    The grid is the file's own quarter-note grid: note times are mapped back to MIDI ticks through
    the file's tempo map and divided by ticks-per-quarter. This follows tempo changes exactly and,
    unlike pretty_midi's ``get_beats()`` (which counts dotted quarters in 6/8), always means
    ``steps_per_beat`` steps per quarter note. Drum instruments are dropped.
    """
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(io.BytesIO(data))
    pitches, starts, ends = [], [], []
    for inst in pm.instruments:
        if inst.is_drum:
            continue
        for note in inst.notes:
            pitches.append(note.pitch)
            starts.append(pm.time_to_tick(note.start) / pm.resolution)
            ends.append(pm.time_to_tick(note.end) / pm.resolution)
    start, end = _to_steps(starts, ends, steps_per_beat)
    return np.stack([np.asarray(pitches, np.int64), start, end], axis=1).astype(np.int32).reshape(-1, 3)


def parse_music21(path, steps_per_beat):
    """Parses a MusicXML/Humdrum file with music21 into notes [N, 3] int32 (offsets in quarter notes).

    Grace notes (zero duration) and unpitched percussion are dropped.
    """
    from music21 import converter

    score = converter.parse(path)
    pitches, starts, ends = [], [], []
    for element in score.flatten().getElementsByClass(["Note", "Chord"]):
        length = float(element.quarterLength)
        if length <= 0:
            continue
        offset = float(element.offset)
        for pitch in element.pitches:
            pitches.append(pitch.midi)
            starts.append(offset)
            ends.append(offset + length)
    start, end = _to_steps(starts, ends, steps_per_beat)
    return np.stack([np.asarray(pitches, np.int64), start, end], axis=1).astype(np.int32).reshape(-1, 3)


def parse_file(name, path, data, steps_per_beat):
    """Parses one score; never raises.

    Args:
      name: file name, used for its extension.
      path: file path, or None when ``data`` holds the bytes.
      data: file bytes, or None to read ``path``.
      steps_per_beat: grid resolution in steps per quarter note.

    Returns:
      (notes [N, 3] int32, None) on success, or (None, reason) for an unreadable or empty file.
    """
    ext = os.path.splitext(name)[1].lower()
    try:
        if ext in MIDI_EXTENSIONS:
            if data is None:
                with open(path, "rb") as f:
                    data = f.read()
            notes = parse_midi(data, steps_per_beat)
        elif ext in MUSIC21_EXTENSIONS:
            notes = parse_music21(path, steps_per_beat)
        else:
            return None, f"unsupported extension {ext!r}"
    except Exception as err:  # Corrupt files raise anything from IndexError to EOFError.
        return None, f"{type(err).__name__}: {err}".splitlines()[0][:200]
    if len(notes) == 0:
        return None, "no pitched notes"
    return notes, None
