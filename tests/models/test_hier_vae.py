"""The hierarchical decoder: a conductor over subsequences, each decoded from its own embedding."""

import numpy as np
import tensorflow as tf

from mguv import configs
from mguv.models.hier_vae import HierarchicalDecoder
from mguv.models.lstm_vae import LstmDecoder

STEPS, PITCHES, U = 16, 10, 4


def decoder(carry_last_step=False):
    core = LstmDecoder(STEPS // U, PITCHES, units=8, num_layers=1)
    part = HierarchicalDecoder(core, num_subsequences=U, conductor_units=6, conductor_layers=1,
                               carry_last_step=carry_last_step)
    part.build((None, 5), (None, STEPS, PITCHES))
    return part


def test_subsequences_are_decoded_independently_given_z():
    part = decoder()
    z = tf.random.stateless_normal([3, 5], seed=[1, 2])
    x = (np.random.default_rng(0).random((3, STEPS, PITCHES)) < 0.2).astype(np.float32)
    changed = x.copy()
    changed[:, 4:8] = 1.0 - changed[:, 4:8]  # the whole second subsequence
    before, after = part(z, x).numpy(), part(z, changed).numpy()
    assert before.shape == (3, STEPS, PITCHES)
    # Each subsequence starts afresh from its embedding: only subsequence 2's own later steps move.
    np.testing.assert_allclose(np.delete(before, range(5, 8), axis=1), np.delete(after, range(5, 8), axis=1),
                               atol=1e-6)
    other_z = tf.random.stateless_normal([3, 5], seed=[3, 4])
    assert not np.allclose(part(other_z, x).numpy()[:, 12:], before[:, 12:])  # z reaches the last one


def test_generate_feeds_back_its_own_samples_per_subsequence():
    part = decoder()
    z = tf.random.stateless_normal([2, 5], seed=[1, 2])
    noise = tf.random.stateless_uniform([2, STEPS, PITCHES], seed=[5, 6])
    probs, roll = (v.numpy() for v in part.generate(z, noise=noise, temperature=1.0))
    assert probs.shape == roll.shape == (2, STEPS, PITCHES) and set(np.unique(roll)) <= {0.0, 1.0}
    # Teacher-forcing the sampled roll reproduces the free-running probabilities.
    np.testing.assert_allclose(tf.sigmoid(part(z, roll)).numpy(), probs, atol=1e-5)


def test_carrying_the_last_step_links_a_subsequence_to_the_one_before_only_through_it():
    part = decoder(carry_last_step=True)
    z = tf.random.stateless_normal([3, 5], seed=[1, 2])
    x = (np.random.default_rng(0).random((3, STEPS, PITCHES)) < 0.2).astype(np.float32)
    before = part(z, x).numpy()
    changed = x.copy()
    changed[:, 4:7] = 1.0 - changed[:, 4:7]  # subsequence 1 (from 0) but its last step
    np.testing.assert_allclose(np.delete(before, range(5, 8), axis=1),
                               np.delete(part(z, changed).numpy(), range(5, 8), axis=1), atol=1e-6)
    changed[:, 7] = 1.0 - changed[:, 7]  # its last step is subsequence 2's first input
    after = part(z, changed).numpy()
    assert not np.allclose(after[:, 8], before[:, 8])
    np.testing.assert_allclose(after[:, 12:], before[:, 12:], atol=1e-6)
    # Free-running feeds its own last step on: teacher-forcing its roll gives the same probabilities.
    noise = tf.random.stateless_uniform([3, STEPS, PITCHES], seed=[5, 6])
    probs, roll = (v.numpy() for v in part.generate(z, noise=noise, temperature=1.0))
    np.testing.assert_allclose(tf.sigmoid(part(z, roll)).numpy(), probs, atol=1e-5)
    restored = HierarchicalDecoder.from_config(part.get_config())
    assert restored.carry_last_step and not HierarchicalDecoder.from_config(decoder().get_config()).carry_last_step


def test_hier_vae_config_builds_on_the_vae_base():
    from mguv.models.vae import VAE

    config = configs.get("hier_vae-tiny")
    model = config.build_model()
    assert isinstance(model, VAE) and isinstance(model.decoder, HierarchicalDecoder)
    x = tf.zeros((2,) + config.representation.shape)
    terms = model.loss_terms(x, training=False).terms
    assert all(np.isfinite(np.asarray(terms[k])).all() for k in ("loss", "recon", "kl", "nll"))


def test_the_hierarchical_encoder_reads_every_bar_and_its_order():
    from mguv.models.hier_vae import HierarchicalEncoder

    encoder = HierarchicalEncoder(units=6, num_subsequences=U)
    x = (np.random.default_rng(1).random((2, STEPS, PITCHES)) < 0.2).astype(np.float32)
    features = encoder(x).numpy()
    assert features.shape == (2, 12) == tuple(encoder.compute_output_shape((2, STEPS, PITCHES)))
    changed = x.copy()
    changed[:, 1] = 1.0 - changed[:, 1]  # one step of the first bar
    assert not np.allclose(encoder(changed).numpy(), features)
    swapped = np.concatenate([x[:, 4:8], x[:, :4], x[:, 8:]], axis=1)  # bars 1 and 2 change places
    assert not np.allclose(encoder(swapped).numpy(), features)


def test_encoder_subsequences_pick_the_hierarchical_encoder_and_must_divide_the_steps():
    import pytest

    from mguv.errors import UsageError
    from mguv.models.hier_vae import HierarchicalEncoder

    for name in ("lstm_vae-tiny", "hier_vae-tiny"):
        steps = configs.get(name).representation.segment_steps
        model = configs.override(configs.get(name), ["model.encoder_subsequences=2"]).build_model()
        assert isinstance(model.encoder, HierarchicalEncoder) and model.encoder.num_subsequences == 2
        with pytest.raises(UsageError, match="encoder_subsequences"):
            configs.override(configs.get(name), [f"model.encoder_subsequences={steps + 1}"]).build_model()


def test_scheduled_sampling_reaches_the_lower_decoder_and_trains():
    config = configs.override(configs.get("hier_vae-tiny"), ["model.scheduled_sampling=0.5"])
    model = config.build_model()
    assert model.decoder.core.scheduled_sampling == 0.5
    model.compile(optimizer=config.train.build_optimizer())
    x = (np.random.default_rng(0).random((4,) + config.representation.shape) < 0.1).astype(np.float32)
    logs = model.train_on_batch(x, return_dict=True)
    assert np.isfinite(logs["loss"])
