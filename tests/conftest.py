"""Shared fixtures: tiny MIDI made in the test, and the shared Nottingham copy (skipped if absent)."""

import os
import pathlib

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = pathlib.Path(__file__).resolve().parents[1]
NOTTINGHAM = REPO.parent / "shared" / "data" / "nottingham"


def write_tune(path, pitches=(60, 62, 64, 65, 67, 69, 71, 72), bars=8, tempo=120.0, drums=False,
               chord=None, time_signature=None, pickup=0.0):
    """Writes a small MIDI tune: an eighth-note scale pattern over ``bars`` 4/4 bars at ``tempo``.

    Returns the path. ``chord`` (a list of pitches) adds a whole-bar accompaniment track.
    ``time_signature`` (numerator, denominator) makes the bars of that meter and writes it into the
    file (pretty_midi writes a 4/4 otherwise). ``pickup`` (quarter notes) puts that many eighth notes
    before the first bar; the time signature starts where the pickup ends.
    """
    import pretty_midi

    numerator, denominator = time_signature or (4, 4)
    bar = numerator * 4 / denominator  # quarter notes
    pm = pretty_midi.PrettyMIDI(initial_tempo=tempo)
    beat = 60.0 / tempo
    melody = pretty_midi.Instrument(program=0)
    t = 0.0
    for i in range(int(round((pickup + bars * bar) * 2))):
        p = pitches[i % len(pitches)]
        melody.notes.append(pretty_midi.Note(90, p, t, t + beat / 2))
        t += beat / 2
    pm.instruments.append(melody)
    if chord:
        acc = pretty_midi.Instrument(program=0)
        for b in range(bars):
            for p in chord:
                start = (pickup + b * bar) * beat
                acc.notes.append(pretty_midi.Note(70, p, start, start + bar * beat))
        pm.instruments.append(acc)
    if drums:
        kit = pretty_midi.Instrument(program=0, is_drum=True)
        for b in range(int(bars * bar)):
            start = (pickup + b) * beat
            kit.notes.append(pretty_midi.Note(100, 36, start, start + 0.1))
        pm.instruments.append(kit)
    if time_signature:
        pm.time_signature_changes.append(pretty_midi.TimeSignature(numerator, denominator, pickup * beat))
    pm.write(str(path))
    return path


@pytest.fixture
def midi_folder(tmp_path):
    """A folder with 3 small MIDI tunes (8 bars each, melody + chords), in pitch range 48..83."""
    folder = tmp_path / "midi"
    folder.mkdir()
    write_tune(folder / "a.mid", chord=[48, 52, 55])
    write_tune(folder / "b.mid", pitches=(72, 71, 69, 67, 65, 64, 62, 60), chord=[53, 57, 60])
    sub = folder / "sub"
    sub.mkdir()
    write_tune(sub / "c.midi", pitches=(60, 64, 67, 72), bars=6)
    return folder


@pytest.fixture
def nottingham():
    """The shared Nottingham MIDI folder; the test is skipped when ../shared is not there."""
    if not NOTTINGHAM.is_dir():
        pytest.skip(f"needs the Nottingham dataset at {NOTTINGHAM} (../shared next to the repo)")
    return NOTTINGHAM


@pytest.fixture
def nottingham_slice(nottingham, tmp_path):
    """A folder of symlinks to 24 top-level Nottingham tunes (a small real corpus)."""
    folder = tmp_path / "nottingham_slice"
    folder.mkdir()
    for f in sorted(nottingham.glob("*.mid"))[::43][:24]:
        (folder / f.name).symlink_to(f)
    return folder
