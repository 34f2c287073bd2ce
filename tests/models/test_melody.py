"""The melody output (``mguv.models.melody``): one class per step that maps onto the roll exactly,
an NLL that is the class cross-entropy, and draws that follow the softmax."""

import numpy as np
import pytest

from mguv import configs
from mguv.errors import UsageError
from mguv.models.melody import MelodyOutput, class_channels, melody_classes

P = 4


def _roll():
    """5 steps of a 4-pitch roll with onsets: rest, strike 2, hold 2, strike 0, a chord {1 held, 3 struck}."""
    x = np.zeros((1, 5, 2 * P), np.float32)
    x[0, 1, [2, P + 2]] = 1
    x[0, 2, 2] = 1
    x[0, 3, [0, P]] = 1
    x[0, 4, [1, 3, P + 3]] = 1
    return x


def test_classes_are_rest_held_and_struck_and_a_chord_keeps_its_top_note():
    classes = np.asarray(melody_classes(_roll(), P))
    np.testing.assert_array_equal(classes, [[0, P + 3, 3, P + 1, P + 4]])
    frames_only = np.asarray(melody_classes(_roll()[..., :P], P))
    np.testing.assert_array_equal(frames_only, [[0, 3, 3, 1, 4]])


def test_a_monophonic_roll_survives_the_trip_through_its_classes():
    x = _roll()[:, :4]
    one_hot = np.eye(2 * P + 1, dtype=np.float32)[np.asarray(melody_classes(x, P))]
    np.testing.assert_array_equal(np.asarray(class_channels(one_hot, P, onsets=True)), x)


def test_the_nll_is_the_cross_entropy_of_each_steps_class():
    layer = MelodyOutput(2 * P, pitch_groups=2)
    logits = np.random.default_rng(0).normal(size=(1, 5, 2 * P + 1)).astype(np.float32)
    log_p = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    classes = [0, P + 3, 3, P + 1, P + 4]
    expected = -sum(log_p[0, t, c] for t, c in enumerate(classes))
    np.testing.assert_allclose(np.asarray(layer.nll(_roll(), logits)), [expected], rtol=1e-5)


def test_marginals_are_probabilities_and_a_struck_pitch_also_sounds():
    layer = MelodyOutput(2 * P, pitch_groups=2)
    logits = np.random.default_rng(1).normal(size=(3, 2 * P + 1)).astype(np.float32)
    probs = np.asarray(layer.probabilities(logits))
    softmax = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    np.testing.assert_allclose(probs[:, :P].sum(-1), 1.0 - softmax[:, 0], rtol=1e-5)  # sounds unless a rest
    assert (probs[:, :P] >= probs[:, P:] - 1e-7).all()


def test_draws_follow_the_softmax_and_greedy_takes_the_most_likely_class():
    layer = MelodyOutput(2 * P, pitch_groups=2)
    h = np.random.default_rng(2).normal(size=(1, 6)).astype(np.float32)
    layer.build(h.shape)
    logits = np.asarray(layer(h))[0]
    softmax = np.exp(logits) / np.exp(logits).sum()
    n = 4000
    noise = np.random.default_rng(3).random(n).astype(np.float32)
    _, drawn = layer.sample(np.repeat(h, n, 0), noise, 1.0)
    drawn = np.asarray(drawn)
    classes = np.asarray(melody_classes(drawn, P))
    freq = np.bincount(classes, minlength=2 * P + 1) / n
    np.testing.assert_allclose(freq, softmax, atol=0.03)
    assert (drawn[:, :P].sum(-1) <= 1).all()  # one note at a time
    for noise in (None, noise[:1]):
        _, greedy = layer.sample(h, noise, 0.0)
        assert int(np.asarray(melody_classes(np.asarray(greedy), P))[0]) == int(np.argmax(logits))


@pytest.mark.parametrize("name", ["lstm_vae-tiny", "hier_vae-tiny"])
def test_a_melody_vae_decodes_one_note_at_a_time(name):
    config = configs.override(configs.get(name), ["model.output=melody", "onsets=true"])
    model = config.build_model()
    rep = config.representation
    x = np.zeros((4,) + rep.shape, np.float32)
    x[:, ::4, 3] = x[:, ::4, rep.num_pitches + 3] = 1
    model.compile(optimizer=config.train.build_optimizer())
    logs = model.train_on_batch(x, return_dict=True)
    assert np.isfinite(logs["nll"]) and logs["nll"] > 0
    for temperature in (0.0, 1.0):
        _, roll = (np.asarray(a) for a in model.sample(8, temperature, [0, 1]))
        frames, onsets = roll[..., :rep.num_pitches], roll[..., rep.num_pitches:]
        assert frames.sum(-1).max() <= 1 and (onsets <= frames).all()


def test_only_the_vae_decoders_take_the_melody_output():
    with pytest.raises(UsageError, match="output"):
        configs.override(configs.get("lstm-tiny"), ["model.output=melody", "model.top_k=0"]).build_model()
