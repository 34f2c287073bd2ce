"""The VAE base with the LSTM parts: the ELBO, beta annealing, free bits, metrics, saving."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from mguv import configs
from mguv.errors import UsageError
from mguv.models.metrics import NoteScore, roll_scores
from mguv.models.losses import gaussian_kl

TINY = configs.get("lstm_vae-tiny")


def data(n=32, seed=0):
    return (np.random.default_rng(seed).random((n, 32, 36)) < 0.06).astype(np.float32)


def compiled(config=TINY, learning_rate=1e-3):
    model = config.build_model()
    model.compile(optimizer=keras.optimizers.AdamW(learning_rate, weight_decay=1e-4, clipnorm=1.0))
    return model


def test_one_epoch_gives_finite_named_metrics():
    model = compiled()
    history = model.fit(data(), batch_size=16, epochs=1, validation_data=(data(16, 1),), verbose=0)
    logs = {k: v[-1] for k, v in history.history.items()}
    for name in ("loss", "recon", "kl", "beta", "nll", "precision", "recall", "f1", "accuracy"):
        assert np.isfinite(logs[name]) and np.isfinite(logs[f"val_{name}"]), name
    assert logs["loss"] > 0 and logs["kl"] >= 0


def test_training_reduces_the_loss():
    model = compiled(configs.override(TINY, ["beta_warmup_steps=0"]), learning_rate=1e-2)
    x = data(64)
    before = model.evaluate(x, batch_size=64, verbose=0, return_dict=True)["loss"]
    model.fit(x, batch_size=16, epochs=10, verbose=0)
    after = model.evaluate(x, batch_size=64, verbose=0, return_dict=True)["loss"]
    assert after < 0.8 * before


def test_beta_anneals_linearly_from_zero():
    model = compiled(configs.override(TINY, ["beta=0.5", "beta_warmup_steps=4"]))
    assert float(model.current_beta()) == 0.0
    model.fit(data(32), batch_size=16, epochs=1, verbose=0)  # two optimizer steps
    assert float(model.current_beta()) == pytest.approx(0.25)
    model.optimizer.iterations.assign(100)
    assert float(model.current_beta()) == pytest.approx(0.5)


def test_free_bits_make_small_kl_free():
    x = data(8)
    free = configs.override(TINY, ["free_bits=1e6", "beta_warmup_steps=0"]).build_model()
    terms = free.loss_terms(tf.constant(x), training=False).terms
    np.testing.assert_allclose(terms["loss"], terms["recon"], rtol=1e-5)
    assert float(np.min(terms["kl"])) > 0


def test_gaussian_kl_is_zero_at_the_prior():
    assert float(np.sum(gaussian_kl(np.zeros((1, 4)), np.zeros((1, 4))))) == 0.0
    assert float(gaussian_kl(np.ones((1, 1)), np.zeros((1, 1)))[0, 0]) == pytest.approx(0.5)


def test_pos_weight_weighs_active_cells():
    model = configs.override(TINY, ["pos_weight=3"]).build_model()
    x = tf.constant(data(4))
    logits = tf.zeros_like(x)
    terms = model.decoder.reconstruction_loss(x, logits)
    # At p = 0.5 every cell costs log 2; active cells cost 3x in "recon", 1x in "nll".
    active = tf.reduce_sum(x, axis=(1, 2)).numpy()
    np.testing.assert_allclose(terms["nll"].numpy(), 32 * 36 * np.log(2), rtol=1e-5)
    np.testing.assert_allclose(terms["recon"].numpy(), (32 * 36 + 2 * active) * np.log(2), rtol=1e-5)


def test_note_score_counts_over_batches():
    f1, precision, recall = NoteScore("f1"), NoteScore("precision"), NoteScore("recall")
    for y, p in [([1, 1, 0, 0], [0.9, 0.2, 0.8, 0.1]), ([1, 0], [0.7, 0.1])]:
        for m in (f1, precision, recall):
            m.update_state(np.array(y, np.float32), np.array(p, np.float32))
    # tp = 2, fp = 1, fn = 1.
    assert float(precision.result()) == pytest.approx(2 / 3)
    assert float(recall.result()) == pytest.approx(2 / 3)
    assert float(f1.result()) == pytest.approx(2 / 3)


def test_roll_scores_keep_frames_and_onsets_apart():
    # [1 segment, 1 step, 2 pitches frames + 2 pitches onsets]: frames both right, onsets one missed.
    y = np.array([[[1, 1, 1, 1]]], np.float32)
    p = np.array([[[0.9, 0.8, 0.9, 0.1]]], np.float32)
    scores = {m.name: m for m in roll_scores(pitch_groups=2)}
    assert sorted(scores) == ["f1", "onset_f1", "precision", "recall"]
    for m in scores.values():
        m.update_state(y, p)
    assert float(scores["f1"].result()) == pytest.approx(1.0)  # the onset miss does not leak in
    assert float(scores["recall"].result()) == pytest.approx(1.0)
    assert float(scores["onset_f1"].result()) == pytest.approx(2 / 3)  # tp 1, fn 1
    assert [m.name for m in roll_scores()] == ["precision", "recall", "f1"]


def test_generate_is_free_running_and_binary():
    model = TINY.build_model()
    z = np.random.default_rng(0).standard_normal((3, 8)).astype(np.float32)
    probs, roll = model.decoder.generate(z)
    assert probs.shape == (3, 32, 36) and roll.shape == (3, 32, 36)
    assert set(np.unique(roll.numpy())) <= {0.0, 1.0}
    np.testing.assert_array_equal(roll.numpy(), (probs.numpy() > 0.5).astype(np.float32))
    noise = np.random.default_rng(1).random((3, 32, 36)).astype(np.float32)
    _, sampled = model.decoder.generate(z, noise=noise, temperature=1.0)
    assert sampled.numpy().sum() > 0


def test_keras_file_round_trip_gives_identical_outputs(tmp_path):
    model = compiled()
    x = data(16)
    model.fit(x, batch_size=8, epochs=1, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    np.testing.assert_array_equal(model.decoder.generate(np.ones((2, 8), np.float32))[0],
                                  loaded.decoder.generate(np.ones((2, 8), np.float32))[0])
    assert loaded.beta_warmup_steps == model.beta_warmup_steps


def test_scheduled_sampling_feeds_the_decoders_own_greedy_guesses():
    model = configs.override(TINY, ["scheduled_sampling=1.0", "dropout=0.0"]).build_model()
    decoder, x = model.decoder, tf.constant(data(4))
    z = tf.random.normal((4, TINY.model.latent_dim), seed=1)
    guess = tf.cast(decoder._logits(z, decoder._shift(x), False) > 0, tf.float32)
    expected = decoder._logits(z, decoder._shift(guess), False)
    np.testing.assert_allclose(decoder(z, x, training=True), expected, atol=1e-5)
    # At inference the data is fed back, as without scheduled sampling.
    np.testing.assert_allclose(decoder(z, x, training=False), decoder._logits(z, decoder._shift(x), False),
                               atol=1e-6)
    assert keras.layers.deserialize(keras.layers.serialize(decoder)).scheduled_sampling == 1.0


def test_sampling_takes_the_pos_weight_offset_off_the_logits():
    # Weighted BCE trains logits to log(pos_weight) + log-odds; samples must use the log-odds.
    model = configs.override(TINY, [f"pos_weight={np.e ** 2}"]).build_model()
    decoder = model.decoder
    z = tf.random.normal((64, TINY.model.latent_dim), seed=2)
    noise = tf.random.uniform((64, 32, 36), seed=3)
    first = decoder._logits(z, tf.zeros((64, 32, 36)), False)[:, 0]  # step 0 sees no history
    _, roll = decoder.generate(z, noise=noise)
    np.testing.assert_array_equal(roll[:, 0], tf.cast(tf.sigmoid(first - 2.0) > noise[:, 0], tf.float32))
    _, greedy = decoder.generate(z)  # greedy keeps the trained threshold (logit > 0)
    np.testing.assert_array_equal(greedy[:, 0], tf.cast(first > 0, tf.float32))


def test_an_inputless_decoder_reads_every_step_from_z_and_runs_free_as_teacher_forced():
    z = tf.random.normal((4, TINY.model.latent_dim), seed=2)
    x, other = tf.constant(data(4)), tf.constant(data(4, seed=5))
    for output in ("bernoulli", "melody"):
        model = configs.override(TINY, ["input_dropout=1.0", "dropout=0.0", f"model.output={output}"]).build_model()
        decoder = model.decoder
        assert decoder.inputless
        # The previous steps are never seen, in training or not: any roll gives the same outputs.
        np.testing.assert_allclose(decoder(z, x, training=True), decoder(z, other, training=False), atol=1e-6)
        # Running free is then decoding every step greedily from z alone.
        _, roll = decoder.generate(z)
        np.testing.assert_array_equal(roll.numpy(), decoder.greedy(decoder(z, x)).numpy())
    model = configs.override(TINY, ["input_dropout=0.5", "dropout=0.0"]).build_model()
    assert not model.decoder.inputless
    assert not np.allclose(model.decoder(z, x), model.decoder(z, other))
    with pytest.raises(UsageError, match="input_dropout"):
        configs.override(TINY, ["input_dropout=1.5"]).build_model()


def test_an_inputless_hierarchical_decoder_trains_and_runs_free_as_teacher_forced():
    config = configs.override(configs.get("hier_vae-tiny"), ["model.input_dropout=1.0", "model.dropout=0.0"])
    model = config.build_model()
    model.compile(optimizer=config.train.build_optimizer())
    x = (np.random.default_rng(0).random((4,) + config.representation.shape) < 0.1).astype(np.float32)
    assert np.isfinite(model.train_on_batch(x, return_dict=True)["loss"])
    z = tf.random.normal((4, config.model.latent_dim), seed=3)
    assert model.decoder.inputless and not configs.get("hier_vae-tiny").build_model().decoder.inputless
    _, roll = model.decoder.generate(z)
    np.testing.assert_array_equal(roll.numpy(), model.decoder.greedy(model.decoder(z, x)).numpy())
