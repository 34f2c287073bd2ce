"""An autoregressive LSTM prior over sequences of discrete codes: stage two of the VQ-VAE.

After the VQ-VAE has trained, every training segment becomes a sequence of codebook indices;
``CodePrior`` learns p(code_t | codes before t) on them with ``fit()``, and sampling draws a code
sequence from it that the VQ-VAE then decodes.
"""

import keras
import tensorflow as tf
from keras import ops

from mguv.models.base import Losses, MusicModel
from mguv.models.sampling import categorical_step, step_seed


@keras.saving.register_keras_serializable(package="mguv")
class CodePrior(MusicModel):
    """Embedding -> stacked LSTMs -> code logits, over int32 code sequences [batch, length].

    The input at position t is the code at t-1 (a start token, index ``codebook_size``, at t=0).
    Metrics: ``loss`` and ``nll`` in nats per sequence (the same number), and next-code accuracy.

    Args:
      codebook_size: K, the number of codes.
      length: codes per sequence (patterns per segment).
      units: embedding size and LSTM units.
      num_layers: stacked LSTMs.
      dropout: dropout after each LSTM.
      top_k: sample among the k most likely codes (0 = all).
      seed: seeds dropout.
    """

    def __init__(self, codebook_size, length, units=256, num_layers=2, dropout=0.1, top_k=0, seed=None,
                 **kwargs):
        super().__init__(loss_names=("loss", "nll"),
                         output_metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")], **kwargs)
        self.codebook_size, self.length = int(codebook_size), int(length)
        self.units, self.num_layers, self.dropout = int(units), int(num_layers), float(dropout)
        self.top_k, self.seed = int(top_k), seed
        self.embed = keras.layers.Embedding(self.codebook_size + 1, self.units, name="embed")
        self.rnns = [keras.layers.LSTM(self.units, return_sequences=True, name=f"lstm_{i}")
                     for i in range(self.num_layers)]
        self.drop = keras.layers.Dropout(self.dropout, seed=seed)
        self.out = keras.layers.Dense(self.codebook_size, name="logits")

    def build(self, input_shape):
        """input_shape: [batch, length]."""
        self.call(ops.zeros((1,) + tuple(input_shape[1:]), "int32"))

    def call(self, codes, training=False):
        """codes int32 [batch, length] -> next-code logits [batch, length, codebook_size]."""
        codes = ops.cast(codes, "int32")
        start = ops.full((ops.shape(codes)[0], 1), self.codebook_size, "int32")
        h = self.embed(ops.concatenate([start, codes[:, :-1]], axis=1))
        for rnn in self.rnns:
            h = self.drop(rnn(h, training=training), training=training)
        return self.out(h)

    def nll(self, codes, logits):
        """Per-sequence negative log-likelihood in nats: [batch]."""
        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=ops.cast(codes, "int32"), logits=logits)
        return ops.sum(ce, axis=1)

    def loss_terms(self, codes, training):
        """Exact NLL of each code sequence [batch] in nats; the prediction is the logits."""
        logits = self(codes, training=training)
        nll = self.nll(codes, logits)
        return Losses({"loss": nll, "nll": nll}, logits)

    def generate(self, num, temperature=1.0, seed=(0, 0)):
        """Draws code sequences in the graph: int32 [num, length]. Temperature 0 is greedy."""
        seed = tf.convert_to_tensor(seed, tf.int32)
        states = [[tf.zeros(tf.stack([num, self.units]))] * 2 for _ in self.rnns]
        prev = tf.fill(tf.stack([num]), self.codebook_size)
        codes = []
        for t in range(self.length):
            h, new_states = self.embed(prev), []
            for rnn, state in zip(self.rnns, states):
                h, state = rnn.cell(h, state, training=False)
                new_states.append(state)
            states = new_states
            prev = categorical_step(self.out(h), temperature, step_seed(seed, t), self.top_k)
            codes.append(prev)
        return tf.stack(codes, axis=1)

    def get_config(self):
        return {**super().get_config(), "codebook_size": self.codebook_size, "length": self.length,
                "units": self.units, "num_layers": self.num_layers, "dropout": self.dropout,
                "top_k": self.top_k, "seed": self.seed}
