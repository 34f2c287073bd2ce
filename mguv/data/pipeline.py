"""tf.data pipelines over in-memory piano-roll segments (parsed and cached by ``mguv.data.cache``)
and audio clips (decoded and cached by ``mguv.data.audio_cache``)."""

import numpy as np
import tensorflow as tf


def random_transpose(x, max_shift, seed, groups=1):
    """Shifts a batch of rolls along the pitch axis by a random number of semitones per segment.

    Args:
      x: float32 [batch, steps, groups * pitches]: ``groups`` blocks of pitch channels (2 for a
        roll with onsets: frames, then onsets), each shifted by the segment's one shift.
      max_shift: largest shift in semitones, up or down.
      seed: int, for the stateless random draw (combined with the batch's position).

    The shift for each segment is drawn uniformly from the shifts in [-max_shift, max_shift] that
    keep all of its notes inside the pitch range, so augmentation never drops a note.
    """
    if groups > 1:  # the blocks side by side in time: [batch, groups * steps, pitches]
        steps = tf.shape(x)[1]
        shifted = random_transpose(tf.concat(tf.split(x, groups, axis=2), axis=1), max_shift, seed)
        return tf.concat([shifted[:, g * steps:(g + 1) * steps] for g in range(groups)], axis=2)
    pitches = tf.shape(x)[2]
    active = tf.reduce_any(x > 0, axis=1)  # [batch, pitches]
    idx = tf.range(pitches)
    big = pitches * 2
    lowest = tf.reduce_min(tf.where(active, idx, big), axis=1)
    highest = tf.reduce_max(tf.where(active, idx, -1), axis=1)
    low = tf.maximum(-max_shift, -lowest)
    high = tf.minimum(max_shift, pitches - 1 - highest)
    u = tf.random.stateless_uniform(tf.shape(low), seed=seed)
    shift = low + tf.cast(tf.floor(u * tf.cast(high - low + 1, tf.float32)), tf.int32)
    shift = tf.minimum(shift, high)
    # Gather source column (j - shift) for target column j; out-of-range sources read zeros.
    src = idx[None, :] - shift[:, None]  # [batch, pitches]
    valid = (src >= 0) & (src < pitches)
    gathered = tf.gather(x, tf.clip_by_value(src, 0, pitches - 1), axis=2, batch_dims=1)
    return gathered * tf.cast(valid, x.dtype)[:, None, :]


def make_dataset(x, batch_size, shuffle=False, seed=0, transpose=0, drop_remainder=False, pitch_groups=1):
    """Batches segments into a ``tf.data.Dataset`` of float32 [batch, steps, channels] in {0, 1}.

    Args:
      x: bool or uint8 array [num_segments, steps, channels].
      batch_size: segments per batch.
      shuffle: reshuffle every epoch (seeded).
      seed: shuffle/augmentation seed.
      transpose: max semitones of random transposition (0 = none); use for training only.
      drop_remainder: drop a last partial batch.
      pitch_groups: blocks of pitch channels that transpose together (``random_transpose``).
    """
    ds = tf.data.Dataset.from_tensor_slices(np.asarray(x, np.uint8))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    ds = ds.map(lambda b: tf.cast(b, tf.float32), num_parallel_calls=tf.data.AUTOTUNE)
    if transpose:
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        ds = tf.data.Dataset.zip(ds, seeds).map(
            lambda b, s: random_transpose(b, transpose, s, pitch_groups), num_parallel_calls=tf.data.AUTOTUNE)
    return with_data_sharding(ds.prefetch(tf.data.AUTOTUNE))


def make_audio_dataset(x, batch_size, shuffle=False, seed=0, drop_remainder=False):
    """Batches clips into a ``tf.data.Dataset`` of float32 [batch, clip_samples, 1] in [-1, 1].

    Args:
      x: float array [num_clips, clip_samples].
      batch_size: clips per batch.
      shuffle: reshuffle every epoch (seeded).
      seed: shuffle seed.
      drop_remainder: drop a last partial batch.
    """
    # The clips are held once as a tensor and batches gathered by index, so shuffling keeps a
    # buffer of indices instead of a second copy of the audio.
    clips = tf.constant(np.asarray(x, np.float32))
    ds = tf.data.Dataset.range(len(x))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    ds = ds.map(lambda i: tf.gather(clips, i)[..., None], num_parallel_calls=tf.data.AUTOTUNE)
    return with_data_sharding(ds.prefetch(tf.data.AUTOTUNE))


def with_data_sharding(ds):
    """Marks ``ds`` for DATA auto-sharding: under several workers each keeps its share of every
    batch. (FILE sharding needs one input file per shard; these datasets come from memory.)"""
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options)
