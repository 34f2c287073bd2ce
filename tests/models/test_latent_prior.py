"""The autoregressive Gaussian prior over latent sequences (stage two of the audio VAE)."""

import math

import keras
import numpy as np

from mguv.models.latent_prior import LatentPrior


def _alternating(n, frames=12, dim=2):
    """Sequences whose frames alternate between +c and -c (c differs per sequence and dimension)."""
    c = np.random.default_rng(0).uniform(0.5, 1.5, (n, 1, dim))
    return (c * (-1.0) ** np.arange(frames)[None, :, None]).astype(np.float32)


def _compiled_prior(units, learning_rate):
    """A seeded one-layer prior over [12 frames, 2] latents, built and compiled with Adam."""
    keras.utils.set_random_seed(0)
    prior = LatentPrior(2, units=units, num_layers=1)
    prior.build((None, 12, 2))
    prior.compile(optimizer=keras.optimizers.Adam(learning_rate))
    return prior


def test_the_prior_trains_a_step_and_its_nll_is_the_gaussian_one():
    prior = _compiled_prior(8, 1e-2)
    z = _alternating(4)
    mean, logvar = (np.asarray(a) for a in prior(z))
    by_hand = 0.5 * (math.log(2 * math.pi) + logvar + (z - mean) ** 2 / np.exp(logvar))
    np.testing.assert_allclose(np.asarray(prior.loss_terms(z, False).terms["nll"]), by_hand.sum(axis=(1, 2)),
                               rtol=1e-4)
    before = [np.array(w) for w in prior.trainable_weights]
    logs = prior.train_on_batch(z, return_dict=True)
    assert np.isfinite(logs["nll"]) and logs["loss"] == logs["nll"]
    assert any(not np.allclose(b, np.array(w)) for b, w in zip(before, prior.trainable_weights))


def test_samples_follow_the_temporal_structure_it_learned_and_repeat_with_the_seed():
    prior = _compiled_prior(16, 2e-2)
    z = _alternating(64)
    start = prior.evaluate(z, verbose=0, return_dict=True)["nll"]
    prior.fit(z, batch_size=16, epochs=40, verbose=0)
    assert prior.evaluate(z, verbose=0, return_dict=True)["nll"] < start - 20
    drawn = np.asarray(prior.generate(3, 16, 0.3, [1, 2]))
    assert drawn.shape == (3, 16, 2) and np.isfinite(drawn).all()
    # Each frame flips the sign of the last, as in every training sequence (N(0, I) would not).
    flips = np.sign(drawn[:, 1:]) != np.sign(drawn[:, :-1])
    assert flips.mean() > 0.9, flips.mean()
    np.testing.assert_array_equal(drawn, np.asarray(prior.generate(3, 16, 0.3, [1, 2])))
    assert not np.array_equal(drawn, np.asarray(prior.generate(3, 16, 0.3, [1, 3])))


def test_a_latent_vector_is_modelled_as_chunks_each_given_the_ones_before():
    """z [n, 8] read as 4 chunks of 2 (an LSTM-VAE's z): each chunk is minus the one before, which
    the learned prior reproduces in its draws, returned as vectors [n, 8]."""
    keras.utils.set_random_seed(0)
    prior = LatentPrior(2, units=16, num_layers=1)
    prior.build((None, 8))
    prior.compile(optimizer=keras.optimizers.Adam(2e-2))
    z = _alternating(64, frames=4).reshape(64, 8)
    mean, logvar = (np.asarray(a) for a in prior(z))
    assert mean.shape == logvar.shape == (64, 8)
    chunked = prior(z.reshape(64, 4, 2))
    np.testing.assert_allclose(mean, np.asarray(chunked[0]).reshape(64, 8), rtol=1e-5, atol=1e-6)
    prior.fit(z, batch_size=16, epochs=40, verbose=0)
    drawn = np.asarray(prior.sample_latents(5, (8,), 0.3, [0, 1]))
    assert drawn.shape == (5, 8) and np.isfinite(drawn).all()
    chunks = drawn.reshape(5, 4, 2)
    assert (np.sign(chunks[:, 1:]) != np.sign(chunks[:, :-1])).mean() > 0.9
