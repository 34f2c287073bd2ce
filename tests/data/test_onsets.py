"""Rolls with onsets (``PianoRoll(onsets=True)``): repeated notes survive the round trip through
the roll, the tf.data augmentation, the models and the MIDI file."""

import numpy as np
import pretty_midi
import pytest

from mguv import attributes as attrs
from mguv import configs
from mguv.data.roll import notes_to_roll, onset_cells, roll_to_midi, roll_to_notes, segment
from mguv.representation import PianoRoll

ONSETS = PianoRoll(onsets=True)
BINARY = PianoRoll()
# Two quarter notes of C4 struck one after the other, a held E4 re-struck on the beat, a chord.
REPEATED = np.array([[60, 0, 4], [60, 4, 8], [64, 0, 8], [64, 8, 16], [67, 8, 12], [72, 8, 12]])


def test_repeated_notes_survive_the_roll_with_onsets_and_merge_without():
    roll, dropped = notes_to_roll(REPEATED, ONSETS, 16)
    assert roll.shape == (16, 72) and dropped == 0
    np.testing.assert_array_equal(roll_to_notes(roll, ONSETS), REPEATED[np.lexsort((REPEATED[:, 0], REPEATED[:, 1]))])
    binary, _ = notes_to_roll(REPEATED, BINARY, 16)
    assert binary.shape == (16, 36)
    assert [n.tolist() for n in roll_to_notes(binary, BINARY) if n[0] == 60] == [[60, 0, 8]]  # merged


def test_an_onset_splits_a_held_pitch_and_a_stray_onset_makes_no_note():
    roll = np.zeros((8, 72), bool)
    roll[0:8, 12] = True       # C4 sounds for 8 steps
    roll[[0, 3, 6], 36 + 12] = True  # struck three times
    roll[5, 36 + 20] = True    # an onset where nothing sounds
    assert roll_to_notes(roll, ONSETS).tolist() == [[60, 0, 3], [60, 3, 6], [60, 6, 8]]
    starts = onset_cells(roll[None], ONSETS)[0]
    assert starts[:, 12].nonzero()[0].tolist() == [0, 3, 6] and not starts[:, 20].any()


def test_midi_written_from_a_roll_with_onsets_keeps_every_strike():
    roll, _ = notes_to_roll(REPEATED, ONSETS, 16)
    pm = roll_to_midi(roll, ONSETS)
    notes = sorted((n.pitch, round(n.start / ONSETS.seconds_per_step), round(n.end / ONSETS.seconds_per_step))
                   for n in pm.instruments[0].notes)
    assert notes == sorted(map(tuple, REPEATED.tolist()))
    assert isinstance(pm, pretty_midi.PrettyMIDI)


def test_melody_only_keeps_the_onsets_of_the_kept_notes():
    rep = PianoRoll(onsets=True, melody_only=True)
    roll, _ = notes_to_roll(REPEATED, rep, 16)
    assert roll_to_notes(roll, rep).tolist() == [[64, 0, 8], [72, 8, 12], [64, 12, 16]]


def test_segments_have_the_representations_shape():
    rep = PianoRoll(onsets=True, segment_steps=8)
    segs, starts = segment(notes_to_roll(REPEATED, rep, 16)[0], rep)
    assert segs.shape == (2, 8, 72) and starts.tolist() == [0, 8]


def test_attributes_count_struck_notes():
    roll, _ = notes_to_roll(REPEATED, ONSETS, 32)
    binary, _ = notes_to_roll(REPEATED, BINARY, 32)
    assert attrs.rhythmic_activity(roll[None], ONSETS)[0] == pytest.approx(3 / 2)  # steps 0, 4, 8 / 2 bars
    assert attrs.rhythmic_activity(binary[None], BINARY)[0] == pytest.approx(2 / 2)  # steps 0, 8
    assert attrs.note_density(roll[None], ONSETS)[0] == attrs.note_density(binary[None], BINARY)[0]


def test_transposition_moves_an_onset_with_its_pitch():
    import tensorflow as tf

    from mguv.data.pipeline import make_dataset

    roll, _ = notes_to_roll(REPEATED, ONSETS, 16)
    x = np.stack([roll] * 4)
    for batch in make_dataset(x, 4, transpose=3, seed=1, pitch_groups=2):
        for r in np.asarray(batch, bool):
            shift = int(r[0, :36].nonzero()[0].min()) - 12  # C4 is column 12
            moved = roll_to_notes(r, ONSETS)
            expected = REPEATED + [shift, 0, 0]
            np.testing.assert_array_equal(moved, expected[np.lexsort((expected[:, 0], expected[:, 1]))])
    assert tf.is_tensor(batch)


@pytest.mark.parametrize("name", ["lstm_vae-tiny", "hier_vae-tiny", "lstm-tiny", "lstm_attention-tiny", "vq_vae-tiny",
                                  "wgan-tiny"])
def test_every_roll_family_takes_onsets(name):
    config = configs.override(configs.get(name), ["onsets=true"])
    model = config.build_model()
    probs, roll = (np.asarray(a) for a in model.sample(2, 1.0, [0, 0]))
    assert probs.shape == roll.shape == (2, 32, 72)
    x = np.stack([notes_to_roll(REPEATED, config.representation, 32)[0]] * 2).astype(np.float32)
    terms = model.loss_terms(x, training=False).terms
    assert np.all(np.isfinite(np.asarray(terms["loss"])))


def test_a_voice_holds_or_strikes_its_pitch():
    import keras

    from mguv.models.lstm_attention import AttentionLstm, combine_voices, onset_voice_targets

    roll, _ = notes_to_roll(REPEATED, ONSETS, 16)
    targets = np.asarray(onset_voice_targets(roll[None].astype(np.float32), 4, 36))[0]  # [steps, voices]
    # Step 4: C4 (column 12) is struck again under a held E4 (column 16): soprano holds, bass strikes.
    assert targets[4].tolist() == [17, 0, 0, 36 + 13] and targets[5].tolist() == [17, 0, 0, 13]
    assert targets[8].tolist() == [36 + 25, 36 + 20, 0, 36 + 17]  # C5, G4 and the bass E4 struck at once
    one_hot = keras.ops.one_hot(targets, 73)
    back = np.asarray(combine_voices(one_hot, onsets=True)) > 0.5
    np.testing.assert_array_equal(roll_to_notes(back, ONSETS), roll_to_notes(roll, ONSETS))
    model = AttentionLstm(16, 36, units=8, num_layers=1, num_heads=2, window=4, head_units=8, onsets=True)
    again = AttentionLstm.from_config(model.get_config())
    assert again.num_pitches == model.num_pitches == 72 and again.classes == 73
