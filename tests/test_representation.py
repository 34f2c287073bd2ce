import pytest

from mguv import representation as representations


def test_json_round_trip_keeps_every_field():
    rep = representations.PianoRoll(steps_per_beat=6, min_pitch=21, num_pitches=88, segment_steps=48,
                                     hop_steps=12, tempo=90.0, program=40, melody_only=True)
    back = representations.from_json(rep.to_json())
    assert back == rep
    assert back.mode == "symbolic"


def test_derived_values():
    rep = representations.PianoRoll()
    assert rep.max_pitch == 83
    assert rep.hop == 32 and rep.shape == (32, 36)
    assert rep.seconds_per_step == pytest.approx(0.125)


def test_rejects_a_range_outside_midi():
    with pytest.raises(ValueError):
        representations.PianoRoll(min_pitch=100, num_pitches=36)
