"""The plain references that ``benchmarks/perf.py`` measures mguv against.

- ``plain_lstm_vae`` / ``plain_conv_vae``: the default configs' architectures written the plain Keras
  way, as functional ``keras.Model``s trained with the standard ``compile()``/``fit()`` on numpy
  arrays (no custom ``train_step``, no XLA, no tf.data pipeline). Their layers, sizes, loss and
  optimizer are those of mguv's model; ``copy_weights`` maps every weight between the two by name,
  which also checks that the architectures are the same.
- ``naive_prefix_generate``: free-running decoding the naive way, by re-running the teacher-forced
  decoder over the whole sequence once per generated step.

The step-at-a-time Python loop needs no code here: it is ``LstmDecoder.generate`` run eagerly, where
its Python for-loop calls the decoder's cells from Python once per step.
"""

import math
import re

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from mguv.models.audio_losses import masked_laplace_nll, padding_mask, spectral_loss
from mguv.models.losses import gaussian_kl


class Reparameterize(keras.layers.Layer):
    """params [..., 2 * latent] -> (z, mean, logvar), the keras-io ``Sampling`` layer plus the
    posterior split; logvar is clipped to [-12, 8] as in ``mguv.models.vae.VAE.encode``."""

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, params, training=False):
        mean, logvar = ops.split(params, 2, axis=-1)
        logvar = ops.clip(logvar, -12.0, 8.0)
        if not training:
            return mean, mean, logvar
        eps = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return mean + ops.exp(0.5 * logvar) * eps, mean, logvar


def _kl_per_example(mean, logvar):
    kl = gaussian_kl(mean, logvar)
    return ops.sum(kl, axis=tuple(range(1, len(kl.shape))))


class BetaWarmup(keras.callbacks.Callback):
    """Sets ``beta`` (a keras.Variable read by the KL loss) to beta * min(1, step / warmup) before
    each step: the KL annealing of ``VAE.current_beta``, done the plain way."""

    def __init__(self, beta_variable, beta, warmup_steps):
        super().__init__()
        self.variable, self.beta, self.warmup = beta_variable, float(beta), int(warmup_steps)

    def on_train_batch_begin(self, batch, logs=None):
        step = int(self.model.optimizer.iterations.numpy())
        self.variable.assign(self.beta * (min(1.0, step / self.warmup) if self.warmup > 0 else 1.0))


def plain_lstm_vae(config):
    """The ``lstm_vae`` architecture as a functional model.

    Returns (model, beta, targets): the uncompiled model mapping x [batch, steps, pitches] to
    {"logits": [batch, steps, pitches], "kl": [batch]}; the keras.Variable holding the KL weight
    (drive it with ``BetaWarmup``); and ``targets(x)``, the y that ``fit`` needs for x. Compile it
    with ``loss=lstm_losses(config, beta)``.
    """
    rep, m = config.representation, config.model
    x = keras.Input(rep.shape, name="x")
    _, forward_h, _, backward_h, _ = keras.layers.Bidirectional(
        keras.layers.LSTM(m.encoder_units, dropout=m.dropout, return_state=True),
        name="encoder__bilstm_0")(x)
    if m.encoder_layers != 1:
        raise ValueError("the plain reference covers the default single encoder layer")
    features = keras.layers.Concatenate()([forward_h, backward_h])
    params = keras.layers.Dense(2 * m.latent_dim, name="posterior")(features)
    z, mean, logvar = Reparameterize(seed=config.train.seed, name="sampling")(params)
    kl = _kl_per_example(mean, logvar)
    init = keras.layers.Dense(2 * m.decoder_units * m.decoder_layers, activation="tanh",
                              name="decoder__init_state")(z)
    states = ops.split(init, 2 * m.decoder_layers, axis=-1)
    prev = ops.pad(x[:, :-1], [[0, 0], [1, 0], [0, 0]])  # the roll one step behind, zeros at t=0
    z_seq = ops.repeat(ops.expand_dims(z, 1), rep.segment_steps, axis=1)
    h = keras.layers.Concatenate()([prev, z_seq])
    for i in range(m.decoder_layers):
        h = keras.layers.LSTM(m.decoder_units, dropout=m.dropout, return_sequences=True,
                              name=f"decoder__lstm_{i}")(h, initial_state=[states[2 * i], states[2 * i + 1]])
    logits = keras.layers.Dense(rep.num_pitches, name="decoder__logits")(h)
    model = keras.Model(x, {"logits": logits, "kl": kl}, name="plain_lstm_vae")
    beta = keras.Variable(0.0, trainable=False, name="beta")
    return model, beta, lambda data: {"logits": data, "kl": np.zeros(len(data), np.float32)}


def lstm_losses(config, beta):
    """The ``lstm_vae`` loss as compile() losses: weighted BCE summed over cells, plus beta * KL."""
    pos_weight = config.train.pos_weight

    def recon(x, logits):
        return ops.sum(pos_weight * x * ops.softplus(-logits) + (1.0 - x) * ops.softplus(logits), axis=(1, 2))

    def kl(_, value):
        return beta * value

    return {"logits": recon, "kl": kl}


def _conv(filters, kernel, name, strides=1):
    return keras.layers.Conv1D(filters, kernel, strides=strides, padding="same", name=name)


def _residual(h, width, prefix):
    """``mguv.models.conv_vae._blocks`` inline: two kernel-3 residual blocks, no norm, no final ReLU."""
    for k in (0, 1):
        r = ops.leaky_relu(_conv(width, 3, f"{prefix}_{k}__conv1")(h), 0.4)
        r = ops.leaky_relu(_conv(width, 3, f"{prefix}_{k}__conv2")(r), 0.4)
        h = keras.layers.Add()([h, r])
    return h


class LaplaceStftLoss(keras.layers.Layer):
    """(x, mean) -> per-example reconstruction term [batch]: Laplace NLL with a learned global
    log-scale plus ``stft_weight`` x the spectral term, over the valid part (``ConvDecoder``'s loss)."""

    def __init__(self, stft_weight, **kwargs):
        super().__init__(**kwargs)
        self.stft_weight = float(stft_weight)
        self.log_scale = self.add_weight(shape=(), initializer=keras.initializers.Constant(math.log(0.1)),
                                         name="log_scale")

    def call(self, x, mean):
        mask = padding_mask(x)
        nll = masked_laplace_nll(x, mean, ops.maximum(self.log_scale, math.log(1e-3)), mask)
        return nll + self.stft_weight * spectral_loss(x, mean, mask)


def plain_conv_vae(config):
    """The ``conv_vae`` architecture as a functional model: x [batch, samples, 1] ->
    {"recon": [batch], "kl": [batch]}. Same return values as ``plain_lstm_vae``; compile with
    ``loss=conv_losses(beta)``."""
    rep, m = config.representation, config.model
    hop = math.prod(m.strides)
    padded = int(math.ceil(rep.clip_samples / hop) * hop)
    x = keras.Input(rep.shape, name="x")
    widths = (m.channels[0] // 2,) + tuple(m.channels)
    h = ops.pad(x, [[0, 0], [0, padded - rep.clip_samples], [0, 0]])
    h = _conv(widths[0], 7, "encoder__stem")(h)
    for i, width in enumerate(widths):
        if i > 0:
            s = m.strides[i - 1]
            h = ops.leaky_relu(_conv(width, 2 * s, f"encoder__down{i}", strides=s)(h), 0.2)
        h = _residual(h, width, f"encoder__level{i}")
    h = _conv(m.features, 3, "encoder__head")(h)
    params = keras.layers.Dense(2 * m.latent_dim, name="posterior")(h)
    z, mean, logvar = Reparameterize(seed=config.train.seed, name="sampling")(params)
    kl = _kl_per_example(mean, logvar)
    widths, strides = widths[::-1], tuple(m.strides)[::-1]
    h = _conv(widths[0], 3, "decoder__stem")(z)
    for i, width in enumerate(widths):
        if i > 0:
            s = strides[i - 1]
            if m.upsample == "transposed":
                h = keras.layers.Conv1DTranspose(width, 2 * s, strides=s, padding="same", name=f"decoder__up{i}")(h)
            else:  # "nearest" or "linear": repeat (then average over the stride), then convolve
                h = keras.layers.UpSampling1D(s)(h)
                if m.upsample == "linear":
                    h = keras.layers.AveragePooling1D(s, strides=1, padding="same")(h)
                h = _conv(width, 2 * s + 1, f"decoder__up{i}")(h)
            h = ops.leaky_relu(h, 0.2)
        h = _residual(h, width, f"decoder__level{i}")
    wave = ops.tanh(_conv(1, 7, "decoder__out")(h)[:, :rep.clip_samples])
    recon = LaplaceStftLoss(m.stft_weight, name="decoder")(x, wave)
    model = keras.Model(x, {"recon": recon, "kl": kl}, name="plain_conv_vae")
    beta = keras.Variable(0.0, trainable=False, name="beta")
    zeros = lambda data: np.zeros(len(data), np.float32)  # noqa: E731
    return model, beta, lambda data: {"recon": zeros(data), "kl": zeros(data)}


def conv_losses(beta):
    """The ``conv_vae`` loss as compile() losses: the model's reconstruction term, plus beta * KL."""
    return {"recon": lambda _, value: value, "kl": lambda _, value: beta * value}


def _canonical(path, mguv_root):
    """A weight path both models share: "encoder/bilstm_0/forward/lstm_cell/kernel".

    mguv paths start with the model's name (``mguv_root``), except those of weights a part makes in
    its ``__init__`` ("decoder/log_scale"); the plain model's "encoder__stem" layers stand for
    "encoder/stem"."""
    if mguv_root is None:
        parts = path.replace("__", "/").split("/")
    else:
        parts = path.split("/")
        parts = parts[1:] if parts[0] == mguv_root else parts
    return "/".join(re.sub(r"^(forward|backward)_.*", r"\1", p) for p in parts)


def copy_weights(source, target, source_is_mguv):
    """Copies every trainable weight of ``source`` to ``target`` (an mguv VAE and its plain twin,
    in either direction), matched by layer name.

    Raises:
      ValueError: the two do not have the same weights (names and shapes): not the same architecture.
    """
    mguv = source if source_is_mguv else target

    def weights(model):  # an mguv model's stage one only (not a prior fitted after it)
        return model.optimized_weights if model is mguv else model.trainable_weights

    src = {_canonical(w.path, mguv.name if source_is_mguv else None): w for w in weights(source)}
    dst = {_canonical(w.path, None if source_is_mguv else mguv.name): w for w in weights(target)}
    if set(src) != set(dst):
        raise ValueError(f"different weights: only in source {sorted(set(src) - set(dst))}, "
                         f"only in target {sorted(set(dst) - set(src))}")
    for name, w in dst.items():
        if tuple(w.shape) != tuple(src[name].shape):
            raise ValueError(f"{name}: shape {tuple(src[name].shape)} vs {tuple(w.shape)}")
        w.assign(src[name].value)
    return len(dst)


def naive_prefix_generate(decoder, z):
    """Greedy free-running decoding by calling the teacher-forced decoder once per step on the roll
    generated so far (eager). Same output as ``decoder.generate(z)``, at ``steps`` times its FLOPs.

    z [batch, latent] -> roll [batch, steps, pitches] in {0, 1}.
    """
    z = tf.convert_to_tensor(z, tf.float32)
    roll = np.zeros((z.shape[0], decoder.steps, decoder.num_pitches), np.float32)
    for t in range(decoder.steps):
        logits = decoder(z, tf.constant(roll), training=False)
        roll[:, t] = (tf.sigmoid(logits[:, t]).numpy() > 0.5)
    return roll
