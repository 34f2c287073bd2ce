"""The VQ-VAE: EMA codebook, dead-code re-initialisation, usage statistics, and its code prior."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from mguv.models.code_prior import CodePrior
from mguv.models.vq_vae import VectorQuantizer, VQVAE


def quantizer(k=4, dim=2, **kw):
    q = VectorQuantizer(k, dim, seed=0, **kw)
    q.build((None, dim))
    return q


def test_the_first_update_initialises_every_code_from_the_data():
    q = quantizer()
    e = tf.constant(np.random.default_rng(0).normal(size=(32, 2)), tf.float32)
    assert float(q.update(e, q.nearest(e))) == 4  # every code starts dead
    codebook = q.codebook.numpy()
    assert all(np.isclose(e.numpy(), row, atol=1e-3).all(axis=1).any() for row in codebook)


def test_ema_moves_a_code_to_the_mean_of_its_vectors_and_revives_dead_ones():
    q = quantizer(decay=0.5, dead_code_threshold=0.05)
    cluster = tf.constant([[1.0, 1.0], [1.2, 1.0], [1.0, 1.2], [1.2, 1.2]])
    q.update(cluster, q.nearest(cluster))
    for _ in range(30):  # every vector goes to one code; the other codes fall out of use
        codes = tf.zeros([4], tf.int32)
        dead = float(q.update(cluster, codes))
    np.testing.assert_allclose(q.codebook.numpy()[0], [1.1, 1.1], atol=1e-3)
    assert q.ema_count.numpy()[1:].min() >= 0.05 or dead > 0  # unused codes were re-initialised
    assert np.isclose(cluster.numpy()[None], q.codebook.numpy()[1:, None], atol=1e-3).all(axis=2).any(axis=1).all()


def test_perplexity_and_usage():
    q = quantizer()
    perplexity, usage = q.statistics(tf.constant([0, 1, 2, 3, 0, 1, 2, 3]))
    assert float(perplexity) == pytest.approx(4.0, rel=1e-4) and float(usage) == 1.0
    perplexity, usage = q.statistics(tf.constant([2, 2, 2, 2]))
    assert float(perplexity) == pytest.approx(1.0, rel=1e-4) and float(usage) == 0.25


def test_vq_vae_trains_without_touching_its_prior():
    model = VQVAE(16, 10, pattern_steps=4, codebook_size=8, code_dim=4, hidden_units=8, prior_units=8,
                  prior_layers=1, seed=0)
    model.build((None, 16, 10))
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    prior_before = [w.numpy().copy() for w in model.prior.weights]
    x = (np.random.default_rng(0).random((16, 16, 10)) < 0.2).astype(np.float32)
    logs = {k: v[-1] for k, v in model.fit(x, batch_size=8, epochs=1, verbose=0).history.items()}
    for name in ("loss", "recon", "nll", "commitment", "perplexity", "usage", "dead_codes", "f1"):
        assert np.isfinite(logs[name]), name
    assert 1.0 <= logs["perplexity"] <= 8 and 0 < logs["usage"] <= 1
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(prior_before, model.prior.weights))
    codes = model.encode_codes(x).numpy()
    assert codes.shape == (16, 4) and codes.min() >= 0 and codes.max() < 8
    assert model.decode_codes(codes).shape == (16, 16, 10)
    np.testing.assert_array_equal(model.encode_all(x, batch_size=5), codes)  # batches of 5, 5, 5, 1
    assert model.encode_all(x[:0]).shape == (0, 4)


def test_code_prior_learns_a_sequence_and_samples_it_greedily():
    prior = CodePrior(codebook_size=5, length=6, units=16, num_layers=1, dropout=0.0, seed=0)
    prior.build((None, 6))
    prior.compile(optimizer=keras.optimizers.Adam(3e-2))
    codes = np.tile([[3, 1, 4, 1, 0, 2]], (32, 1)).astype(np.int32)
    logs = prior.fit(codes, batch_size=32, epochs=40, verbose=0).history
    assert logs["nll"][-1] < 0.2 * logs["nll"][0]
    np.testing.assert_array_equal(prior.generate(2, 0.0, [1, 2]).numpy(), codes[:2])
    sampled = prior.generate(64, 3.0, [1, 2]).numpy()
    assert sampled.shape == (64, 6) and sampled.max() < 5 and not (sampled == codes[:1]).all()
