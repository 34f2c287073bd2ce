"""Waveform losses and metrics that ignore padding: a clip of a file shorter than the clip is zero
after the file ends (``mguv.data.audio_cache`` records where), and that padding must neither be
fitted nor scored.

The valid part is read from the data itself: a clip's padding is exact zeros, so its valid length
is 1 + the index of its last non-zero sample (``padding_mask``). The loss, the metrics of
``fit()`` and a SavedModel therefore need no second input. Waveforms are float32
[batch, samples, 1] in [-1, 1]; per-example values are [batch].
"""

import math

import keras
import tensorflow as tf

from mguv.models.losses import STFT_SIZES

SPECTRAL_SIZES = STFT_SIZES + (1024,)  # At 3 kHz: 21 ms .. 341 ms; 1024 resolves semitones near 60 Hz.
SPECTRAL_FLOOR_DB = -70.0  # log magnitudes are taken above this level (dB re a full-scale sine)


def valid_lengths(x):
    """Samples up to and including the last non-zero one of each example: int32 [batch]."""
    nonzero = tf.abs(x[..., 0]) > 0
    position = tf.range(1, tf.shape(x)[1] + 1)[None, :]
    return tf.reduce_max(tf.where(nonzero, position, 0), axis=1)


def length_mask(lengths, samples):
    """float32 [batch, samples, 1]: 1 on the first ``lengths`` [batch] samples, 0 after."""
    return tf.cast(tf.range(samples)[None, :] < tf.cast(lengths, tf.int32)[:, None], tf.float32)[..., None]


def padding_mask(x):
    """float32 [batch, samples, 1]: 1 on each example's valid part (``valid_lengths``), 0 on padding."""
    return length_mask(valid_lengths(x), tf.shape(x)[1])


def _frame_weights(mask, n_fft):
    """float32 [batch, frames]: 1 for the STFT frames (hop n_fft / 4, padded at the end) that start
    inside the valid part, 0 for those that start in the padding."""
    hop = n_fft // 4
    length = tf.reduce_sum(mask[..., 0], axis=1)
    frames = (tf.shape(mask)[1] + hop - 1) // hop
    starts = tf.cast(tf.range(frames) * hop, tf.float32)
    return tf.cast(starts[None, :] < length[:, None], tf.float32)


def _magnitude(x, n_fft):
    return tf.abs(tf.signal.stft(x[..., 0], frame_length=n_fft, frame_step=n_fft // 4, fft_length=n_fft,
                                 pad_end=True))


def _distance(x, y, mask, sizes, floor):
    """Per-size (spectral convergence + mean |log S_x - log S_y| over valid frames), averaged:
    [batch]. ``floor``(n_fft) is the magnitude added before the log."""
    x, y = x * mask, y * mask
    total = 0.0
    for n_fft in sizes:
        sx, sy = _magnitude(x, n_fft), _magnitude(y, n_fft)
        w = _frame_weights(mask, n_fft)
        sc = tf.norm(sx - sy, axis=(1, 2)) / (tf.norm(sx, axis=(1, 2)) + 1e-5)
        eps = floor(n_fft)
        log_diff = tf.reduce_mean(tf.abs(tf.math.log(sx + eps) - tf.math.log(sy + eps)), axis=2)
        total += sc + tf.reduce_sum(log_diff * w, axis=1) / tf.maximum(tf.reduce_sum(w, axis=1), 1.0)
    return total / len(sizes)


def masked_mr_stft(x, y, mask, sizes=STFT_SIZES):
    """The multi-resolution STFT distance of ``mguv.models.losses.mr_stft_distance`` (the same
    sizes and 1e-5 floor, so the numbers compare) over the valid part only: [batch], 0 = identical."""
    return _distance(x, y, mask, sizes, lambda n_fft: 1e-5)


def masked_snr_db(x, y, mask, eps=1e-8):
    """SNR of reconstruction y against x over the valid part, in dB: [batch]."""
    signal = tf.reduce_sum(tf.square(x * mask), axis=(1, 2))
    noise = tf.reduce_sum(tf.square((x - y) * mask), axis=(1, 2))
    return 10.0 * tf.math.log((signal + eps) / (noise + eps)) / math.log(10.0)


def masked_laplace_nll(x, mean, log_scale, mask):
    """Laplace negative log-likelihood summed over the valid samples, in nats: [batch]."""
    per_sample = tf.abs(x - mean) / tf.exp(log_scale) + log_scale + math.log(2.0)
    return tf.reduce_sum(per_sample * mask, axis=(1, 2))


def spectral_loss(x, y, mask, sizes=SPECTRAL_SIZES, floor_db=SPECTRAL_FLOOR_DB):
    """The spectral reconstruction term: per-sample spectral distance x valid samples, [batch].

    The distance is, per STFT size, spectral convergence (which weights the loud partials: the
    notes) plus the mean absolute difference of log magnitudes above a floor of ``floor_db`` dB
    re a full-scale sine (so the model is not asked to match the noise floor), over the valid
    frames. Multiplying by the valid samples makes the term grow with the audio like the
    likelihood and the KL do, so the balance of the three is the same on a 3-s training crop and
    on a 30-s clip.
    """
    level = 10.0 ** (floor_db / 20.0)
    distance = _distance(x, y, mask, sizes, lambda n_fft: level * n_fft / 4.0)  # a sine peaks near n_fft/4
    return distance * tf.reduce_sum(mask, axis=(1, 2))


@keras.saving.register_keras_serializable(package="mguv")
class MaskedWaveMetric(keras.metrics.Mean):
    """The mean over examples of "snr_db" or "mr_stft" on their valid parts, across an epoch.

    ``update_state(x, y)``: x the clips [batch, samples, 1] (their padding gives the mask), y the
    reconstructions of the same shape.
    """

    FUNCTIONS = {"snr_db": masked_snr_db, "mr_stft": masked_mr_stft}

    def __init__(self, fn="snr_db", name=None, **kwargs):
        super().__init__(name=name or fn, **kwargs)
        self.fn = fn

    def update_state(self, y_true, y_pred, sample_weight=None):
        return super().update_state(self.FUNCTIONS[self.fn](y_true, y_pred, padding_mask(y_true)))

    def get_config(self):
        return {**super().get_config(), "fn": self.fn}
