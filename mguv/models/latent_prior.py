"""An autoregressive Gaussian prior over latent sequences: stage two of a VAE whose latent is a
sequence (the audio VAE's frames), as ``CodePrior`` is the VQ-VAE's.

A sequence VAE is trained against N(0, I), but its posteriors end far from it (thousands of nats
of KL per clip) and nothing in N(0, I) says how one latent frame follows the last, so frames drawn
from it decode to static texture. After the VAE has trained, every training clip is encoded to its
posterior means, and ``LatentPrior`` learns p(z_t | z_<t) on them with ``fit()``
(``mguv.training.prior``); sampling draws a sequence frame by frame, which the decoder turns into
audio whose content changes over time.

A VAE whose latent is one vector (the LSTM-VAEs') has the same problem in one step: with a small
beta its posterior means fill only part of N(0, I), and draws from the rest decode to notes out of
key. The same model serves it by reading z [D] as D / latent_dim chunks of latent_dim values, an
autoregressive Gaussian over the chunks of z (``sample_latents``).
"""

import math

import keras
import tensorflow as tf
from keras import ops

from mguv.models.base import Losses, MusicModel


@keras.saving.register_keras_serializable(package="mguv")
class LatentPrior(MusicModel):
    """Dense -> stacked LSTMs -> (mean, log-variance) of the next frame, over z [batch, frames, dim].

    The input at frame t is z_(t-1) (zeros at t=0), so the outputs give p(z_t | z_<t), a diagonal
    Gaussian per frame. Metrics: ``loss`` and ``nll``, nats per sequence (the same number).

    Args:
      latent_dim: values per frame.
      units: input projection size and LSTM units.
      num_layers: stacked LSTMs.
      dropout: dropout after each LSTM (training only).
      seed: seeds dropout.
    """

    def __init__(self, latent_dim, units=128, num_layers=2, dropout=0.0, seed=None, **kwargs):
        super().__init__(loss_names=("loss", "nll"), **kwargs)
        self.latent_dim, self.units, self.num_layers = int(latent_dim), int(units), int(num_layers)
        self.dropout, self.seed = float(dropout), seed
        self.embed = keras.layers.Dense(self.units, name="embed")
        self.rnns = [keras.layers.LSTM(self.units, return_sequences=True, name=f"lstm_{i}")
                     for i in range(self.num_layers)]
        self.drop = keras.layers.Dropout(self.dropout, seed=seed)
        self.out = keras.layers.Dense(2 * self.latent_dim, name="gaussian")

    def build(self, input_shape):
        """input_shape: [batch, frames, latent_dim]."""
        self.call(ops.zeros((1, 2, self.latent_dim)))

    def _gaussian(self, params):
        mean, logvar = ops.split(params, 2, axis=-1)
        return mean, ops.clip(logvar, -14.0, 8.0)

    def call(self, z, training=False):
        """z [batch, frames, dim] -> (mean, logvar) of p(z_t | z_<t), each [batch, frames, dim].

        A latent vector z [batch, D] is read as [batch, D / dim, dim]; mean and logvar come back [batch, D].
        """
        z = ops.convert_to_tensor(z, "float32")
        if len(z.shape) == 2:
            mean, logvar = self.call(ops.reshape(z, (-1, z.shape[1] // self.latent_dim, self.latent_dim)), training)
            return ops.reshape(mean, (-1, z.shape[1])), ops.reshape(logvar, (-1, z.shape[1]))
        previous = ops.concatenate([ops.zeros_like(z[:, :1]), z[:, :-1]], axis=1)
        h = self.embed(previous)
        for rnn in self.rnns:
            h = self.drop(rnn(h, training=training), training=training)
        return self._gaussian(self.out(h))

    def nll(self, z, mean, logvar):
        """Gaussian negative log-likelihood of z per sequence, in nats: [batch]."""
        per_value = 0.5 * (math.log(2.0 * math.pi) + logvar + ops.square(z - mean) * ops.exp(-logvar))
        return ops.sum(ops.reshape(per_value, (ops.shape(z)[0], -1)), axis=-1)

    def loss_terms(self, z, training):
        """Exact NLL of each latent sequence [batch] in nats; no prediction to score."""
        z = ops.convert_to_tensor(z, "float32")
        nll = self.nll(z, *self(z, training=training))
        return Losses({"loss": nll, "nll": nll})

    def generate(self, num, frames, temperature=1.0, seed=(0, 0)):
        """Draws latent sequences in the graph: float32 [num, frames, dim].

        Frame t is mean_t + temperature * sigma_t * eps_t with eps ~ N(0, I) drawn statelessly
        from ``seed`` int32 [2] (the same seed gives the same sequences, in Keras and in a
        SavedModel); temperature 0 follows the means.
        """
        num = tf.cast(num, tf.int32)
        eps = tf.random.stateless_normal(tf.stack([frames, num, self.latent_dim]),
                                         tf.convert_to_tensor(seed, tf.int32))
        temperature = tf.cast(temperature, tf.float32)
        zeros = tf.zeros(tf.stack([num, self.units]))
        states = [[zeros, zeros] for _ in self.rnns]
        out = tf.TensorArray(tf.float32, size=frames)

        def step(t, previous, states, out):
            h, new_states = self.embed(previous), []
            for rnn, state in zip(self.rnns, states):
                h, state = rnn.cell(h, state, training=False)
                new_states.append(list(state))
            mean, logvar = self._gaussian(self.out(h))
            z = mean + temperature * tf.exp(0.5 * logvar) * eps[t]
            return t + 1, z, new_states, out.write(t, z)

        start = tf.zeros(tf.stack([num, self.latent_dim]))
        _, _, _, out = tf.while_loop(lambda t, *_: t < frames, step, (tf.constant(0), start, states, out))
        return tf.transpose(out.stack(), (1, 0, 2))

    def sample_latents(self, num, latent_shape, temperature=1.0, seed=(0, 0)):
        """``num`` draws of z [num, *latent_shape] (see ``generate``): a latent sequence [frames, dim]
        frame by frame, a latent vector [D] as D / dim chunks of dim values."""
        if len(latent_shape) == 2:
            return self.generate(num, latent_shape[0], temperature, seed)
        z = self.generate(num, latent_shape[0] // self.latent_dim, temperature, seed)
        return tf.reshape(z, [-1, latent_shape[0]])

    def get_config(self):
        return {**super().get_config(), "latent_dim": self.latent_dim, "units": self.units,
                "num_layers": self.num_layers, "dropout": self.dropout, "seed": self.seed}
