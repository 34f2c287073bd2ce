"""The attention LSTM of the Bach study (family ``lstm_attention``): two LSTM layers, attention
over a window of their outputs, and one output head per voice.

A step is split into voices, from the highest sounding note down (``voice_targets``): with the
default 4 voices that is soprano, alto, tenor and bass of a chorale. Each voice head predicts one
class per step, rest or one pitch, and the heads' choices combine into a multi-hot step. On rolls
with onsets a voice's pitch is either held or struck at that step (2 * pitches + 1 classes), so a
voice can strike the note it holds again.
"""

import keras
import tensorflow as tf
from keras import ops

from mguv.models.lstm import NextStepModel, shift_right
from mguv.models.melody import class_channels, strike_classes
from mguv.models.sampling import categorical_step


def voice_targets(x, num_voices):
    """Splits each step of a roll into voices.

    Voices 0 .. V-2 take the sounding notes from the highest down; voice V-1 (the bass) takes the
    lowest note whenever two or more sound. A lone note belongs to voice 0. Inner notes beyond V
    voices are dropped (the Bach chorales rarely have more than four).

    Args:
      x: {0, 1} [batch, steps, pitches].
      num_voices: V >= 2.

    Returns:
      int32 [batch, steps, V]: 0 for a rest, j + 1 for pitch column j.
    """
    pitches = x.shape[-1]
    on = x > 0.5
    count = tf.reduce_sum(tf.cast(on, tf.int32), axis=-1)                     # [b, s]
    column = tf.range(pitches, dtype=tf.int32)
    top = tf.math.top_k(tf.where(on, column + 1, 0), k=num_voices - 1)       # highest first
    upper_filled = tf.where(count >= 2, count - 1, count)
    voice = tf.range(num_voices - 1, dtype=tf.int32)
    upper = tf.where(voice < upper_filled[..., None], top.indices + 1, 0)
    lowest = tf.argmax(tf.where(on, pitches - column, 0), axis=-1, output_type=tf.int32)
    bass = tf.where(count >= 2, lowest + 1, 0)
    return tf.concat([upper, bass[..., None]], axis=-1)


def combine_voices(voice_probs, onsets=False):
    """Per-voice class probabilities [..., V, classes] -> the roll's probabilities.

    Binary: classes are rest + pitches, and P(pitch sounds) [..., pitches] is the chance that any
    voice plays it. With ``onsets``: classes are rest, pitches held (1..P), pitches struck
    (P+1..2P), and the result [..., 2P] is P(sounds, held or struck) then P(struck).
    """
    pitches = (voice_probs.shape[-1] - 1) // (2 if onsets else 1)
    return 1.0 - ops.prod(1.0 - class_channels(voice_probs, pitches, onsets), axis=-2)


def onset_voice_targets(x, num_voices, pitches):
    """``voice_targets`` of a roll with onsets x {0, 1} [batch, steps, 2 * pitches]: a voice's class
    is j + 1 while pitch column j is held and pitches + j + 1 on the step where it is struck."""
    return strike_classes(voice_targets(x[..., :pitches], num_voices), x, pitches)


@keras.saving.register_keras_serializable(package="mguv")
class VoiceHead(keras.layers.Layer):
    """One voice's output head: Dense -> ReLU -> dropout -> Dense, features [..., f] -> logits
    [..., classes] (any number of leading axes)."""

    def __init__(self, units, classes, dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.units, self.classes, self.dropout, self.seed = int(units), int(classes), float(dropout), seed
        self.hidden = keras.layers.Dense(self.units, name="hidden")
        self.drop = keras.layers.Dropout(self.dropout, seed=seed)
        self.out = keras.layers.Dense(self.classes, name="classes")

    def call(self, features, training=False):
        return self.out(self.drop(ops.relu(self.hidden(features)), training=training))

    def get_config(self):
        return {**super().get_config(), "units": self.units, "classes": self.classes,
                "dropout": self.dropout, "seed": self.seed}


@keras.saving.register_keras_serializable(package="mguv")
class AttentionLstm(NextStepModel):
    """LSTMs, multi-head attention over the last ``window`` LSTM outputs, and voice heads.

    Every position attends to the outputs of itself and the ``window - 1`` steps before it (a
    banded causal mask), in training and in generation alike, so ``window`` is the attention span
    the model is trained on. Each voice head is Dense -> ReLU -> dropout -> Dense over [LSTM output,
    attention output] to rest + pitch logits. The loss is the summed cross-entropy of every voice.

    Sampling draws every voice at the temperature; ``top_k`` > 0 keeps each voice to its k most
    likely classes (rest included).

    Args:
      units: LSTM units per layer.
      num_layers: stacked LSTMs (2).
      num_heads: attention heads.
      window: attention span in steps.
      num_voices: output heads (4: soprano, alto, tenor, bass).
      head_units: hidden units of each head.
      dropout: dropout after each LSTM and inside each head.
      onsets: the rolls have onset channels ([steps, 2 * num_pitches]; see the module docstring).
      (steps, num_pitches, top_k, seed: see ``NextStepModel``; num_pitches counts pitches, not the
      onset channels.)
    """

    # Its NLL is over the voices, not the roll: a step with more notes than voices has none.
    exact_likelihood = False

    def __init__(self, steps, num_pitches, units=256, num_layers=2, num_heads=4, window=16, num_voices=4,
                 head_units=128, dropout=0.3, top_k=0, seed=None, onsets=False, **kwargs):
        kwargs.pop("pitch_groups", None)  # saved by the base's config; it follows from onsets
        super().__init__(steps, num_pitches * (2 if onsets else 1), top_k=top_k, seed=seed,
                         pitch_groups=2 if onsets else 1, **kwargs)
        self.pitches, self.onsets = int(num_pitches), bool(onsets)
        if num_voices < 2:
            raise ValueError("num_voices must be at least 2 (a melody and a bass)")
        self.units, self.num_layers, self.num_heads = int(units), int(num_layers), int(num_heads)
        self.window, self.num_voices = int(window), int(num_voices)
        self.head_units, self.dropout = int(head_units), float(dropout)
        self.rnns = [keras.layers.LSTM(self.units, return_sequences=True, name=f"lstm_{i}")
                     for i in range(self.num_layers)]
        self.drop = keras.layers.Dropout(self.dropout, seed=seed)
        self.attention = keras.layers.MultiHeadAttention(
            self.num_heads, key_dim=max(self.units // self.num_heads, 1), name="attention")
        self.classes = self.pitches * (2 if self.onsets else 1) + 1
        self.heads = [VoiceHead(self.head_units, self.classes, self.dropout, seed=seed,
                                name=f"voice_{v}") for v in range(self.num_voices)]

    def _head_logits(self, features, training):
        """features [..., 2 * units] -> logits [..., V, classes]."""
        return ops.stack([head(features, training=training) for head in self.heads], axis=-2)

    def teacher_outputs(self, x, training=False):
        """x [batch, steps, channels] -> voice logits [batch, steps, V, classes]."""
        h = shift_right(x)
        for rnn in self.rnns:
            h = self.drop(rnn(h, training=training), training=training)
        steps = ops.shape(h)[1]
        i = ops.arange(steps)[:, None]
        j = ops.arange(steps)[None, :]
        band = ops.logical_and(j <= i, j > i - self.window)
        mask = ops.broadcast_to(band[None], (ops.shape(h)[0], steps, steps))
        attended = self.attention(h, h, attention_mask=mask, training=training)
        return self._head_logits(ops.concatenate([h, attended], axis=-1), training)

    def nll(self, x, logits):
        """Summed cross-entropy of the voice decomposition, nats per segment [batch]."""
        targets = (onset_voice_targets(x, self.num_voices, self.pitches) if self.onsets
                   else voice_targets(x, self.num_voices))
        ce = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=logits)
        return ops.sum(ce, axis=(1, 2))

    def prediction(self, logits):
        return combine_voices(ops.softmax(logits, axis=-1), self.onsets)

    def initial_state(self, batch):
        zeros = tf.zeros(tf.stack([batch, self.units]), tf.float32)
        return [[zeros, zeros] for _ in self.rnns], []

    def step(self, prev, state, temperature, seed):
        rnn_states, history = state
        h, new_states = prev, []
        for rnn, s in zip(self.rnns, rnn_states):
            h, s = rnn.cell(h, s, training=False)
            new_states.append(s)
        history = (history + [h])[-self.window:]
        context = ops.stack(history, axis=1)
        attended = self.attention(h[:, None], context, training=False)[:, 0]
        logits = self._head_logits(ops.concatenate([h, attended], axis=-1), False)   # [b, V, classes]
        roll = 0.0
        for v in range(self.num_voices):
            choice = categorical_step(logits[:, v], temperature, tf.random.experimental.stateless_fold_in(seed, v),
                                      self.top_k)
            roll += combine_voices(tf.one_hot(choice, self.classes)[:, None], self.onsets)
        probs = combine_voices(ops.softmax(logits, axis=-1), self.onsets)
        return probs, ops.minimum(roll, 1.0), (new_states, history)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "num_layers": self.num_layers,
                "num_heads": self.num_heads, "window": self.window, "num_voices": self.num_voices,
                "head_units": self.head_units, "dropout": self.dropout, "onsets": self.onsets,
                "num_pitches": self.pitches}  # pitches, not channels: the constructor doubles them
