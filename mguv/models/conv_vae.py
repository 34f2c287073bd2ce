"""The parts of the raw-audio VAE ``conv_vae``: ``Resnet1DBlock`` and a temporal 1D-ResNet
encoder/decoder. ``WaveformDecoder`` is the plumbing every audio decoder shares (``conv_vae_paper``'s too).

Waveforms are float32 [batch, samples, 1] in [-1, 1].
"""

import math

import keras
from keras import ops

from mguv.models.audio_losses import (MaskedWaveMetric, masked_laplace_nll, padding_mask,
                                      spectral_loss)
from mguv.models.metrics import MeanOf


def build_chain(layers, shape):
    """Builds ``layers`` in sequence from ``shape``; returns the last output shape."""
    for layer in layers:
        if not layer.built:
            layer.build(shape)
        shape = tuple(layer.compute_output_shape(shape))
    return shape


def _blocks(width, prefix):
    """Two residual blocks of kernel 3 (receptive field 9 steps at this level). Not dilated: TF's
    dilated CPU convolutions cost about 3x a plain one, and the 4x downsampling already widens
    the context at every level."""
    return [Resnet1DBlock(width, 3, 1, norm="none", final_relu=False, name=f"{prefix}_{k}") for k in (0, 1)]


def _norm(kind, name):
    if kind == "instance":
        return keras.layers.GroupNormalization(groups=-1, name=name)  # one group per channel
    if kind == "batch":
        return keras.layers.BatchNormalization(name=name)
    return keras.layers.Identity(name=name)


@keras.saving.register_keras_serializable(package="mguv")
class Resnet1DBlock(keras.layers.Layer):
    """The seed's residual block: conv -> norm -> LeakyReLU -> conv -> norm -> LeakyReLU, + input, ReLU.

    [batch, time, filters] -> same shape.

    Args:
      filters: channels (input and output).
      kernel_size, dilation: of both convolutions.
      norm: "instance" (the seed's encoder), "batch" (the seed's decoder) or "none".
      alpha: LeakyReLU slope (0.4 in the seed).
      final_relu: apply the seed's ReLU after the residual add. Off in ``conv_vae``: a ReLU between
        every block would clip half of each residual stream.
    """

    def __init__(self, filters, kernel_size=3, dilation=1, norm="instance", alpha=0.4, final_relu=True,
                 **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.dilation = filters, kernel_size, dilation
        self.norm, self.alpha, self.final_relu = norm, alpha, final_relu
        self.conv1 = keras.layers.Conv1D(filters, kernel_size, dilation_rate=dilation, padding="same", name="conv1")
        self.norm1 = _norm(norm, "norm1")
        self.conv2 = keras.layers.Conv1D(filters, kernel_size, dilation_rate=dilation, padding="same", name="conv2")
        self.norm2 = _norm(norm, "norm2")

    def build(self, input_shape):
        build_chain([self.conv1, self.norm1, self.conv2, self.norm2], tuple(input_shape))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def call(self, x, training=False):
        h = ops.leaky_relu(self.norm1(self.conv1(x), training=training), self.alpha)
        h = ops.leaky_relu(self.norm2(self.conv2(h), training=training), self.alpha)
        h = x + h
        return ops.relu(h) if self.final_relu else h

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "dilation": self.dilation, "norm": self.norm, "alpha": self.alpha,
                "final_relu": self.final_relu}


@keras.saving.register_keras_serializable(package="mguv")
class ConvEncoder(keras.layers.Layer):
    """Temporal 1D-ResNet encoder: x [batch, samples, 1] -> features [batch, frames, features].

    The input is zero-padded to a multiple of prod(strides); each level is a strided convolution then two
    residual blocks. frames = ceil(samples / prod(strides)).

    Args:
      channels: channels after each downsampling, e.g. (16, 32, 64, 128); the full-rate level has
        channels[0] // 2, so every level costs about the same (channels double as time shrinks 4x).
      strides: downsampling per level, e.g. (4, 4, 4, 4) = 256x (3 kHz -> 11.7 frames/s).
      features: output channels per frame (the posterior head maps them to the latent).
    """

    def __init__(self, channels=(16, 32, 64, 128), strides=(4, 4, 4, 4), features=64, **kwargs):
        super().__init__(**kwargs)
        self.channels, self.strides, self.features = tuple(channels), tuple(strides), features
        self.hop = math.prod(self.strides)
        widths = (self.channels[0] // 2,) + self.channels  # the full-rate level is the narrowest
        self.layers_ = [keras.layers.Conv1D(widths[0], 7, padding="same", name="stem")]
        for i, width in enumerate(widths):
            if i > 0:
                s = self.strides[i - 1]
                self.layers_.append(keras.layers.Conv1D(width, 2 * s, strides=s, padding="same", name=f"down{i}"))
            self.layers_ += _blocks(width, f"level{i}")
        self.layers_.append(keras.layers.Conv1D(features, 3, padding="same", name="head"))

    def _padded(self, samples):
        return None if samples is None else int(math.ceil(samples / self.hop) * self.hop)

    def build(self, input_shape):
        shape = (input_shape[0], self._padded(input_shape[1]), input_shape[2])
        build_chain(self.layers_, shape)

    def compute_output_shape(self, input_shape):
        frames = None if input_shape[1] is None else self._padded(input_shape[1]) // self.hop
        return (input_shape[0], frames, self.features)

    def call(self, x, training=False):
        pad = (-ops.shape(x)[1]) % self.hop
        h = ops.pad(x, [[0, 0], [0, pad], [0, 0]])
        for layer in self.layers_:
            h = layer(h, training=training)
            if layer.name.startswith("down"):
                h = ops.leaky_relu(h, 0.2)
        return h

    def get_config(self):
        return {**super().get_config(), "channels": list(self.channels), "strides": list(self.strides),
                "features": self.features}


class WaveformDecoder(keras.layers.Layer):
    """Shared plumbing of the audio decoders (not registered; subclasses are)."""

    # It decodes z to one waveform, drawing nothing: a sampling temperature scales z instead.
    deterministic = True

    def call(self, z, x=None, training=False):
        return self.decode(z, training=training)

    def generate(self, z, noise=None, temperature=1.0):
        """z -> (waveform, waveform): the decoder mean [batch, samples, 1]; no autoregression."""
        wave = self.prediction(self.decode(z, training=False))
        return wave, wave

    def output_metrics(self):
        return [MeanOf("snr_db"), MeanOf("mr_stft")]


UPSAMPLING = ("linear", "nearest", "transposed")


@keras.saving.register_keras_serializable(package="mguv")
class ConvDecoder(WaveformDecoder):
    """Mirror of ``ConvEncoder``: z [batch, frames, latent] -> mean waveform [batch, samples, 1] (tanh).

    Reconstruction term, over each clip's valid part only (``audio_losses.padding_mask``: a short
    file's zero padding is neither fitted nor scored): a Laplace log-likelihood with a learned
    global scale (nats, a proper density for real-valued audio) plus ``stft_weight`` x a
    multi-resolution log-magnitude spectral distance per valid sample
    (``audio_losses.spectral_loss``), which asks for the right partials (the notes) where the
    waveform term alone settles for the phase-averaged mean, a muffled band.

    The decoder is fully convolutional: trained on crops, it decodes whole clips. ``call(z, x)``
    returns x's length; ``decode(z)`` the clip's ``samples``.

    Args:
      samples: output length of ``decode`` (the encoder's padding is cropped off).
      channels, strides: as the encoder's, in encoder order (the decoder reverses them).
      stft_weight: weight of the spectral term in "recon", per valid sample.
      upsample: "nearest" (repeat each frame ``stride`` times, then a convolution: a constant input
        gives a constant output, so silence stays silent), "linear" (the same with a moving average
        of ``stride`` samples after the repeat: linear interpolation, whose images of the frame
        rate are weaker than the repeat's) or "transposed" (a strided transposed convolution, whose
        kernel overlaps unevenly: tones at sample_rate / stride and its multiples, e.g. 375 and
        750 Hz at 3 kHz, even on silence). The layer's default stays "transposed" so that models
        saved before the choice existed load as they were.
    """

    extra_loss_terms = ("nll", "stft")

    def __init__(self, samples, channels=(16, 32, 64, 128), strides=(4, 4, 4, 4), stft_weight=0.1,
                 upsample="transposed", **kwargs):
        super().__init__(**kwargs)
        if upsample not in UPSAMPLING:
            raise ValueError(f"upsample must be one of {', '.join(UPSAMPLING)}, not {upsample!r}")
        self.samples, self.channels, self.strides = int(samples), tuple(channels), tuple(strides)
        self.stft_weight, self.upsample = float(stft_weight), upsample
        widths = ((self.channels[0] // 2,) + self.channels)[::-1]
        strides = self.strides[::-1]
        self.layers_ = [keras.layers.Conv1D(widths[0], 3, padding="same", name="stem")]
        for i, width in enumerate(widths):
            if i > 0:
                s = strides[i - 1]
                if upsample == "transposed":
                    self.layers_.append(keras.layers.Conv1DTranspose(width, 2 * s, strides=s, padding="same",
                                                                     name=f"up{i}"))
                else:
                    self.layers_.append(keras.layers.UpSampling1D(s, name=f"repeat{i}"))
                    if upsample == "linear":
                        self.layers_.append(keras.layers.AveragePooling1D(s, strides=1, padding="same",
                                                                          name=f"interpolate{i}"))
                    self.layers_.append(keras.layers.Conv1D(width, 2 * s + 1, padding="same", name=f"up{i}"))
            self.layers_ += _blocks(width, f"level{i}")
        self.layers_.append(keras.layers.Conv1D(1, 7, padding="same", name="out"))
        self.log_scale = self.add_weight(shape=(), initializer=keras.initializers.Constant(math.log(0.1)),
                                         name="log_scale")

    def build(self, z_shape, x_shape=None):
        build_chain(self.layers_, tuple(z_shape))

    def call(self, z, x=None, training=False):
        """z [batch, frames, latent] -> the mean waveform, as long as x [batch, samples', 1] when
        given (a training crop), else ``samples``."""
        return self.decode(z, training=training, samples=None if x is None else ops.shape(x)[1])

    def decode(self, z, training=False, samples=None):
        """z [batch, frames, latent] -> mean waveform [batch, min(samples, frames * hop), 1]."""
        h = z
        for layer in self.layers_:
            h = layer(h, training=training)
            if layer.name.startswith("up"):
                h = ops.leaky_relu(h, 0.2)
        return ops.tanh(h[:, : self.samples if samples is None else samples])

    def reconstruction_loss(self, x, mean):
        """Per-example terms [batch] over the valid part of x: "nll" (Laplace, nats), "stft" (the
        spectral term) and "recon" = nll + stft_weight * stft."""
        mask = padding_mask(x)
        nll = masked_laplace_nll(x, mean, ops.maximum(self.log_scale, math.log(1e-3)), mask)
        stft = spectral_loss(x, mean, mask)
        return {"recon": nll + self.stft_weight * stft, "nll": nll, "stft": stft}

    def output_metrics(self):
        return [MaskedWaveMetric("snr_db"), MaskedWaveMetric("mr_stft")]

    def prediction(self, mean):
        return mean

    def get_config(self):
        return {**super().get_config(), "samples": self.samples, "channels": list(self.channels),
                "strides": list(self.strides), "stft_weight": self.stft_weight, "upsample": self.upsample}
