"""Segments cut at bar lines (``PianoRoll(segment_bars=N)``): every segment starts on a downbeat of
the representation's meter, a pickup is no bar, and other meters are counted and left out."""

import numpy as np
import pytest

from conftest import write_tune
from mguv.data.corpus import describe, load_segments
from mguv.data.roll import bar_lines, notes_to_roll, segment_at_bars
from mguv.data.types import Meter
from mguv.representation import PianoRoll


def eighths(start, count, pitch=60):
    """``count`` eighth notes (2 steps each at 4 per beat) from step ``start``."""
    return [[pitch + i % 5, start + 2 * i, start + 2 * i + 2] for i in range(count)]


@pytest.mark.parametrize("num, den, bar", [(4, 4, 16), (3, 4, 12), (6, 8, 12)])
def test_segments_start_on_the_downbeats_after_a_pickup(num, den, bar):
    rep = PianoRoll(segment_bars=2, meter_numerator=num, meter_denominator=den)
    assert rep.segment_steps == 2 * bar
    pickup = 4  # two eighth notes before the first bar
    notes = np.array(eighths(0, 2 + 5 * bar // 2))  # the pickup and five bars
    roll, _ = notes_to_roll(notes, rep)
    segs, starts, per_meter = segment_at_bars(roll, rep, Meter(((0, num, den),), 120.0, pickup))
    assert starts.tolist() == [pickup, pickup + 2 * bar]  # the fifth bar fills no segment
    assert segs.shape == (2, 2 * bar, 36) and per_meter == {f"{num}/{den}": 2}
    np.testing.assert_array_equal(segs[0], roll[pickup:pickup + 2 * bar])


def test_a_change_of_meter_ends_a_run_of_bars_and_other_meters_are_left_out():
    # Two bars of 4/4, then three of 3/4; the representation keeps 3/4.
    meter = Meter(((0, 4, 4), (32, 3, 4)), 120.0, 0)
    assert [b[0] for b in bar_lines(meter, 68, 4)] == [0, 16, 32, 44, 56]
    rep = PianoRoll(segment_bars=1, meter_numerator=3, meter_denominator=4)
    roll, _ = notes_to_roll(np.array(eighths(0, 34)), rep)
    segs, starts, per_meter = segment_at_bars(roll, rep, meter)
    assert starts.tolist() == [32, 44, 56] and per_meter == {"4/4": 2, "3/4": 3}


def test_the_last_bar_counts_when_it_ends_in_rests():
    rep = PianoRoll(segment_bars=1)
    roll, _ = notes_to_roll(np.array([[60, 0, 16], [62, 16, 20]]), rep)  # bar 2 holds one quarter note
    segs, starts, _ = segment_at_bars(roll, rep, Meter(((0, 4, 4),), 120.0, 0))
    assert starts.tolist() == [0, 16] and segs[1, :4, 14].all() and not segs[1, 4:].any()


def test_a_6_8_corpus_with_pickups_trains_on_its_own_bars(tmp_path):
    folder = tmp_path / "jigs"
    folder.mkdir()
    write_tune(folder / "jig.mid", time_signature=(6, 8), pickup=1.0, bars=4)
    write_tune(folder / "reel.mid", bars=4)  # a 4/4 tune in the same folder
    rep = PianoRoll(onsets=True, segment_bars=2, meter_numerator=6, meter_denominator=8)
    segments = load_segments([str(folder)], rep, cache_dir=str(tmp_path / "cache"), workers=1, progress=False)
    assert segments.x.shape == (2, 24, 72) and segments.start_step.tolist() == [4, 28]
    assert [name for _, name in segments.files] == ["jig.mid"]
    report = describe(segments.report)
    assert "only 6/8 kept" in report and "4/4 2" in report and "6/8 2" in report


def test_a_meter_the_grid_cannot_hold_is_refused():
    with pytest.raises(ValueError, match="whole number of steps"):
        PianoRoll(steps_per_beat=2, segment_bars=1, meter_numerator=7, meter_denominator=16)
