"""Each file's meter (time signatures, tempo, first downbeat) from MIDI and music21, through the
parse cache into the corpus report."""

import pytest

from conftest import write_tune
from mguv.data import cache
from mguv.data.corpus import describe, load_segments, scan_folder
from mguv.data.parse import parse_midi_pretty, parse_midi_symusic, parse_score
from mguv.data.types import Meter, Source
from mguv.representation import PianoRoll


def parse(path, spb=4):
    notes, meter, fallback, reason = parse_score(path.name, str(path), None, spb)
    assert reason is None and fallback is None, (reason, fallback)
    return notes, meter


def test_a_6_8_tune_has_bars_of_six_eighths_on_the_quarter_note_grid(tmp_path):
    notes, meter = parse(write_tune(tmp_path / "jig.mid", bars=2, time_signature=(6, 8)))
    assert meter == Meter(((0, 6, 8),), 120.0, 0)
    # A 6/8 bar is 3 quarter notes = 12 steps at 4 per quarter: the 7th eighth starts bar 2.
    assert notes[6].tolist() == [71, 12, 14]


def test_a_pickup_before_the_first_bar_moves_the_first_downbeat(tmp_path):
    # One eighth-note pickup, then two 6/8 bars. pretty_midi writes a 4/4 at 0 before the 6/8: it is
    # cut short after 2 steps, so it marks the pickup rather than a bar of its own.
    path = write_tune(tmp_path / "pickup.mid", bars=2, time_signature=(6, 8), pickup=0.5, tempo=90.0)
    notes, meter = parse(path)
    assert meter == Meter(((2, 6, 8),), 90.0, 2)
    assert notes[:2].tolist() == [[60, 0, 2], [62, 2, 4]]  # the pickup, then the first downbeat
    assert parse_midi_pretty(path.read_bytes(), 4)[1] == meter


def test_meter_steps_follow_the_grid(tmp_path):
    path = write_tune(tmp_path / "pickup.mid", bars=1, time_signature=(3, 4), pickup=1.0)
    assert parse(path, spb=24)[1] == Meter(((24, 3, 4),), 120.0, 24)


def test_a_file_without_a_time_signature_has_none(tmp_path):
    import mido

    mid = mido.MidiFile(ticks_per_beat=96)
    mid.tracks.append(mido.MidiTrack([mido.Message("note_on", note=60, velocity=80, time=0),
                                      mido.Message("note_off", note=60, velocity=0, time=96)]))
    path = tmp_path / "bare.mid"
    mid.save(str(path))
    notes, meter = parse(path)
    assert meter == Meter((), 120.0, 0) and notes.tolist() == [[60, 0, 4]]


def test_chorale_pickup_and_tempo_from_music21():
    music21 = pytest.importorskip("music21")
    # BWV 1.6 opens with a one-quarter pickup (measure 0) and a metronome mark of 76.
    path = str(music21.corpus.getWork("bwv1.6"))
    notes, meter = parse_score("bwv1.6.mxl", path, None, 4)[:2]
    assert meter == Meter(((0, 4, 4),), 76.0, 4)
    assert notes[:, 1].min() == 0 and 4 in notes[:, 1]
    # BWV 10.7 starts on a full bar.
    full_bar = parse_score("bwv10.7.mxl", str(music21.corpus.getWork("bwv10.7")), None, 4)[1]
    assert full_bar.first_downbeat_step == 0


def test_meters_survive_the_parse_cache(tmp_path):
    folder = tmp_path / "midi"
    folder.mkdir()
    write_tune(folder / "a.mid", bars=2, time_signature=(6, 8), pickup=0.5)
    write_tune(folder / "b.mid", bars=2, tempo=100.0)
    source = Source("midi", tuple(scan_folder(str(folder), (".mid",))))
    first = cache.parse_source(source, 4, cache_dir=str(tmp_path / "cache"), workers=1, progress=False)
    again = cache.parse_source(source, 4, cache_dir=str(tmp_path / "cache"), workers=1, progress=False)
    assert again.from_cache and not first.from_cache
    assert again.meters == first.meters == [Meter(((2, 6, 8),), 120.0, 2), Meter(((0, 4, 4),), 100.0, 0)]


def test_the_corpus_report_counts_first_time_signatures(midi_folder, tmp_path):
    write_tune(midi_folder / "jig.mid", bars=4, time_signature=(6, 8))
    segments = load_segments([str(midi_folder)], PianoRoll(), cache_dir="", workers=1, progress=False)
    assert segments.report["first_time_signatures"] == {"4/4": 3, "6/8": 1}
    assert "first time signature (files): 4/4 3, 6/8 1" in describe(segments.report)
    assert segments.report["pretty_midi_files"] == []


def test_symusic_and_pretty_midi_read_the_same_meter_from_nottingham(nottingham):
    for path in sorted(nottingham.glob("*.mid"))[::150]:
        data = path.read_bytes()
        assert parse_midi_symusic(data, 4)[1] == parse_midi_pretty(data, 4)[1], path.name


def test_time_signatures_come_from_the_first_track_of_a_multi_track_file(tmp_path):
    # Tracks that disagree on the meter (as in a few Nottingham files): the conductor track wins.
    # A time signature only in a later track is used when the first has none.
    import mido

    def tune(meters):
        mid = mido.MidiFile(type=1, ticks_per_beat=96)
        for i, (numerator, time) in enumerate(meters):
            track = mido.MidiTrack([mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0)]
                                   if numerator else [])
            if numerator:
                track.append(mido.MetaMessage("time_signature", numerator=numerator, denominator=4, time=time))
            track += [mido.Message("note_on", channel=i, note=60 + i, velocity=80, time=0),
                      mido.Message("note_off", channel=i, note=60 + i, time=96 * 16)]
            mid.tracks.append(track)
        path = tmp_path / "t.mid"
        mid.save(str(path))
        return path.read_bytes()

    data = tune([(3, 96 * 8), (2, 96 * 4)])
    assert parse_midi_symusic(data, 4)[1].time_signatures == ((0, 4, 4), (32, 3, 4))
    assert parse_midi_pretty(data, 4)[1].time_signatures == ((0, 4, 4), (32, 3, 4))
    assert parse_midi_symusic(tune([(None, 0), (2, 96 * 4)]), 4)[1].time_signatures == ((0, 4, 4), (16, 2, 4))
