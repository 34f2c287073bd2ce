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


def random_crops(clips, index, lengths, crop, seed):
    """One random crop of ``crop`` samples from each clip of a batch, inside its valid part.

    Args:
      clips: float32 [num_clips, clip_samples], every clip.
      index: int64 [batch], the clips of the batch.
      lengths: int32 [num_clips], each clip's valid samples (zero padding after them).
      crop: samples per crop (a Python int, at most clip_samples).
      seed: int64 [2], for the stateless offsets (a new one per batch and epoch).

    The offset of each crop is uniform over [0, max(length - crop, 0)], so a crop holds padding
    only when the file is shorter than a crop. Returns float32 [batch, crop].
    """
    rows = tf.gather(clips, index)
    high = tf.maximum(tf.gather(lengths, index) - crop, 0)
    u = tf.random.stateless_uniform(tf.shape(high), seed=seed)
    offset = tf.minimum(tf.cast(tf.floor(u * tf.cast(high + 1, tf.float32)), tf.int32), high)
    return tf.gather(rows, offset[:, None] + tf.range(crop)[None, :], batch_dims=1)


def make_audio_dataset(x, batch_size, shuffle=False, seed=0, drop_remainder=False, crop=0, lengths=None):
    """Batches clips into a ``tf.data.Dataset`` of float32 [batch, clip_samples, 1] in [-1, 1], or
    of random crops [batch, crop, 1] for training.

    Args:
      x: float array [num_clips, clip_samples].
      batch_size: clips (or crops) per batch.
      shuffle: reshuffle every epoch (seeded).
      seed: shuffle and crop seed.
      drop_remainder: drop a last partial batch.
      crop: samples per training crop; 0 (or at least clip_samples) batches whole clips. With
        crops, an epoch draws clip_samples // crop crops from every clip, at new random offsets each
        epoch (``random_crops``), so it covers about as much audio as one pass over whole clips.
      lengths: int [num_clips], each clip's valid samples (``types.Clips.lengths``); None reads
        them back from the zero padding (``audio_files.valid_lengths``).
    """
    # The clips are held once as a tensor and batches gathered by index, so shuffling keeps a
    # buffer of indices instead of a second copy of the audio.
    x = np.asarray(x, np.float32)
    clips = tf.constant(x)
    crop = int(crop) if 0 < crop < x.shape[1] else 0
    repeats = x.shape[1] // crop if crop else 1
    ds = tf.data.Dataset.range(len(x) * repeats).map(lambda i: i % len(x))
    if shuffle:
        ds = ds.shuffle(len(x) * repeats, seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    if crop:
        from mguv.data.audio_files import valid_lengths

        valid = tf.constant(np.asarray(valid_lengths(x) if lengths is None else lengths, np.int32))
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        ds = tf.data.Dataset.zip(ds, seeds).map(lambda i, s: random_crops(clips, i, valid, crop, s)[..., None],
                                                num_parallel_calls=tf.data.AUTOTUNE)
    else:
        ds = ds.map(lambda i: tf.gather(clips, i)[..., None], num_parallel_calls=tf.data.AUTOTUNE)
    return with_data_sharding(ds.prefetch(tf.data.AUTOTUNE))


def with_data_sharding(ds):
    """Marks ``ds`` for DATA auto-sharding: under several workers each keeps its share of every
    batch. (FILE sharding needs one input file per shard; these datasets come from memory.)"""
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return ds.with_options(options)
