"""The next-step models (lstm, lstm_attention): causality, voices, sampling and continuations."""

import numpy as np
import pytest
import tensorflow as tf

from mguv.models.lstm_attention import AttentionLstm, combine_voices, voice_targets
from mguv.models.lstm import NextStepLstm

STEPS, PITCHES = 12, 10


def rolls(n=4, seed=0, density=0.2):
    return (np.random.default_rng(seed).random((n, STEPS, PITCHES)) < density).astype(np.float32)


def models():
    lstm = NextStepLstm(STEPS, PITCHES, units=8, num_layers=2, top_k=3, seed=0)
    attention = AttentionLstm(STEPS, PITCHES, units=8, num_heads=2, window=4, head_units=8, top_k=3, seed=0)
    for m in (lstm, attention):
        m.build((None, STEPS, PITCHES))
    return lstm, attention


def test_voices_take_the_top_notes_and_the_bass():
    x = np.zeros((1, 5, PITCHES), np.float32)
    x[0, 0, [1, 4, 6, 8, 9]] = 1  # five notes: S, A, T from the top, bass = lowest; 4 is dropped
    x[0, 1, [2, 7]] = 1           # two notes: soprano and bass
    x[0, 2, 5] = 1                # one note: soprano
    targets = voice_targets(tf.constant(x), 4).numpy()[0]
    assert targets.tolist() == [[10, 9, 7, 2], [8, 0, 0, 3], [6, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]]
    # With no more notes than voices, the voices rebuild the step exactly.
    y = rolls(2, density=0.15)
    y[:, :, :] *= (np.cumsum(y, axis=2) <= 4)
    one_hot = tf.one_hot(voice_targets(tf.constant(y), 4), PITCHES + 1).numpy()
    np.testing.assert_array_equal(combine_voices(one_hot).numpy(), y)


@pytest.mark.parametrize("which", [0, 1])
def test_a_step_is_predicted_from_earlier_steps_only(which):
    model = models()[which]
    x = rolls()
    changed = x.copy()
    changed[:, 6] = 1.0 - changed[:, 6]
    before, after = (np.asarray(model.prediction(model(v))) for v in (x, changed))
    np.testing.assert_allclose(before[:, :7], after[:, :7], atol=1e-6)  # steps 0..6 do not see step 6
    assert not np.allclose(before[:, 7:], after[:, 7:])


@pytest.mark.parametrize("which", [0, 1])
def test_sampling_is_seeded_respects_top_k_and_continues_a_prime(which):
    model = models()[which]
    probs, roll = (np.asarray(v) for v in model.sample(3, 1.0, [1, 2]))
    assert probs.shape == roll.shape == (3, STEPS, PITCHES) and set(np.unique(roll)) <= {0.0, 1.0}
    assert roll.sum(axis=2).max() <= (3 if which == 0 else 4)  # lstm: top_k notes; attention: a note per voice
    np.testing.assert_array_equal(np.asarray(model.sample(3, 1.0, [1, 2])[1]), roll)
    greedy = np.asarray(model.sample(3, 0.0, [7, 7])[1])
    assert (greedy == greedy[0]).all()  # greedy decoding from silence: every sample the same
    prime = rolls(3, seed=1)
    _, continued = model.sample(3, 1.0, [1, 2], prime=prime, prime_steps=5)
    np.testing.assert_array_equal(np.asarray(continued)[:, :5], prime[:, :5])
