"""MusicVAE's hierarchical decoder as a decoder part of the one VAE base (family ``hier_vae``).

A conductor LSTM turns z into U embeddings, one per subsequence (8 subsequences of 4 steps for a
32-step segment by default). A lower decoder decodes each subsequence from its own embedding
only: the embedding is its "z", which for ``mguv.models.lstm_vae.LstmDecoder`` means the initial
state of every layer and an input concatenated to every step. Its state starts afresh in every
subsequence, so the lower decoder cannot carry a phrase along by itself and has to follow the
conductor, which is what keeps MusicVAE's long sequences from ignoring z. The first input of a
subsequence is zeros by default; with ``carry_last_step`` it is the last step of the one before (the
data in training, the decoder's own output when running free), as in MusicVAE, so a note tied over
a bar line and the interval into a bar's first note can be seen; the subsequences then run one
after the other when free-running.

``HierarchicalDecoder`` wraps that lower decoder (any decoder part whose ``steps`` is one
subsequence) instead of being a second model class; the subsequences run as one batch (one after
the other when free-running with ``carry_last_step``).
``HierarchicalEncoder`` is the matching encoder part (MusicVAE's for its 16-bar trios): a biLSTM per
subsequence, then one over their summaries, so no step is more than a bar and U summaries away from
z, where a flat biLSTM's final states must carry the first bar of a 256-step piece through 256 steps.
"""

import keras
from keras import ops

from mguv.models.lstm_vae import BiLstmEncoder


@keras.saving.register_keras_serializable(package="mguv")
class HierarchicalEncoder(keras.layers.Layer):
    """x [batch, steps, channels] -> features [batch, 2 * units]: a biLSTM reads each of the U
    subsequences (the bars) alone, a second biLSTM reads the U summaries [batch, U, 2 * units], and
    its final forward and backward states are the features.

    Args:
      units: LSTM units per direction, at both levels.
      num_subsequences: U; must divide the steps.
      dropout: input dropout of each LSTM.
    """

    def __init__(self, units=256, num_subsequences=16, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.num_subsequences, self.dropout = int(units), int(num_subsequences), float(dropout)
        self.bars = BiLstmEncoder(self.units, 1, self.dropout, name="bars")
        self.piece = BiLstmEncoder(self.units, 1, self.dropout, name="piece")

    def build(self, input_shape):
        self.bars.build((None, input_shape[1] // self.num_subsequences, input_shape[-1]))
        self.piece.build((None, self.num_subsequences, 2 * self.units))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 2 * self.units)

    def call(self, x, training=False):
        sub = x.shape[1] // self.num_subsequences
        summaries = self.bars(ops.reshape(x, (-1, sub, x.shape[-1])), training=training)     # [batch * U, 2u]
        return self.piece(ops.reshape(summaries, (-1, self.num_subsequences, 2 * self.units)), training=training)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "num_subsequences": self.num_subsequences,
                "dropout": self.dropout}


@keras.saving.register_keras_serializable(package="mguv")
class Conductor(keras.layers.Layer):
    """z [batch, latent] -> U embeddings [batch, U, units].

    z sets the initial (h, c) of every layer through a tanh Dense; the input is zeros, as in
    MusicVAE, so everything the embeddings carry comes from z.
    """

    def __init__(self, num_subsequences=8, units=256, num_layers=2, **kwargs):
        super().__init__(**kwargs)
        self.num_subsequences, self.units, self.num_layers = int(num_subsequences), int(units), int(num_layers)
        self.init_state = keras.layers.Dense(2 * self.units * self.num_layers, activation="tanh",
                                             name="init_state")
        self.rnns = [keras.layers.LSTM(self.units, return_sequences=True, name=f"lstm_{i}")
                     for i in range(self.num_layers)]

    def build(self, z_shape):
        self.init_state.build(z_shape)
        shape = (z_shape[0], self.num_subsequences, 1)
        for rnn in self.rnns:
            rnn.build(shape)
            shape = (z_shape[0], self.num_subsequences, self.units)

    def compute_output_shape(self, z_shape):
        return (z_shape[0], self.num_subsequences, self.units)

    def call(self, z, training=False):
        parts = ops.split(self.init_state(z), 2 * self.num_layers, axis=-1)
        h = ops.zeros((ops.shape(z)[0], self.num_subsequences, 1), z.dtype)
        for i, rnn in enumerate(self.rnns):
            h = rnn(h, initial_state=[parts[2 * i], parts[2 * i + 1]], training=training)
        return h

    def get_config(self):
        return {**super().get_config(), "num_subsequences": self.num_subsequences, "units": self.units,
                "num_layers": self.num_layers}


@keras.saving.register_keras_serializable(package="mguv")
class HierarchicalDecoder(keras.layers.Layer):
    """A decoder part (see ``mguv.models.vae``) = a ``Conductor`` + a lower decoder per subsequence.

    Training: ``call(z, x)`` -> the lower decoder's outputs (logits) [batch, steps, pitches],
    teacher-forced inside each subsequence. Generation: ``generate(z, noise, temperature)`` ->
    (probs, roll) [batch, steps, pitches], every subsequence free-running from its embedding (and,
    with ``carry_last_step``, the last step drawn in the one before). The lower decoder takes a
    ``first`` input (``LstmDecoder`` does) only when the last step is carried.
    Losses, predictions and metrics are the lower decoder's, over the whole segment.

    Args:
      core: the lower decoder part; its ``steps`` must be steps / num_subsequences, and it takes the
        conductor's embeddings [batch * U, conductor_units] as its z.
      num_subsequences: U.
      conductor_units, conductor_layers: the conductor LSTM.
      carry_last_step: feed the last step of the subsequence before as each subsequence's first
        input (zeros for the first); False starts every subsequence from zeros.
    """

    def __init__(self, core, num_subsequences=8, conductor_units=256, conductor_layers=2, carry_last_step=False,
                 **kwargs):
        super().__init__(**kwargs)
        self.core = core
        self.carry_last_step = bool(carry_last_step)
        self.num_subsequences = int(num_subsequences)
        self.conductor_units, self.conductor_layers = int(conductor_units), int(conductor_layers)
        self.conductor = Conductor(self.num_subsequences, self.conductor_units, self.conductor_layers,
                                   name="conductor")
        self.extra_loss_terms = tuple(core.extra_loss_terms)

    @property
    def sub_steps(self):
        return self.core.steps

    def build(self, z_shape, x_shape):
        self.conductor.build(z_shape)
        if not self.core.built:
            self.core.build((None, self.conductor_units), (None, self.sub_steps, x_shape[-1]))

    def _embeddings(self, z, training=False):
        """z [batch, latent] -> one embedding per subsequence, flattened: [batch * U, units]."""
        return ops.reshape(self.conductor(z, training=training), (-1, self.conductor_units))

    def _split(self, x):
        """[batch, steps, ...] -> [batch * U, steps / U, ...]: subsequence u of example b is row b*U + u."""
        return ops.reshape(x, (-1, self.sub_steps) + tuple(x.shape[2:]))

    def _join(self, y):
        """[batch * U, steps / U, ...] -> [batch, steps, ...]."""
        return ops.reshape(y, (-1, self.num_subsequences * self.sub_steps) + tuple(y.shape[2:]))

    def _first_inputs(self, x):
        """x [batch, steps, pitches] -> each subsequence's first input [batch * U, pitches]: the last
        step of the one before, zeros for the first."""
        last = x[:, self.sub_steps - 1::self.sub_steps][:, :-1]                       # [batch, U - 1, pitches]
        return ops.reshape(ops.pad(last, [[0, 0], [1, 0], [0, 0]]), (-1, x.shape[-1]))

    def call(self, z, x, training=False):
        """z [batch, latent], x [batch, steps, pitches] -> outputs [batch, steps, pitches]."""
        embeddings, parts = self._embeddings(z, training), self._split(x)
        if self.carry_last_step:
            return self._join(self.core(embeddings, parts, training=training, first=self._first_inputs(x)))
        return self._join(self.core(embeddings, parts, training=training))

    @property
    def inputless(self):
        """True when the lower decoder never sees a previous step (``LstmDecoder.inputless``)."""
        return self.core.inputless

    def generate(self, z, noise=None, temperature=1.0):
        """Free-running decoding (see ``LstmDecoder.generate``): z [batch, latent], noise uniform
        [batch, steps, pitches] or None for greedy -> (probs, roll), each [batch, steps, pitches]."""
        z = ops.convert_to_tensor(z, "float32")
        if not self.carry_last_step:  # the subsequences are independent given z: one batch
            noise = None if noise is None else self._split(ops.convert_to_tensor(noise, "float32"))
            probs, roll = self.core.generate(self._embeddings(z), noise=noise, temperature=temperature)
            return self._join(probs), self._join(roll)
        embeddings = self.conductor(z)                                                # [batch, U, units]
        noise = None if noise is None else ops.convert_to_tensor(noise, "float32")
        probs, rolls, first = [], [], None
        for u in range(self.num_subsequences):
            steps = slice(u * self.sub_steps, (u + 1) * self.sub_steps)
            p, roll = self.core.generate(embeddings[:, u], noise=None if noise is None else noise[:, steps],
                                         temperature=temperature, first=first)
            probs.append(p)
            rolls.append(roll)
            first = roll[:, -1]
        return ops.concatenate(probs, axis=1), ops.concatenate(rolls, axis=1)

    def reconstruction_loss(self, x, outputs):
        return self.core.reconstruction_loss(x, outputs)

    def prediction(self, outputs):
        return self.core.prediction(outputs)

    def greedy(self, outputs):
        return self.core.greedy(outputs)

    def output_metrics(self):
        return self.core.output_metrics()

    def get_config(self):
        return {**super().get_config(), "core": keras.saving.serialize_keras_object(self.core),
                "num_subsequences": self.num_subsequences, "conductor_units": self.conductor_units,
                "conductor_layers": self.conductor_layers, "carry_last_step": self.carry_last_step}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["core"] = keras.saving.deserialize_keras_object(config["core"])
        return cls(**config)
