"""The NADE output (``mguv.models.nade``): a proper joint distribution over the channels of a step,
one parallel pass equal to the channel-by-channel chain, sampling that follows it, and the decoders
that use it (in Keras and from a SavedModel without mguv)."""

import itertools
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from mguv import configs
from mguv.errors import UsageError
from mguv.models.losses import bernoulli_nll
from mguv.models.nade import Nade


def nade(channels=6, hidden=5, context=4, seed=0):
    import keras

    keras.utils.set_random_seed(seed)
    layer = Nade(channels, hidden)
    layer.build((None, context))
    contexts = np.random.default_rng(seed).standard_normal((3, context)).astype(np.float32) * 2.0
    return layer, contexts


def every_state(channels):
    return np.array(list(itertools.product([0, 1], repeat=channels)), np.float32)


def log_probs(layer, context, states):
    contexts = np.repeat(context[None], len(states), axis=0)
    return -np.asarray(bernoulli_nll(states, layer(contexts, states)), np.float64)


def test_the_probabilities_of_all_states_sum_to_one():
    layer, contexts = nade()
    states = every_state(6)
    for context in contexts:
        total = np.exp(log_probs(layer, context, states)).sum()
        assert abs(total - 1.0) < 1e-4, total


def test_the_parallel_pass_equals_the_channel_by_channel_chain():
    layer, contexts = nade(channels=8, hidden=6)
    noise = np.random.default_rng(1).random((3, 8)).astype(np.float32)
    probs, drawn = (np.asarray(v) for v in layer.sample(contexts, noise))
    # The sampler's conditionals, computed one channel at a time given what it drew below, are the
    # parallel pass's conditionals of the drawn step.
    parallel = 1.0 / (1.0 + np.exp(-np.asarray(layer(contexts, drawn))))
    np.testing.assert_allclose(parallel, probs, atol=1e-5)
    np.testing.assert_array_equal(drawn, (noise < probs).astype(np.float32))


def test_zero_temperature_takes_the_mode_of_each_conditional():
    layer, contexts = nade(channels=8)
    noise = np.random.default_rng(2).random((3, 8)).astype(np.float32)
    _, greedy = (np.asarray(v) for v in layer.sample(contexts, noise, temperature=0.0))
    logits = np.asarray(layer(contexts, greedy))
    np.testing.assert_array_equal(greedy, (logits > 0).astype(np.float32))
    np.testing.assert_array_equal(np.asarray(layer.sample(contexts, None)[1]), greedy)


def test_samples_follow_the_joint_distribution():
    layer, contexts = nade(channels=3, hidden=4)
    n = 20000
    context = np.repeat(contexts[:1], n, axis=0)
    noise = np.random.default_rng(3).random((n, 3)).astype(np.float32)
    drawn = np.asarray(layer.sample(context, noise)[1]).astype(int)
    frequency = np.bincount(drawn @ np.array([4, 2, 1]), minlength=8) / n
    expected = np.exp(log_probs(layer, contexts[0], every_state(3)))
    np.testing.assert_allclose(frequency, expected, atol=0.015)


def test_the_lstm_family_refuses_top_k_with_the_nade():
    config = configs.override(configs.get("lstm-tiny"), ["model.output=nade"])
    with pytest.raises(UsageError, match="top_k"):
        config.build_model()
    with pytest.raises(UsageError, match="output"):
        configs.override(configs.get("lstm_vae-tiny"), ["model.output=softmax"]).build_model()


PLAIN_TF_SAMPLE = textwrap.dedent('''
    import json, sys
    import numpy as np, tensorflow as tf
    m = tf.saved_model.load(sys.argv[1])
    rep = json.loads(m.representation().numpy())
    z = tf.constant(np.load(sys.argv[2]))
    roll = m.sample(z, tf.constant(1.0), tf.constant([3, 4], tf.int32))["roll"].numpy()
    assert set(np.unique(roll)) <= {0.0, 1.0}
    np.save(sys.argv[3], m.decode(z).numpy())
    assert not any(name.split(".")[0] == "mguv" for name in sys.modules), "mguv was imported"
    print("channels", roll.shape[-1], "notes", int(roll.sum()))
''')


def test_a_nade_vae_with_onsets_trains_exports_and_samples_from_plain_tensorflow(midi_folder, tmp_path):
    from mguv.models.saving import load_model
    from mguv.run_dir import saved_model_dir
    from mguv.training.run import train

    config = configs.override(configs.get("lstm_vae-tiny"),
                              ["model.output=nade", "model.nade_units=8", "onsets=true", "segment_bars=2"])
    run = tmp_path / "run"
    train(config, [str(midi_folder)], str(run), cache_dir=str(tmp_path / "cache"), workers=1, num_samples=2,
          verbose=0, progress=False)
    model = load_model(str(run / "model.keras"))
    assert model.decoder.output_kind == "nade" and model.decoder.num_pitches == 72
    z = np.random.default_rng(0).standard_normal((2, 8)).astype(np.float32)
    np.save(tmp_path / "z.npy", z)
    script = tmp_path / "plain.py"
    script.write_text(PLAIN_TF_SAMPLE)
    done = subprocess.run([sys.executable, str(script), saved_model_dir(str(run)), str(tmp_path / "z.npy"),
                           str(tmp_path / "probs.npy")], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "channels 72" in done.stdout
    # The exported greedy decoding is the Keras model's, NADE chain included.
    np.testing.assert_allclose(np.load(tmp_path / "probs.npy"), np.asarray(model.decoder.generate(z)[0]), atol=1e-5)
