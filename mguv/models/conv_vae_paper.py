"""The GTZAN-jazz notebook's convolutional VAE (family ``conv_vae_paper``, config ``conv_vae-paper``),
kept faithful in shapes (and in its flaws) so the paper's recipe can be compared.

Waveforms are float32 [batch, samples, 1] in [-1, 1].
"""

import keras
from keras import ops

from mguv.models.conv_vae import Resnet1DBlock, WaveformDecoder, build_chain
from mguv.models.losses import bernoulli_nll


@keras.saving.register_keras_serializable(package="mguv")
class PaperConvEncoder(keras.layers.Layer):
    """The GTZAN-jazz notebook's encoder, faithful in shapes (and in its flaw).

    x [batch, samples, 1] is transposed to [batch, 1, samples], as the notebook fed (1, 90001): the
    "time" axis has length 1 and the samples are channels, so its kernel-1, stride-2 convolutions
    are dense layers over the whole clip, and instance norm over a length-1 axis outputs its bias.
    Conv1D(64/128/128/256, kernel 1, stride 2) with a Resnet1DBlock after each -> [batch, 256].
    """

    def __init__(self, filters=(64, 128, 128, 256), **kwargs):
        super().__init__(**kwargs)
        self.filters = tuple(filters)
        self.layers_ = []
        for i, f in enumerate(self.filters):
            self.layers_.append(keras.layers.Conv1D(f, 1, strides=2, name=f"conv{i}"))
            self.layers_.append(Resnet1DBlock(f, 1, norm="instance", name=f"block{i}"))

    def build(self, input_shape):
        build_chain(self.layers_, (input_shape[0], 1, input_shape[1]))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.filters[-1])

    def call(self, x, training=False):
        h = ops.transpose(x, (0, 2, 1))
        for layer in self.layers_:
            h = layer(h, training=training)
        return ops.reshape(h, (ops.shape(h)[0], self.filters[-1]))

    def get_config(self):
        return {**super().get_config(), "filters": list(self.filters)}


@keras.saving.register_keras_serializable(package="mguv")
class PaperConvDecoder(WaveformDecoder):
    """The notebook's decoder: z [batch, latent] -> Conv1DTranspose blocks with BatchNorm on a
    length-1 axis -> logits [batch, samples, 1].

    Likelihood, as in the notebook: sigmoid cross-entropy. Cross-entropy needs targets in [0, 1], so
    audio is mapped to (x + 1) / 2 and the prediction back with 2 * sigmoid - 1. It is not a
    normalized density for real-valued audio (which is why ``conv_vae`` uses a Laplace likelihood);
    it is kept so the paper's recipe can be compared.
    """

    extra_loss_terms = ("nll",)

    def __init__(self, samples, filters=(256, 128, 64), **kwargs):
        super().__init__(**kwargs)
        self.samples, self.filters = int(samples), tuple(filters)
        self.layers_ = []
        for i, f in enumerate(self.filters):
            self.layers_.append(keras.layers.Conv1DTranspose(f, 1, name=f"deconv{i}"))
            self.layers_.append(Resnet1DBlock(f, 1, norm="batch", name=f"block{i}"))
        self.layers_.append(keras.layers.Conv1DTranspose(self.samples, 1, name="out"))

    def build(self, z_shape, x_shape=None):
        build_chain(self.layers_, (z_shape[0], 1, z_shape[-1]))

    def decode(self, z, training=False):
        h = ops.expand_dims(z, 1)
        for layer in self.layers_:
            h = layer(h, training=training)
        return ops.reshape(h, (ops.shape(h)[0], self.samples, 1))

    def reconstruction_loss(self, x, logits):
        nll = bernoulli_nll((x + 1.0) / 2.0, logits)
        return {"recon": nll, "nll": nll}

    def prediction(self, logits):
        return 2.0 * ops.sigmoid(logits) - 1.0

    def get_config(self):
        return {**super().get_config(), "samples": self.samples, "filters": list(self.filters)}
