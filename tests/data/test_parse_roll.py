"""MIDI/MusicXML -> notes -> piano-roll -> MIDI."""

import numpy as np
import pretty_midi
import pytest

from conftest import write_tune
from mguv.data import roll as rolls
from mguv.data.parse import parse_file
from mguv.representation import PianoRoll

REP = PianoRoll()


def parse(path, spb=4):
    notes, reason = parse_file(path.name, str(path), None, spb)
    assert reason is None, reason
    return notes


def test_eighth_notes_land_on_two_steps_each(tmp_path):
    notes = parse(write_tune(tmp_path / "t.mid", pitches=(60, 62), bars=1))
    assert notes.shape == (8, 3)
    assert notes[:2].tolist() == [[60, 0, 2], [62, 2, 4]]


def test_drums_are_dropped(tmp_path):
    notes = parse(write_tune(tmp_path / "t.mid", bars=1, drums=True))
    assert 36 not in notes[:, 0] and len(notes) == 8


def test_grid_follows_the_tempo_map(tmp_path):
    # The same score at 90 bpm lands on the same steps as at 120 bpm: the grid is in quarter notes.
    slow = parse(write_tune(tmp_path / "slow.mid", bars=2, tempo=90.0))
    fast = parse(write_tune(tmp_path / "fast.mid", bars=2, tempo=120.0))
    np.testing.assert_array_equal(slow, fast)


def test_notes_outside_the_range_are_dropped_and_counted():
    notes = np.array([[40, 0, 4], [60, 0, 4], [90, 2, 6]])
    roll, dropped = rolls.notes_to_roll(notes, REP)
    assert dropped == 2
    assert roll.shape == (6, 36) and roll.sum() == 4 and roll[:4, 12].all()


def test_melody_only_keeps_the_highest_note_per_step():
    notes = np.array([[60, 0, 4], [64, 0, 2], [67, 2, 3]])
    roll, _ = rolls.notes_to_roll(notes, PianoRoll(melody_only=True))
    assert roll.sum(axis=1).tolist() == [1, 1, 1, 1]
    assert [int(np.argmax(r)) + 48 for r in roll] == [64, 64, 67, 60]


def test_segments_drop_silence_and_the_partial_tail():
    roll = np.zeros((100, 36), bool)
    roll[0:10, 5] = True      # segment 0
    roll[70:75, 7] = True     # segment 2; segment 1 is silent; steps 96..99 are a partial tail
    segs, starts = rolls.segment(roll, REP)
    assert starts.tolist() == [0, 64] and segs.shape == (2, 32, 36)


def test_hop_makes_overlapping_segments():
    roll = np.ones((64, 36), bool)
    segs, starts = rolls.segment(roll, PianoRoll(hop_steps=16))
    assert starts.tolist() == [0, 16, 32]


def test_roll_to_midi_to_roll_is_exact(tmp_path):
    rng = np.random.default_rng(0)
    roll = rng.random((64, 36)) < 0.08
    roll[10:20, 3] = True  # a long held note
    path = tmp_path / "r.mid"
    rolls.write_midi(roll, REP, str(path))
    pm = pretty_midi.PrettyMIDI(str(path))
    assert pm.get_tempo_changes()[1][0] == pytest.approx(REP.tempo)
    back, dropped = rolls.notes_to_roll(parse(path), REP, length=64)
    assert dropped == 0
    np.testing.assert_array_equal(back, roll)


def test_consecutive_steps_merge_into_held_notes():
    roll = np.zeros((8, 36), bool)
    roll[1:5, 0] = True
    roll[6:8, 0] = True
    assert rolls.roll_to_notes(roll, REP).tolist() == [[48, 1, 5], [48, 6, 8]]


@pytest.mark.parametrize("content", [b"", b"MThd\x00\x00\x00\x06\x00\x01", b"not a midi file at all"])
def test_bad_files_give_a_reason_instead_of_raising(tmp_path, content):
    path = tmp_path / "bad.mid"
    path.write_bytes(content)
    notes, reason = parse_file("bad.mid", str(path), None, 4)
    assert notes is None and reason


def test_music21_formats_parse(tmp_path):
    music21 = pytest.importorskip("music21")
    path = str(music21.corpus.getWork("bwv66.6"))
    notes, reason = parse_file("bwv66.6.mxl", path, None, 4)
    assert reason is None and len(notes) > 100
    assert 40 < notes[:, 0].min() and notes[:, 0].max() < 90
    assert (notes[:, 2] > notes[:, 1]).all()


def test_adaptive_step_is_the_shortest_duration_above_a_fifth_of_the_notes():
    def notes(*durations):  # consecutive notes of these durations (grid units)
        ends = np.cumsum(durations)
        return np.stack([np.full(len(durations), 60), ends - durations, ends], axis=1)

    # 25% sixteenths (6 at 24 per beat) is enough, although quarters (24) are most common.
    assert rolls.adaptive_step(notes(*[6] * 2, *[12] * 2, *[24] * 4)) == 6
    # 10% sixteenths is not; 30% eighths is.
    assert rolls.adaptive_step(notes(6, *[12] * 3, *[24] * 6)) == 12
    # No duration above 20%: the most common one.
    assert rolls.adaptive_step(notes(1, 2, 3, 4, 5, 6, 7, 7)) == 7


def test_regrid_rounds_to_the_coarse_step_and_keeps_every_note():
    fine = np.array([[60, 0, 12], [62, 12, 18], [64, 18, 19], [65, 24, 48]])
    assert rolls.regrid(fine, 12).tolist() == [[60, 0, 1], [62, 1, 2], [64, 2, 3], [65, 2, 4]]


def test_adaptive_representation_grids_each_piece_by_its_own_step(tmp_path):
    from mguv.data.corpus import load_segments

    eighths, quarters = tmp_path / "midi" / "eighths.mid", tmp_path / "midi" / "quarters.mid"
    eighths.parent.mkdir()
    write_tune(eighths, pitches=(60, 62), bars=8)          # eighth notes: adaptive step 1/2 beat
    pm = pretty_midi.PrettyMIDI(initial_tempo=120.0)     # quarter notes: adaptive step 1 beat
    inst = pretty_midi.Instrument(program=0)
    inst.notes = [pretty_midi.Note(90, 60 + i % 2, i * 0.5, (i + 1) * 0.5) for i in range(64)]
    pm.instruments.append(inst)
    pm.write(str(quarters))
    rep = PianoRoll(adaptive_step=True, steps_per_beat=2)
    cache = tmp_path / "cache"
    segments = load_segments([str(eighths.parent)], rep, cache_dir=str(cache), workers=1, progress=False)
    assert segments.report["adaptive_steps"] == {"0.5": 1, "1": 1}
    # One note per step in both pieces, whatever their note values.
    assert (segments.x.sum(axis=2) == 1).all() and len(segments) == 4
    # The cache holds the fine grid, under a key of its own: a fixed 4-per-beat run keeps its cache.
    fixed = load_segments([str(eighths.parent)], PianoRoll(), cache_dir=str(cache), workers=1, progress=False)
    assert len(list(cache.glob("notes-*.npz"))) == 2 and fixed.x.sum(axis=2).max() == 1
    assert len(fixed) == 12  # 128 and 256 sixteenth steps -> 4 + 8 segments (64 + 64 adaptive steps -> 4)


def test_midi_carries_the_representations_tempo_meter_velocity_program_and_track_name(tmp_path):
    rep = PianoRoll(tempo=100.0, meter_numerator=6, meter_denominator=8, velocity=70, program=40,
                    track_name="violin")
    rng = np.random.default_rng(1)
    roll = rng.random((64, 36)) < 0.08
    roll[20:30, 7] = True
    path = tmp_path / "violin.mid"
    rolls.write_midi(roll, rep, str(path))
    pm = pretty_midi.PrettyMIDI(str(path))
    assert pm.get_tempo_changes()[1].tolist() == [100.0]
    assert [(ts.numerator, ts.denominator, ts.time) for ts in pm.time_signature_changes] == [(6, 8, 0.0)]
    [inst] = pm.instruments
    assert (inst.program, inst.name, inst.is_drum) == (40, "violin", False)
    assert {n.velocity for n in inst.notes} == {70}
    # The same notes, on the same steps: 100 bpm changes seconds, not the grid.
    step = 60.0 / (100.0 * rep.steps_per_beat)
    written = sorted((n.pitch, round(n.start / step), round(n.end / step)) for n in inst.notes)
    assert written == sorted(map(tuple, rolls.roll_to_notes(roll, rep).tolist()))
    back, dropped = rolls.notes_to_roll(parse(path), rep, length=64)
    assert dropped == 0
    np.testing.assert_array_equal(back, roll)


def write_notes(path, notes, resolution=220):
    """A one-track MIDI file of (pitch, start, end) notes in quarter notes at 120 bpm."""
    pm = pretty_midi.PrettyMIDI(resolution=resolution, initial_tempo=120.0)
    inst = pretty_midi.Instrument(program=0)
    inst.notes = [pretty_midi.Note(90, p, s / 2, e / 2) for p, s, e in notes]
    pm.instruments.append(inst)
    pm.write(str(path))
    return path


def test_repeated_notes_stay_apart_and_symusic_reads_them(tmp_path):
    from mguv.data.parse import parse_midi

    path = write_notes(tmp_path / "r.mid", [(60, 0, 1), (60, 1, 2), (60, 2, 2.5), (60, 2.5, 4), (64, 0, 4)])
    notes, _, fallback = parse_midi(path.read_bytes(), 4)
    assert fallback is None
    assert notes.tolist() == [[60, 0, 4], [64, 0, 16], [60, 4, 8], [60, 8, 10], [60, 10, 16]]


def test_overlapping_notes_of_one_key_are_read_by_pretty_midi(tmp_path):
    # symusic pairs a note-off with the first open note-on, pretty_midi ends every open note: the
    # second C here ends at 2 quarters for pretty_midi, at 3 for symusic. The notes stay pretty_midi's.
    import mido

    from mguv.data.parse import parse_midi, parse_midi_pretty

    mid = mido.MidiFile(ticks_per_beat=96)
    on, off = (lambda t: mido.Message("note_on", note=60, velocity=80, time=t),
               lambda t: mido.Message("note_off", note=60, time=t))
    mid.tracks.append(mido.MidiTrack([on(0), on(96), off(96), off(96)]))
    path = tmp_path / "overlap.mid"
    mid.save(str(path))
    notes, _, fallback = parse_midi(path.read_bytes(), 4)
    assert "overlapping notes" in fallback
    assert notes.tolist() == parse_midi_pretty(path.read_bytes(), 4)[0].tolist() == [[60, 0, 8], [60, 4, 8]]


def test_pretty_midi_reads_what_symusic_cannot_and_the_cache_counts_it(tmp_path, monkeypatch):
    from mguv.data import cache, parse
    from mguv.data.corpus import resolve

    def broken(data):
        raise RuntimeError("MiniMidi: invalid midi file")

    (tmp_path / "midi").mkdir()
    write_tune(tmp_path / "midi" / "a.mid", bars=2)
    source = resolve([str(tmp_path / "midi")])[0]
    monkeypatch.setattr(parse, "symusic_score", broken)
    parsed = cache.parse_source(source, 4, cache_dir=str(tmp_path / "c"), workers=1, progress=False)
    assert parsed.names == ["a.mid"] and len(parsed.notes[0]) == 16
    assert parsed.fallbacks == [("a.mid", "symusic failed: RuntimeError: MiniMidi: invalid midi file")]
    monkeypatch.undo()
    again = cache.parse_source(source, 4, cache_dir=str(tmp_path / "c"), workers=1, progress=False)
    assert again.from_cache and again.fallbacks == parsed.fallbacks


def test_symusic_and_pretty_midi_read_the_same_notes_from_nottingham(nottingham):
    from mguv.data.parse import parse_midi, parse_midi_pretty, parse_midi_symusic

    # A spread of files, plus one where the check sends the file to pretty_midi.
    paths = sorted(nottingham.glob("*.mid"))[::100] + [nottingham / "jigs311.mid"]
    for path in paths:
        data = path.read_bytes()
        expected = parse_midi_pretty(data, 4)[0]
        np.testing.assert_array_equal(parse_midi_symusic(data, 4)[0], expected, err_msg=path.name)
        np.testing.assert_array_equal(parse_midi(data, 4)[0], expected, err_msg=path.name)
    assert "overlapping" in parse_midi((nottingham / "jigs311.mid").read_bytes(), 4)[2]


def test_a_tied_musicxml_note_is_one_note():
    music21 = pytest.importorskip("music21")
    path = str(music21.corpus.getWork("bwv1.6"))
    notes, reason = parse_file("bwv1.6.mxl", path, None, 4)
    assert reason is None
    score = music21.converter.parse(path)
    soprano = list(score.parts[0].flatten().notes)
    i = next(i for i, n in enumerate(soprano) if n.tie is not None and n.tie.type == "start")
    first, second = soprano[i], soprano[i + 1]
    assert second.tie.type == "stop" and second.pitch.midi == first.pitch.midi
    onset = round(float(first.offset) * 4)
    end = round((float(second.offset) + float(second.quarterLength)) * 4)
    assert [first.pitch.midi, onset, end] in notes.tolist()
    # music21's own stripTies gives the same notes: every tied pair, everywhere, is one note.
    joined = score.stripTies()
    expected = sorted((p.midi, round(n.offset * 4), round((n.offset + n.quarterLength) * 4))
                      for part in joined.parts for n in part.flatten().notes for p in n.pitches)
    assert sorted(map(tuple, notes.tolist())) == expected
    raw = sum(len(n.pitches) for part in score.parts for n in part.flatten().notes)
    assert len(notes) < raw
