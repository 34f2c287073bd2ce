"""A NADE output layer: the joint distribution of the binary channels of one piano-roll step,
given a context vector (a decoder's state), as in RNN-NADE (Boulanger-Lewandowski et al. 2012)
and MusicVAE's multi-label RNN-NADE decoder.

With independent Bernoulli outputs the notes of a chord are drawn without knowing each other;
a NADE (Larochelle & Murray 2011) factorises the step as a chain over its channels, lowest
first, so every channel is drawn knowing the ones below it::

    p(x | h) = prod_i p(x_i | x_<i, h)
    p(x_i = 1 | x_<i, h) = sigmoid(b_i(h) + V[:, i] . sigmoid(c(h) + sum_{j<i} W[j] x_j))

b(h) [channels] and c(h) [hidden] are Dense layers of the context; W [channels, hidden] and
V [hidden, channels] are shared. For a roll with onsets the channels are the frames and then the
onsets, so whether a pitch starts is drawn knowing every pitch that sounds.

Training scores every channel at once (``call``: the conditional logits given the true x_<i, one
matmul with a strictly lower-triangular mask in place of the running sum); the negative
log-likelihood of the step is then the Bernoulli NLL of x under those logits, exactly.
Sampling (``sample``) runs channel by channel inside the graph (a ``tf.scan``), so it exports in a
SavedModel.
"""

import keras
import tensorflow as tf
from keras import ops

from mguv.models.melody import MelodyOutput
from mguv.models.sampling import MIN_TEMPERATURE

OUTPUTS = ("bernoulli", "nade", "melody")


def output_layer(output, num_channels, nade_units, pitch_groups=1):
    """The output of a step-wise decoder: independent logits (a Dense layer named "logits") for
    "bernoulli", a ``Nade`` for "nade", one class per step (``mguv.models.melody.MelodyOutput``)
    for "melody"; a ValueError for anything else."""
    if output not in OUTPUTS:
        raise ValueError(f"output {output!r}: choose one of {', '.join(OUTPUTS)}")
    if output == "nade":
        return Nade(num_channels, nade_units, name="nade")
    if output == "melody":
        return MelodyOutput(num_channels, pitch_groups, name="melody")
    return keras.layers.Dense(num_channels, name="logits")


@keras.saving.register_keras_serializable(package="mguv")
class Nade(keras.layers.Layer):
    """NADE over ``num_channels`` binary values conditioned on a context [..., context_dim].

    Args:
      num_channels: binary values per step (pitches, or 2 * pitches with onsets).
      hidden_units: the NADE's hidden layer (128 in MusicVAE).
    """

    def __init__(self, num_channels, hidden_units=128, **kwargs):
        super().__init__(**kwargs)
        self.num_channels, self.hidden_units = int(num_channels), int(hidden_units)
        self.visible_bias = keras.layers.Dense(self.num_channels, name="visible_bias")
        self.hidden_bias = keras.layers.Dense(self.hidden_units, name="hidden_bias")

    def build(self, context_shape):
        self.visible_bias.build(context_shape)
        self.hidden_bias.build(context_shape)
        self.w_in = self.add_weight(shape=(self.num_channels, self.hidden_units), name="w_in",
                                    initializer="glorot_uniform")
        self.w_out = self.add_weight(shape=(self.hidden_units, self.num_channels), name="w_out",
                                     initializer="glorot_uniform")
        self.built = True

    def compute_output_shape(self, context_shape, x_shape=None):
        return tuple(context_shape[:-1]) + (self.num_channels,)

    def call(self, context, x):
        """The conditional logits of every channel given the channels below it in x.

        Args:
          context: float32 [..., context_dim].
          x: the values whose conditionals are scored, [..., num_channels] in {0, 1}.

        Returns:
          logits [..., num_channels]: logit i is log-odds of x_i = 1 given x_<i and the context;
          ``mguv.models.losses.bernoulli_nll(x, logits)`` is then -log p(x | context) in nats.
        """
        n, hidden = self.num_channels, self.hidden_units
        flat_x = ops.reshape(ops.cast(x, self.w_in.dtype), (-1, n))
        # a[:, i] = c + sum_{j < i} x_j W[j]: one matmul with W spread over a strictly lower mask.
        below = ops.cast(ops.arange(n)[:, None] < ops.arange(n)[None, :], self.w_in.dtype)  # [j, i]
        spread = ops.reshape(below[:, :, None] * self.w_in[:, None, :], (n, n * hidden))
        a = ops.reshape(ops.matmul(flat_x, spread), (-1, n, hidden))
        c = ops.reshape(self.hidden_bias(context), (-1, 1, hidden))
        h = ops.sigmoid(a + c)                                                     # [N, i, hidden]
        logits = ops.sum(h * ops.transpose(self.w_out)[None], axis=-1)             # [N, i]
        logits = logits + ops.reshape(self.visible_bias(context), (-1, n))
        return ops.reshape(logits, ops.shape(x))

    def sample(self, context, noise=None, temperature=1.0, offset=0.0):
        """Draws one step channel by channel, inside the graph.

        Args:
          context: float32 [batch, context_dim].
          noise: uniform [0, 1) draws [batch, num_channels], one per channel; None takes the mode
            of every conditional (a channel is on when its probability > 0.5).
          temperature: scalar; each conditional logit is divided by it (<= 0 is the mode, as None).
          offset: subtracted from every conditional logit before drawing (log pos_weight for a
            model trained with a weighted cross-entropy, so that samples follow the data).

        Returns:
          (probs, x): the conditional probabilities p(x_i = 1 | drawn x_<i, context) [batch,
          num_channels], and the drawn step [batch, num_channels] in {0, 1}.
        """
        context = tf.convert_to_tensor(context, tf.float32)
        temperature = tf.cast(temperature, tf.float32)
        b = self.visible_bias(context)                                             # [batch, n]
        a0 = self.hidden_bias(context)                                             # [batch, hidden]
        if noise is None:
            threshold = tf.fill(tf.shape(b), 0.5)
        else:
            threshold = tf.where(temperature > 0, tf.cast(noise, tf.float32), tf.fill(tf.shape(b), 0.5))
        scale = tf.maximum(temperature, MIN_TEMPERATURE)

        def channel(carry, elems):
            a, _, _ = carry
            w_in, w_out, b_i, threshold_i = elems                                 # [h], [h], [batch], [batch]
            logit = b_i + tf.linalg.matvec(tf.sigmoid(a), w_out)
            p = tf.sigmoid(logit)
            on = tf.cast(tf.sigmoid((logit - offset) / scale) > threshold_i, tf.float32)
            return a + on[:, None] * w_in[None], p, on

        zeros = tf.zeros_like(b[:, 0])
        _, probs, drawn = tf.scan(channel, (tf.convert_to_tensor(self.w_in), tf.transpose(self.w_out),
                                            tf.transpose(b), tf.transpose(threshold)),
                                  initializer=(a0, zeros, zeros))
        return tf.transpose(probs), tf.transpose(drawn)

    def get_config(self):
        return {**super().get_config(), "num_channels": self.num_channels, "hidden_units": self.hidden_units}
