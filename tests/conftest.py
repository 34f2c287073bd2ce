"""Shared fixtures: tiny MIDI made in the test, and the shared Nottingham copy (skipped if absent)."""

import os
import pathlib

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = pathlib.Path(__file__).resolve().parents[1]
NOTTINGHAM = REPO.parent / "shared" / "data" / "nottingham"


def write_tune(path, pitches=(60, 62, 64, 65, 67, 69, 71, 72), bars=8, tempo=120.0, drums=False,
               chord=None):
    """Writes a small MIDI tune: an eighth-note scale pattern over ``bars`` 4/4 bars at ``tempo``.

    Returns the path. ``chord`` (a list of pitches) adds a whole-note accompaniment track.
    """
    import pretty_midi

    pm = pretty_midi.PrettyMIDI(initial_tempo=tempo)
    beat = 60.0 / tempo
    melody = pretty_midi.Instrument(program=0)
    t = 0.0
    for i in range(bars * 8):
        p = pitches[i % len(pitches)]
        melody.notes.append(pretty_midi.Note(90, p, t, t + beat / 2))
        t += beat / 2
    pm.instruments.append(melody)
    if chord:
        acc = pretty_midi.Instrument(program=0)
        for b in range(bars):
            for p in chord:
                acc.notes.append(pretty_midi.Note(70, p, b * 4 * beat, (b + 1) * 4 * beat))
        pm.instruments.append(acc)
    if drums:
        kit = pretty_midi.Instrument(program=0, is_drum=True)
        for b in range(bars * 4):
            kit.notes.append(pretty_midi.Note(100, 36, b * beat, b * beat + 0.1))
        pm.instruments.append(kit)
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
