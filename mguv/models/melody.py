"""A one-class-per-step output for monophonic melodies, as in MusicVAE's melody models.

A Bernoulli output scores every pitch of a step on its own. On a melody, where the next note could
be any of a dozen pitches, no pitch gets past 0.5, so greedy decoding writes silence (or holds the
last note) and an onset is never drawn. Here each step is one of a few classes and a softmax picks
one, so the most likely note is struck even when it has only a third of the mass:

    class 0          rest
    class 1 .. P     pitch column j - 1 sounds (with onsets: held from the step before)
    class P+1 .. 2P  pitch column j - P - 1 is struck at this step (rolls with onsets only)

MusicVAE's melody encoding has the same information (note-off, no-event, note-on per pitch). The
decoder's inputs and outputs stay piano-roll steps [..., channels] (P frames, then P onsets when
the representation has them), so plots, MIDI, metrics and the SavedModel are unchanged.

A step where several pitches sound keeps only the highest (the melody): such steps are not
representable, and the NLL is that of the melody the step reduces to. ``lstm_attention``'s voices
use the same classes, one set per voice (``strike_classes``, ``class_channels``).
"""

import keras
import tensorflow as tf
from keras import ops

from mguv.models.sampling import MIN_TEMPERATURE


def melody_classes(x, pitches):
    """The class of each step: x {0, 1} [..., channels] (channels = pitches, or 2 * pitches with
    onsets) -> int32 [...] in [0, classes); see the module docstring."""
    frames = ops.cast(x[..., :pitches] > 0.5, "int32")
    top = ops.max(frames * (ops.arange(pitches, dtype="int32") + 1), axis=-1)     # 0, or column + 1
    if x.shape[-1] == pitches:
        return top
    return strike_classes(top[..., None], x, pitches)[..., 0]


def strike_classes(classes, x, pitches):
    """Frame classes int32 [..., V] (0 = rest, j + 1 = pitch column j sounds; V voices, or 1) of a
    roll with onsets x {0, 1} [..., 2 * pitches] -> the classes with onsets: j + 1 while the pitch
    is held, pitches + j + 1 on the step where it is struck."""
    onsets = ops.cast(x[..., pitches:] > 0.5, "int32")
    struck = ops.take_along_axis(onsets, ops.maximum(classes - 1, 0), axis=-1)
    return ops.where(classes > 0, classes + pitches * struck, 0)


def class_channels(values, pitches, onsets):
    """Per-class values [..., classes] (probabilities, or a one-hot) -> roll channels [..., channels]:
    a pitch sounds when it is held or struck, and starts when it is struck. Linear, so class
    probabilities give the marginal probability of every cell."""
    sounds = values[..., 1:pitches + 1]
    if not onsets:
        return sounds
    struck = values[..., pitches + 1:]
    return ops.concatenate([sounds + struck, struck], axis=-1)


@keras.saving.register_keras_serializable(package="mguv")
class MelodyOutput(keras.layers.Layer):
    """Class logits of a step from a decoder state: h [..., units] -> logits [..., classes].

    Args:
      num_channels: channels of a roll step (pitches, or 2 * pitches with onsets).
      pitch_groups: 2 when the channels are frames then onsets, else 1.
    """

    def __init__(self, num_channels, pitch_groups=1, **kwargs):
        super().__init__(**kwargs)
        self.num_channels, self.pitch_groups = int(num_channels), int(pitch_groups)
        if self.pitch_groups not in (1, 2):
            raise ValueError(f"pitch_groups {self.pitch_groups}: the melody output takes frames, or frames "
                             "then onsets")
        self.pitches = self.num_channels // self.pitch_groups
        self.classes = self.pitches * self.pitch_groups + 1
        self.logits = keras.layers.Dense(self.classes, name="classes")

    @property
    def onsets(self):
        return self.pitch_groups == 2

    def build(self, context_shape):
        self.logits.build(context_shape)

    def compute_output_shape(self, context_shape):
        return tuple(context_shape[:-1]) + (self.classes,)

    def call(self, h):
        return self.logits(h)

    def nll(self, x, logits):
        """-log p(x) per example [batch] in nats: x {0, 1} [batch, steps, channels], logits
        [batch, steps, classes]."""
        target = melody_classes(x, self.pitches)
        return ops.sum(keras.losses.sparse_categorical_crossentropy(target, logits, from_logits=True), axis=-1)

    def probabilities(self, logits):
        """logits [..., classes] -> the marginal probability of every roll cell [..., channels]."""
        return class_channels(ops.softmax(logits, axis=-1), self.pitches, self.onsets)

    def greedy(self, logits):
        """logits [..., classes] -> the most likely class of each step as a roll step [..., channels]."""
        one_hot = ops.one_hot(ops.argmax(logits, axis=-1), self.classes, dtype=logits.dtype)
        return class_channels(one_hot, self.pitches, self.onsets)

    def sample(self, h, noise=None, temperature=1.0):
        """Draws one step: h [batch, units], noise uniform [0, 1) [batch] (one draw per step) or None
        for the most likely class; the logits are divided by ``temperature`` (<= 0 is greedy).

        Returns (probs, drawn): the marginal cell probabilities at temperature 1 and the drawn step,
        each [batch, channels], the latter in {0, 1}."""
        logits = self.logits(h)
        probs = self.probabilities(logits)
        if noise is None:
            return probs, self.greedy(logits)
        temperature = tf.cast(temperature, tf.float32)
        cdf = ops.cumsum(ops.softmax(logits / tf.maximum(temperature, MIN_TEMPERATURE), axis=-1), axis=-1)
        drawn = ops.minimum(ops.sum(ops.cast(cdf < noise[:, None], "int32"), axis=-1), self.classes - 1)
        drawn = tf.where(temperature > 0, drawn, ops.cast(ops.argmax(logits, axis=-1), "int32"))
        return probs, class_channels(ops.one_hot(drawn, self.classes, dtype=h.dtype), self.pitches, self.onsets)

    def get_config(self):
        return {**super().get_config(), "num_channels": self.num_channels, "pitch_groups": self.pitch_groups}
