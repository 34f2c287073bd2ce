"""Sampling steps and codes: temperature, greedy decoding, top-k, seeds."""

import numpy as np
import tensorflow as tf

from mguv.models.sampling import bernoulli_step, categorical_step, probability_logits, step_seed

LOGITS = tf.constant(np.random.default_rng(0).normal(0.0, 2.0, (64, 12)), tf.float32)


def test_bernoulli_greedy_is_a_threshold_and_sampling_is_seeded():
    greedy = bernoulli_step(LOGITS, 0.0, step_seed([1, 2], 0)).numpy()
    np.testing.assert_array_equal(greedy, (LOGITS.numpy() > 0).astype(np.float32))
    a = bernoulli_step(LOGITS, 1.0, step_seed([1, 2], 0)).numpy()
    assert np.array_equal(a, bernoulli_step(LOGITS, 1.0, step_seed([1, 2], 0)).numpy())
    assert not np.array_equal(a, bernoulli_step(LOGITS, 1.0, step_seed([1, 2], 1)).numpy())
    assert not np.array_equal(a, greedy)


def test_bernoulli_top_k_limits_the_notes_of_a_step_to_the_most_probable():
    drawn = bernoulli_step(LOGITS, 5.0, [3, 4], top_k=2).numpy()  # hot: almost every allowed note sounds
    assert drawn.sum(axis=1).max() <= 2 and drawn.sum() > 64
    top2 = np.argsort(-LOGITS.numpy(), axis=1)[:, :2]
    assert all(set(np.nonzero(row)[0]) <= set(t) for row, t in zip(drawn, top2))


def test_categorical_greedy_top_k_and_temperature():
    greedy = categorical_step(LOGITS, 0.0, [1, 2]).numpy()
    np.testing.assert_array_equal(greedy, LOGITS.numpy().argmax(axis=1))
    np.testing.assert_array_equal(categorical_step(LOGITS, 10.0, [1, 2], top_k=1).numpy(), greedy)
    drawn = categorical_step(LOGITS, 10.0, [5, 6], top_k=3).numpy()
    top3 = np.argsort(-LOGITS.numpy(), axis=1)[:, :3]
    assert all(c in t for c, t in zip(drawn, top3)) and not np.array_equal(drawn, greedy)


def test_probability_logits_invert_the_sigmoid_and_stay_finite():
    p = tf.constant([0.0, 0.25, 0.5, 1.0])
    logits = probability_logits(p).numpy()
    assert np.isfinite(logits).all()
    np.testing.assert_allclose(tf.sigmoid(logits).numpy()[1:3], [0.25, 0.5], atol=1e-6)


def test_top_k_on_a_roll_with_onsets_ranks_the_frames_and_keeps_each_onset_with_its_pitch():
    # Frames of 6 pitches then their onsets; pitches 1 and 4 are the two likeliest frames.
    frames = tf.constant([[0.0, 3.0, -1.0, 0.5, 2.0, -2.0]])
    onsets = tf.constant([[9.0, 9.0, 9.0, 9.0, 9.0, 9.0]])  # every onset certain on its own
    step = bernoulli_step(tf.concat([frames * 10, onsets], axis=1), 1.0, tf.constant([1, 2]), top_k=2, groups=2)
    on = np.asarray(step)[0]
    assert on[:6].nonzero()[0].tolist() == [1, 4] and on[6:].nonzero()[0].tolist() == [1, 4]
