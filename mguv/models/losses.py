"""The likelihoods and distances the families share, per example, in nats unless said otherwise.

Piano-rolls: ``bernoulli_nll`` (independent cells; ``pos_weight`` > 1 gives the weighted
cross-entropy that counters sparse rolls). Waveforms (float32 [batch, samples, 1] in [-1, 1]):
``laplace_nll``, ``mr_stft_distance``, ``snr_db``. Latents: ``gaussian_kl``.
"""

import tensorflow as tf
from keras import ops

STFT_SIZES = (64, 128, 256, 512)  # At 3 kHz: 21 ms .. 171 ms windows.


def laplace_nll(x, mean, log_scale):
    """Per-example Laplace negative log-likelihood in nats, summed over samples.

    x, mean: [batch, samples, 1]; log_scale: scalar or broadcastable log of the Laplace scale b.
    """
    scale = ops.exp(log_scale)
    per_sample = ops.abs(x - mean) / scale + log_scale + ops.log(2.0)
    return ops.sum(ops.reshape(per_sample, (ops.shape(x)[0], -1)), axis=-1)


def _magnitude(x, n_fft):
    signal = tf.squeeze(x, -1)
    return tf.abs(tf.signal.stft(signal, frame_length=n_fft, frame_step=n_fft // 4, fft_length=n_fft,
                                 pad_end=True))


def mr_stft_distance(x, y, sizes=STFT_SIZES, eps=1e-5):
    """Multi-resolution STFT distance per example [batch] (dimensionless, 0 = identical).

    For each FFT size (hop = size / 4): spectral convergence ||S_x - S_y||_F / ||S_x||_F plus the mean
    absolute difference of log magnitudes; averaged over the sizes.
    """
    total = 0.0
    for n_fft in sizes:
        sx, sy = _magnitude(x, n_fft), _magnitude(y, n_fft)
        sc = tf.norm(sx - sy, axis=(1, 2)) / (tf.norm(sx, axis=(1, 2)) + eps)
        log_l1 = tf.reduce_mean(tf.abs(tf.math.log(sx + eps) - tf.math.log(sy + eps)), axis=(1, 2))
        total += sc + log_l1
    return total / len(sizes)


def snr_db(x, y, eps=1e-8):
    """Per-example signal-to-noise ratio of reconstruction y against x, in dB. [batch, samples, 1] -> [batch]."""
    signal = ops.sum(ops.reshape(ops.square(x), (ops.shape(x)[0], -1)), axis=-1)
    noise = ops.sum(ops.reshape(ops.square(x - y), (ops.shape(x)[0], -1)), axis=-1)
    return 10.0 * ops.log((signal + eps) / (noise + eps)) / ops.log(10.0)


def bernoulli_nll(x, logits, pos_weight=1.0):
    """Per-example Bernoulli negative log-likelihood summed over every non-batch axis, in nats.

    x: targets in [0, 1] and logits of the same shape [batch, ...]. ``pos_weight`` multiplies the
    term of the active cells (1 = the plain likelihood; > 1 the weighted cross-entropy, which is a
    training objective, not a likelihood). Returns [batch].
    """
    positive = ops.softplus(-logits)  # -log sigmoid(l)
    negative = ops.softplus(logits)   # -log (1 - sigmoid(l))
    cells = pos_weight * x * positive + (1.0 - x) * negative
    return ops.sum(ops.reshape(cells, (ops.shape(x)[0], -1)), axis=-1)


def gaussian_kl(mean, logvar):
    """KL(N(mean, exp(logvar)) || N(0, I)) per latent dimension, in nats. [batch, latent] -> same."""
    return 0.5 * (ops.exp(logvar) + ops.square(mean) - 1.0 - logvar)
