"""Drawing piano-roll steps and codes from model outputs, inside the graph, with temperature and
top-k.

Greedy decoding (temperature 0) of an autoregressive model tends to fall into a loop: the most
likely next step after a chord is usually that chord again, so greedy samples repeat the last step
(the Bach study saw this). mguv's samplers therefore draw from the predicted distribution at a
temperature (default 1) and can keep only the ``top_k`` most likely choices, which removes the
unlikely notes that plain sampling adds without falling back to the greedy loop.

Randomness is stateless: every draw takes a ``seed`` int32 [2], and a loop derives one seed per
step with ``step_seed``, so the same seed gives the same samples in Keras and in a SavedModel.
"""

import tensorflow as tf

MIN_TEMPERATURE = 1e-4


def step_seed(seed, t):
    """A seed int32 [2] for step ``t`` (a Python int) of a loop seeded by ``seed`` int32 [2]."""
    return tf.random.experimental.stateless_fold_in(tf.cast(seed, tf.int32), t)


def _top_k_mask(logits, k):
    """True at exactly the k largest logits of each row [batch, n] (ties go to the lower index)."""
    indices = tf.math.top_k(logits, k=k).indices
    return tf.reduce_any(tf.one_hot(indices, tf.shape(logits)[-1], on_value=True, off_value=False), axis=1)


def _scaled(logits, temperature):
    return logits / tf.maximum(tf.cast(temperature, logits.dtype), MIN_TEMPERATURE)


def bernoulli_step(logits, temperature, seed, top_k=0, groups=1):
    """Samples one multi-hot step from independent note logits.

    Args:
      logits: float32 [batch, groups * pitches]: ``groups`` blocks of pitch channels (2 for a roll
        with onsets: frames, then onsets).
      temperature: scalar; logits are divided by it. <= 0 is greedy: a note is on when its
        probability is above 0.5.
      seed: int32 [2].
      top_k: > 0 lets only the k most probable pitches of the step sound (0 = all may), ranked by
        the first block (the frames); the other blocks follow their pitch.

    Returns:
      float32 [batch, groups * pitches] in {0, 1}.
    """
    p = tf.sigmoid(_scaled(logits, temperature))
    pitches = logits.shape[-1] // groups
    if top_k and top_k < pitches:
        mask = tf.tile(_top_k_mask(logits[:, :pitches], top_k), [1, groups])
        p = tf.where(mask, p, tf.zeros_like(p))
    draw = tf.random.stateless_uniform(tf.shape(p), seed, dtype=p.dtype)
    threshold = tf.where(tf.cast(temperature, p.dtype) > 0, draw, tf.fill(tf.shape(p), 0.5))
    return tf.cast(p > threshold, tf.float32)


def categorical_step(logits, temperature, seed, top_k=0):
    """Samples one class per row from logits.

    Args:
      logits: float32 [batch, classes].
      temperature: scalar; <= 0 takes the most likely class.
      seed: int32 [2].
      top_k: > 0 samples among the k most likely classes only (0 = all).

    Returns:
      int32 [batch].
    """
    if top_k and top_k < logits.shape[-1]:
        logits = tf.where(_top_k_mask(logits, top_k), logits, tf.fill(tf.shape(logits), -1e9))
    drawn = tf.random.stateless_categorical(_scaled(logits, temperature), 1, seed, dtype=tf.int32)[:, 0]
    greedy = tf.argmax(logits, axis=-1, output_type=tf.int32)
    return tf.where(tf.cast(temperature, logits.dtype) > 0, drawn, greedy)


def probability_logits(probs):
    """Probabilities [...] -> logits [...], clipped so that 0 and 1 stay finite."""
    probs = tf.clip_by_value(probs, 1e-6, 1.0 - 1e-6)
    return tf.math.log(probs) - tf.math.log1p(-probs)
