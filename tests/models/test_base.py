"""The model contract (``mguv.models.base.MusicModel``): every family answers the same questions
the same way, and trains through the one ``train_step``."""

import numpy as np
import pytest

from mguv import configs

TINY = ["lstm_vae-tiny", "hier_vae-tiny", "lstm-tiny", "lstm_attention-tiny", "vq_vae-tiny", "wgan-tiny",
        "conv_vae-tiny",
        # The NADE output, on the binary roll and on the roll with onsets.
        "lstm_vae-tiny:model.output=nade,onsets=true", "hier_vae-tiny:model.output=nade",
        "lstm-tiny:model.output=nade,model.top_k=0,onsets=true",
        # The melody output (one class per step), and a hierarchical encoder.
        "lstm_vae-tiny:model.output=melody,onsets=true", "hier_vae-tiny:model.output=melody,model.encoder_subsequences=2"]


def _batch(rep, n=4, seed=0):
    rng = np.random.default_rng(seed)
    if rep.mode == "audio":
        return (0.5 * np.sin(np.linspace(0, 200, rep.clip_samples))[None, :, None]
                * rng.uniform(0.2, 1.0, (n, 1, 1))).astype(np.float32)
    return (rng.random((n,) + rep.shape) < 0.1).astype(np.float32)


@pytest.fixture(scope="module", params=TINY)
def built(request):
    name, _, sets = request.param.partition(":")
    config = configs.override(configs.get(name), sets.split(",") if sets else [])
    return config, config.build_model()


def test_prior_samples_have_the_example_shape_and_repeat_with_the_seed(built):
    config, model = built
    rep = config.representation
    probs, roll = (np.asarray(a) for a in model.sample(3, 1.0, [0, 1]))
    assert probs.shape == roll.shape == (3,) + rep.shape
    assert np.isfinite(probs).all()
    again = np.asarray(model.sample(3, 1.0, [0, 1])[1])
    np.testing.assert_array_equal(roll, again)
    if rep.mode == "symbolic":
        assert set(np.unique(roll)) <= {0.0, 1.0}


def test_export_endpoints_follow_the_latent(built):
    config, model = built
    endpoints, info = model.export_endpoints(config.representation)
    names = {name for name, _, _ in endpoints}
    if model.latent_shape is None:
        assert info["sample_input"] == "num" and info["latent_shape"] is None and "sample" in names
    else:
        # A learned prior over the latent (conv_vae) is sampled from a count, inside the graph.
        assert info["sample_input"] == ("num" if model.has_prior_stage else "z")
        assert info["latent_shape"] == list(model.latent_shape)
        assert "decode" in names and ("encode" in names) == model.encodes
        assert ("sample" in names) == (config.mode == "symbolic" or model.has_prior_stage)


def test_one_train_step_logs_every_term_and_moves_the_weights(built):
    config, model = built
    x = _batch(config.representation)
    model.compile(optimizer=config.train.build_optimizer())
    before = [np.array(w) for w in model.trainable_weights]
    logs = model.train_on_batch(x, return_dict=True)
    assert "loss" in logs and all(np.isfinite(float(v)) for v in logs.values())
    assert set(logs) <= {m.name for m in model.metrics}
    assert any(not np.allclose(b, np.array(w)) for b, w in zip(before, model.trainable_weights))
    val = model.test_on_batch(x, return_dict=True)
    assert np.isfinite(float(val["loss"]))
    if config.mode == "symbolic" and config.model.family != "wgan":
        # A roll with onsets logs its onset cells apart from the frame scores.
        assert ("onset_f1" in val) == config.representation.onsets


def test_loss_terms_are_per_example(built):
    config, model = built
    if model.monitor is None:  # a GAN's validation terms are batch statistics
        pytest.skip("the WGAN's terms are batch scalars by design")
    x = _batch(config.representation, n=3)
    losses = model.loss_terms(x, training=False)
    assert tuple(np.shape(losses.terms["loss"])) == (3,)


def test_reconstructions_are_examples_or_none(built):
    config, model = built
    x = _batch(config.representation, n=2)
    pairs = model.reconstructions(x)
    if model.monitor is None:
        assert pairs is None
    else:
        assert all(np.shape(p) == x.shape for p in pairs)
