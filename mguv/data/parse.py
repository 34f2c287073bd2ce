"""Parse one score file (MIDI, MusicXML, Humdrum) into a note list and its meter on a quarter-note
step grid.

The note list is the unit the cache stores: an int32 array [num_notes, 3] of
(MIDI pitch, onset step, offset step), offsets exclusive, sorted by onset, pitch and offset. With it
goes the file's ``types.Meter`` (time signatures, first tempo, first downbeat) on the same grid. Both
depend only on the file and on ``steps_per_beat``, so changing the pitch range, segment length or
melody option never re-parses.

MIDI is read with symusic (C++): on Nottingham's 1,034 files about 34 times as many files per
second per core as pretty_midi, with the same notes and meters in every file
(``docs/results/parse_speed.md``). pretty_midi reads a file only where symusic fails, or where the
two would pair note-ons and note-offs differently (see ``_pairing_differs``), so the notes stay
pretty_midi's.

This module must not import TensorFlow: it runs in parser worker processes.
"""

import io
import os

import numpy as np

from mguv.data.types import Meter
from mguv.errors import error_reason

MIDI_EXTENSIONS = (".mid", ".midi")
MUSIC21_EXTENSIONS = (".mxl", ".musicxml", ".xml", ".krn")
SCORE_EXTENSIONS = MIDI_EXTENSIONS + MUSIC21_EXTENSIONS

# Bump when parsing changes, so old caches are not reused.
# 2: caches record each file's position in its source. 3: symusic reads MIDI; notes sorted; tied
# MusicXML notes joined; each file's meter. 4: files beyond the cost limits below are skipped.
PARSER_VERSION = 4
# What one file may cost. Beyond these limits it is skipped with the reason before anything is
# allocated by its length: a 37-byte MIDI file (1 tick per quarter, one note 10 million ticks long)
# would otherwise rasterize to a 40-million-step roll and exhaust the memory.
MAX_QUARTERS = 65536                 # quarter notes from the start to the last note-off: 9 h at 120 bpm
MAX_NOTES = 1 << 20                  # notes per file
MAX_PRETTY_MIDI_TICKS = 1 << 24      # pretty_midi keeps a float per tick up to the last event
DEFAULT_TEMPO = 120.0  # quarter notes per minute when a file states none (the MIDI default)


class TooCostly(ValueError):
    """A file beyond the cost limits (``MAX_QUARTERS``, ``MAX_NOTES``, ``MAX_PRETTY_MIDI_TICKS``)."""


def check_cost(num_notes, last_quarter):
    """Raises ``TooCostly`` when a file has more than ``MAX_NOTES`` notes or lasts more than
    ``MAX_QUARTERS`` quarter notes (``last_quarter``: its last note-off)."""
    if num_notes > MAX_NOTES:
        raise TooCostly(f"{num_notes:,} notes, more than the limit of {MAX_NOTES:,} per file")
    if last_quarter > MAX_QUARTERS:
        raise TooCostly(f"{last_quarter:,.0f} quarter notes long, more than the limit of {MAX_QUARTERS:,} "
                        "(9 hours at 120 bpm): a corrupted header or note-off?")


def _to_steps(start_beats, end_beats, steps_per_beat):
    """Quantizes onsets/offsets in quarter notes to steps; every note lasts at least one step."""
    start = np.rint(np.asarray(start_beats, np.float64) * steps_per_beat).astype(np.int64)
    end = np.rint(np.asarray(end_beats, np.float64) * steps_per_beat).astype(np.int64)
    end = np.maximum(end, start + 1)
    return start, end


def _note_array(pitches, start_beats, end_beats, steps_per_beat):
    """Notes [N, 3] int32 (pitch, onset step, offset step) sorted by onset, pitch, offset."""
    start, end = _to_steps(start_beats, end_beats, steps_per_beat)
    notes = np.stack([np.asarray(pitches, np.int64).reshape(-1), start, end], axis=1).astype(np.int32)
    return notes[np.lexsort((notes[:, 2], notes[:, 0], notes[:, 1]))]


def _meter(signatures, tempo, steps_per_beat, downbeat_beats=None):
    """A ``Meter`` from (quarter notes, numerator, denominator) time signatures in file order.

    Where several signatures fall on one step the first wins (a type-1 MIDI file's conductor track
    comes first); one that restates the current signature is left out. ``downbeat_beats`` None (a
    MIDI file) puts the first downbeat at the first time signature, unless that one is cut short by
    the next before its first bar ends: that marks a pickup (writers such as pretty_midi put a 4/4
    at 0 before a later first signature), so the pickup's signature is dropped and the first
    downbeat is where the next one starts.
    """
    changes = []
    for beats, numerator, denominator in sorted(signatures, key=lambda s: s[0]):  # stable
        step = int(np.rint(beats * steps_per_beat))
        if not changes or changes[-1][0] != step:
            changes.append((step, int(numerator), int(denominator)))
    if downbeat_beats is None:
        if len(changes) > 1:
            (step, numerator, denominator), following = changes[0], changes[1][0]
            if (following - step) * denominator < numerator * 4 * steps_per_beat:
                changes = changes[1:]
        downbeat = changes[0][0] if changes else 0
    else:
        downbeat = int(np.rint(downbeat_beats * steps_per_beat))
    changes = [c for i, c in enumerate(changes) if i == 0 or c[1:] != changes[i - 1][1:]]
    return Meter(tuple(changes), round(float(tempo), 3), downbeat)


def _pairing_differs(keys, starts, ends):
    """Why symusic's notes may differ from pretty_midi's, or None.

    symusic matches a note-off to the earliest open note-on of its key; pretty_midi closes every
    open note of the key, and keeps a note-on open through a note-off at the same tick. Where a key
    is released as often as it is struck, they disagree only where symusic yields a zero-length note
    or two overlapping notes of one key. ``keys`` tells keys apart (track * 128 + pitch: symusic
    makes a track of each MIDI track, channel and program). Two cases escape the check: a key
    struck twice and released once (symusic drops the note never released, pretty_midi ends both
    at the one release), and overlapping notes of one key on either side of a program change.
    """
    if len(starts) == 0:
        return None
    if (ends <= starts).any():
        return "a zero-length note"
    order = np.lexsort((starts, keys))
    keys, starts, ends = keys[order], starts[order], ends[order]
    # One running maximum of offsets over all keys: adding key * span keeps keys apart.
    span = int(ends.max()) + 1
    latest_end = np.maximum.accumulate(keys * span + ends)
    if (keys[1:] * span + starts[1:] < latest_end[:-1]).any():
        return "overlapping notes of one pitch"
    return None


def _first_track(data):
    """MIDI bytes cut to a one-track file of their header and first track, or None when they are not
    a multi-track (format 1) Standard MIDI File."""
    if data[:4] != b"MThd" or len(data) < 14 or data[8:10] != b"\x00\x01" or data[10:12] == b"\x00\x01":
        return None
    header_end = position = 8 + int.from_bytes(data[4:8], "big")
    while position + 8 <= len(data):
        end = position + 8 + int.from_bytes(data[position + 4:position + 8], "big")
        if data[position:position + 4] == b"MTrk":
            return data[:10] + b"\x00\x01" + data[12:header_end] + data[position:end]
        position = end  # a chunk of another kind
    return None


def _symusic_meter(score, data, steps_per_beat):
    """The ``Meter`` of a symusic score. symusic merges every track's time signatures and tempi, but
    in a multi-track file they belong in the first (the conductor track; pretty_midi reads only it):
    tracks that disagree would give bars of both. So they come from the first track where it has any."""
    first = _first_track(data)
    first = symusic_score(first) if first is not None else None
    tpq = score.ticks_per_quarter
    sig = score.time_signatures.numpy()
    if first is not None and len(first.time_signatures):
        sig = first.time_signatures.numpy()
    tempos = score.tempos.numpy()
    if first is not None and len(first.tempos):
        tempos = first.tempos.numpy()
    signatures = zip((sig["time"] / tpq).tolist(), sig["numerator"].tolist(), sig["denominator"].tolist())
    tempo = 6e7 / tempos["mspq"][np.argmin(tempos["time"])] if len(tempos["time"]) else DEFAULT_TEMPO
    return _meter(signatures, tempo, steps_per_beat)


def symusic_score(data):
    """symusic's ``Score`` of MIDI bytes, in ticks."""
    import symusic

    return symusic.Score.from_midi(data)


def parse_midi_symusic(data, steps_per_beat):
    """Parses MIDI bytes with symusic into (notes [N, 3] int32, ``Meter``, why pretty_midi should read
    it instead or None). Times are ticks / ticks-per-quarter, so the grid is the file's quarter-note
    grid whatever its tempo map. Drum tracks (channel 10) are dropped."""
    score = symusic_score(data)
    tpq = score.ticks_per_quarter
    tracks = [t.notes.numpy() for t in score.tracks if not t.is_drum and len(t.notes)]
    pitches = np.concatenate([t["pitch"] for t in tracks] or [np.zeros(0)]).astype(np.int64)
    starts = np.concatenate([t["time"] for t in tracks] or [np.zeros(0)]).astype(np.int64)
    ends = starts + np.concatenate([t["duration"] for t in tracks] or [np.zeros(0)]).astype(np.int64)
    check_cost(len(pitches), ends.max() / tpq if len(ends) else 0)
    notes = _note_array(pitches, starts / tpq, ends / tpq, steps_per_beat)
    meter = _symusic_meter(score, data, steps_per_beat)
    track = np.repeat(np.arange(len(tracks)), [len(t["time"]) for t in tracks])
    return notes, meter, _pairing_differs(track * 128 + pitches, starts, ends)


def parse_midi_pretty(data, steps_per_beat):
    """Parses MIDI bytes with pretty_midi into (notes [N, 3] int32, ``Meter``).

    Note times are mapped back to MIDI ticks through the file's tempo map and divided by
    ticks-per-quarter, so ``steps_per_beat`` always means steps per quarter note (unlike pretty_midi's
    ``get_beats()``, which counts dotted quarters in 6/8). pretty_midi reads time signatures and tempi
    from the first track only. Drum instruments are dropped.
    """
    import mido
    import pretty_midi

    midi = mido.MidiFile(file=io.BytesIO(data))
    last_tick = max((sum(msg.time for msg in track) for track in midi.tracks), default=0)
    if last_tick > MAX_PRETTY_MIDI_TICKS:
        raise TooCostly(f"its last event is at tick {last_tick:,}, beyond pretty_midi's limit of "
                        f"{MAX_PRETTY_MIDI_TICKS:,}")
    check_cost(0, last_tick / max(midi.ticks_per_beat, 1))
    pm = pretty_midi.PrettyMIDI(io.BytesIO(data))
    pitches, starts, ends = [], [], []
    for inst in pm.instruments:
        if inst.is_drum:
            continue
        for note in inst.notes:
            pitches.append(note.pitch)
            starts.append(pm.time_to_tick(note.start) / pm.resolution)
            ends.append(pm.time_to_tick(note.end) / pm.resolution)
    signatures = [(pm.time_to_tick(ts.time) / pm.resolution, ts.numerator, ts.denominator)
                  for ts in pm.time_signature_changes]
    tempo = pm.get_tempo_changes()[1][0]  # 120 when the file has none
    return _note_array(pitches, starts, ends, steps_per_beat), _meter(signatures, tempo, steps_per_beat)


def parse_midi(data, steps_per_beat):
    """Parses MIDI bytes into (notes [N, 3] int32, ``Meter``, fallback): symusic, or pretty_midi where
    symusic fails or would pair notes differently; ``fallback`` says why pretty_midi read it (None
    when symusic did)."""
    try:
        notes, meter, fallback = parse_midi_symusic(data, steps_per_beat)
    except TooCostly:
        raise
    except Exception as err:  # pretty_midi gets its chance, and gives the reason if it fails too.
        fallback = f"symusic failed: {error_reason(err)}"
    else:
        if fallback is None:
            return notes, meter, None
        fallback = f"symusic would pair notes differently: {fallback}"
    notes, meter = parse_midi_pretty(data, steps_per_beat)
    return notes, meter, fallback


def join_ties(elements):
    """Music21 notes/chords of one part, in offset order -> [[pitch, onset, offset], ...] in quarter
    notes, a tied note as one note (as music21's ``stripTies`` would, in a tenth of its time).

    A note whose tie continues or stops joins the tied note of its pitch that ends where it starts,
    if there is one, so notes of other voices in between do not break a tie. Unlike ``stripTies``,
    this joins a tied pitch inside a chord whose other pitches are not tied, and a tie that starts
    and continues but never stops. Grace notes (zero duration) are dropped.
    """
    rows, tied = [], {}  # tied: pitch -> rows of notes whose tie goes on
    for element in elements:
        length = float(element.quarterLength)
        if length <= 0:
            continue
        start = float(element.offset)
        for note in (element.notes if element.isChord else (element,)):
            kind = note.tie.type if note.tie is not None else None  # a chord's ties are its notes'
            pitch = note.pitch.midi
            waiting = tied.setdefault(pitch, [])
            i = next((i for i in waiting if abs(rows[i][2] - start) < 1e-6), None) \
                if kind in ("continue", "stop") else None
            if i is None:
                rows.append([pitch, start, start + length])
                i = len(rows) - 1
            else:
                waiting.remove(i)
                rows[i][2] = start + length
            if kind in ("start", "continue"):
                waiting.append(i)
    return rows


def _first_downbeat(part):
    """Quarter notes from the start of ``part`` to its first full bar: the pickup's length, if its
    first measure is one (shorter than its bar, or padded on the left), else that measure's offset."""
    measures = part.getElementsByClass("Measure")
    if len(measures) == 0:
        return 0.0
    first = measures[0]
    try:
        short = first.duration.quarterLength < first.barDuration.quarterLength
    except Exception:  # No time signature to measure the bar by: no pickup either.
        short = False
    if len(measures) > 1 and (first.paddingLeft > 0 or short):
        return float(measures[1].offset)
    return float(first.offset)


def parse_music21(path, steps_per_beat):
    """Parses a MusicXML/Humdrum file with music21 into (notes [N, 3] int32, ``Meter``); offsets in
    quarter notes, tied notes joined. Grace notes (zero duration) and unpitched percussion are dropped.
    The meter comes from the first part: its time signatures, its first measure (a pickup) and the
    first metronome mark of any part."""
    from music21 import converter

    score = converter.parse(path)
    parts = list(getattr(score, "parts", None) or ()) or [score]
    rows, tempos = [], []
    flats = [part.flatten() for part in parts]
    for flat in flats:
        rows += join_ties(flat.getElementsByClass(["Note", "Chord"]))
        tempos += [(float(m.offset), m.getQuarterBPM()) for m in flat.getElementsByClass("MetronomeMark")]
    rows = np.asarray(rows, np.float64).reshape(-1, 3)
    notes = _note_array(rows[:, 0], rows[:, 1], rows[:, 2], steps_per_beat)
    signatures = [(float(ts.offset), ts.numerator, ts.denominator)
                  for ts in flats[0].getElementsByClass("TimeSignature")]
    tempos = sorted((offset, bpm) for offset, bpm in tempos if bpm)
    tempo = tempos[0][1] if tempos else DEFAULT_TEMPO
    return notes, _meter(signatures, tempo, steps_per_beat, _first_downbeat(parts[0]))


def parse_score(name, path, data, steps_per_beat):
    """Parses one score with its meter; never raises.

    Args:
      name: file name, used for its extension.
      path: file path, or None when ``data`` holds the bytes.
      data: file bytes, or None to read ``path``.
      steps_per_beat: grid resolution in steps per quarter note.

    Returns:
      (notes [N, 3] int32, ``Meter``, fallback, None) on success, where ``fallback`` says why
      pretty_midi read a MIDI file instead of symusic (None when it did not), or
      (None, None, None, reason) for an unreadable or empty file.
    """
    ext = os.path.splitext(name)[1].lower()
    fallback = None
    try:
        if ext in MIDI_EXTENSIONS:
            if data is None:
                with open(path, "rb") as f:
                    data = f.read()
            notes, meter, fallback = parse_midi(data, steps_per_beat)
        elif ext in MUSIC21_EXTENSIONS:
            notes, meter = parse_music21(path, steps_per_beat)
        else:
            return None, None, None, f"unsupported extension {ext!r}"
        check_cost(len(notes), notes[:, 2].max() / steps_per_beat if len(notes) else 0)
    except TooCostly as err:
        return None, None, None, f"too costly: {err}"
    except Exception as err:  # Corrupt files raise anything from IndexError to EOFError.
        empty = "the file ends too early" if isinstance(err, EOFError) else "no message"
        return None, None, None, error_reason(err, empty)
    if len(notes) == 0:
        return None, None, None, "no pitched notes"
    return notes, meter, fallback, None


def parse_file(name, path, data, steps_per_beat):
    """Parses one score's notes; never raises. Arguments as ``parse_score``.

    Returns:
      (notes [N, 3] int32, None) on success, or (None, reason) for an unreadable or empty file.
    """
    notes, _, _, reason = parse_score(name, path, data, steps_per_beat)
    return notes, reason
