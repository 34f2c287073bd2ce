"""Likelihoods in nats per frame (``mguv.likelihood``): exact NLL for next-step models, per segment
and over whole pieces, and the ELBO and importance-weighted bound of the VAEs."""

import numpy as np
import pytest

from mguv import configs
from mguv.data.types import Segments
from mguv.likelihood import piece_nll, pieces, segment_likelihoods


def rolls(rep, n=6, seed=0):
    return (np.random.default_rng(seed).random((n,) + rep.shape) < 0.1).astype(np.float32)


@pytest.fixture(scope="module", params=["bernoulli", "nade"])
def next_step(request):
    config = configs.override(configs.get("lstm-tiny"), [f"model.output={request.param}", "model.top_k=0"])
    model = config.build_model()
    return config.representation, model


@pytest.fixture(scope="module", params=["bernoulli", "nade"])
def vae(request):
    config = configs.override(configs.get("lstm_vae-tiny"), [f"model.output={request.param}"])
    model = config.build_model()
    return config.representation, model


def test_exact_nll_is_the_models_nll_per_frame(next_step):
    rep, model = next_step
    x = rolls(rep)
    expected = float(np.sum(model.loss_terms(x, training=False).terms["nll"])) / (len(x) * rep.segment_steps)
    got = segment_likelihoods(model, x)
    assert got["frames"] == len(x) * rep.segment_steps
    assert got["nll_nats_per_frame"] == pytest.approx(expected, rel=1e-5)


def test_whole_pieces_carry_the_state_over_the_same_frames(next_step):
    rep, model = next_step
    x = rolls(rep, n=4)
    # One piece of one segment is that segment; a piece of two segments scores its second half in
    # the context of the first, so it differs from the two segments scored apart.
    one = piece_nll(model, [x[0]])
    assert one["nll_nats_per_frame"] == pytest.approx(segment_likelihoods(model, x[:1])["nll_nats_per_frame"],
                                                      rel=1e-5)
    joined = piece_nll(model, [np.concatenate([x[0], x[1]])])
    apart = segment_likelihoods(model, x[:2])
    assert joined["frames"] == apart["frames"] and joined["nll_nats_per_frame"] != apart["nll_nats_per_frame"]


def test_pieces_join_a_files_segments_in_order():
    x = np.arange(5 * 2 * 1).reshape(5, 2, 1)
    segments = Segments(x=x, file_id=np.array([1, 0, 1, 1, 0]), start_step=np.array([4, 0, 0, 2, 2]),
                        files=[("s", "a"), ("s", "b")], report={})
    joined = dict(pieces(segments, [0, 1, 2, 3]))
    np.testing.assert_array_equal(joined[1][:, 0], [4, 5, 6, 7, 0, 1])  # segments 2, 3, 0
    np.testing.assert_array_equal(joined[0][:, 0], [2, 3])              # segment 4 was not asked for


def test_the_importance_weighted_bound_is_tighter_than_the_elbo(vae):
    rep, model = vae
    x = rolls(rep)
    bounds = segment_likelihoods(model, x, iw_samples=16, seed=3)
    assert bounds["iw_samples"] == 16 and np.isfinite(bounds["iw_nats_per_frame"])
    assert bounds["iw_nats_per_frame"] < bounds["elbo_nats_per_frame"]
    single = segment_likelihoods(model, x, iw_samples=1, seed=3)
    assert single["iw_nats_per_frame"] == pytest.approx(single["elbo_nats_per_frame"], rel=1e-6)
    assert segment_likelihoods(model, x, iw_samples=16, seed=3) == bounds  # seeded


def test_the_log_weights_add_up_from_their_parts(vae):
    """log w = log p(x|z) + log p(z) - log q(z|x): with z at the posterior mean (zero noise) the
    parts can be checked by hand."""
    import tensorflow as tf

    from mguv.models.losses import bernoulli_nll

    rep, model = vae
    x = rolls(rep, n=2)
    weights = np.asarray(model.log_importance_weights(x, 4, tf.constant([0, 0])))
    assert weights.shape == (2, 4) and np.isfinite(weights).all()
    mean, logvar = (np.asarray(v, np.float64) for v in model.encode(x))
    # Recompute one weight from its draw: the same stateless noise the method used.
    eps = np.asarray(tf.random.stateless_normal([4, 2, mean.shape[1]], [0, 0]), np.float64)
    z = (mean[None] + np.exp(0.5 * logvar)[None] * eps).astype(np.float32)
    nll = np.asarray(bernoulli_nll(x, model.decoder(z[1], x)), np.float64)
    log_pz = -0.5 * (z[1].astype(np.float64) ** 2 + np.log(2 * np.pi)).sum(-1)
    log_qz = -0.5 * (eps[1] ** 2 + logvar + np.log(2 * np.pi)).sum(-1)
    np.testing.assert_allclose(weights[:, 1], -nll + log_pz - log_qz, rtol=1e-4)
