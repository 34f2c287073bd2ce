"""The model families: one frozen dataclass of hyperparameters per family, registered by its
``@model_family`` decorator (the one place a family is named), whose ``build(representation, train)``
returns the family's uncompiled Keras model. Each ``build`` imports its model module when called,
so importing the configs does not import Keras or TensorFlow.

The VAE families (lstm_vae, conv_vae, conv_vae_paper, hier_vae) are the one VAE base
(``mguv.models.vae.VAE``, the ELBO) with the family's encoder and decoder; the other families of
the Bach study (lstm, lstm_attention, vq_vae, wgan, in ``mguv.configs.study_families``) are models
of their own, each with its own ``train_step``. Every model is named after its family.
"""

import dataclasses

from mguv.configs.registry import model_family
from mguv.errors import UsageError

OUTPUTS = ("bernoulli", "nade", "melody")  # as mguv.models.nade.OUTPUTS; the configs import no Keras


def check_output(model, outputs=OUTPUTS):
    """A ``UsageError`` unless ``model.output`` is one of ``outputs``, nade_units is positive and
    input_dropout is a probability."""
    input_dropout = getattr(model, "input_dropout", 0.0)
    if not 0.0 <= input_dropout <= 1.0:
        raise UsageError(f"model.input_dropout={input_dropout}: must be in [0, 1] (1 = an inputless decoder)")
    if model.output not in outputs:
        raise UsageError(f"model.output={model.output!r}: choose one of {', '.join(outputs)}")
    if model.nade_units < 1:
        raise UsageError(f"model.nade_units={model.nade_units}: must be at least 1")


def pitch_groups_of(representation):
    """Blocks of channels in a step: 2 for a roll with onsets (what sounds, then what starts), else 1."""
    return representation.channels // representation.num_pitches


def _vae(model, train, encoder, decoder, prior=None):
    """The VAE base around ``encoder`` and ``decoder`` (and a learned ``prior``, or None), with the
    recipe's beta, free bits and seed."""
    from mguv.models.vae import VAE

    return VAE(encoder, decoder, latent_dim=model.latent_dim, beta=train.beta,
               beta_warmup_steps=train.beta_warmup_steps, free_bits=train.free_bits, seed=train.seed,
               prior=prior, name=model.family)


def _encoder(model, representation):
    """The biLSTM encoder part: flat over the segment, or a biLSTM per subsequence and one over
    their summaries when ``model.encoder_subsequences`` > 0 (a ``UsageError`` unless it divides the
    segment's steps)."""
    from mguv.models.lstm_vae import BiLstmEncoder

    parts, steps = model.encoder_subsequences, representation.segment_steps
    if not parts:
        return BiLstmEncoder(model.encoder_units, model.encoder_layers, model.dropout, name="encoder")
    if parts < 0 or steps % parts:
        raise UsageError(f"model.encoder_subsequences={parts} must divide segment_steps {steps} (0 = flat)")
    from mguv.models.hier_vae import HierarchicalEncoder

    return HierarchicalEncoder(model.encoder_units, parts, model.dropout, name="encoder")


def _vector_prior(model, train):
    """The learned prior of a VAE with one latent vector (``model.prior`` "lstm": an autoregressive
    Gaussian over chunks of ``prior_chunk`` values of z, fitted after training), or None ("none")."""
    if model.prior not in ("lstm", "none"):
        raise UsageError(f"model.prior={model.prior!r}: choose lstm or none")
    if model.prior == "none":
        return None
    if model.prior_chunk < 1 or model.latent_dim % model.prior_chunk:
        raise UsageError(f"model.prior_chunk={model.prior_chunk} must divide model.latent_dim={model.latent_dim}")
    from mguv.models.latent_prior import LatentPrior

    return LatentPrior(model.prior_chunk, model.prior_units, model.prior_layers, seed=train.seed, name="prior")


# The VAE families.
@model_family
@dataclasses.dataclass(frozen=True)
class LstmVaeModel:
    """Hyperparameters of the LSTM-VAE (biLSTM encoder, autoregressive LSTM decoder).

    Attributes:
      latent_dim: size of z.
      encoder_units: LSTM units per direction.
      encoder_layers: stacked bidirectional layers.
      encoder_subsequences: 0 reads the segment with one biLSTM; U > 0 reads each of U equal parts
        (the bars) with a biLSTM and their summaries with another (``HierarchicalEncoder``; one
        layer each, so encoder_layers is then unused).
      decoder_units: LSTM units per decoder layer.
      decoder_layers: stacked decoder layers.
      dropout: input dropout inside every LSTM.
      input_dropout: word dropout on the decoder's teacher-forced inputs (probability per step);
        1 makes the decoder inputless: it reads every step from z, never from the steps before.
      scheduled_sampling: probability per step of feeding the decoder its own greedy prediction
        instead of the data in training (parallel scheduled sampling; 0 = teacher forcing).
      output: the decoder's distribution over the channels of a step: "bernoulli" (independent),
        "nade" (joint, ``mguv.models.nade``: the notes of a chord are drawn knowing each other) or
        "melody" (one class per step, ``mguv.models.melody``: for monophonic melodies).
      nade_units: hidden units of the NADE.
      prior: "none" samples z ~ N(0, I); "lstm" fits a prior over z after training (stage two,
        ``mguv.models.latent_prior``: z read as chunks of ``prior_chunk`` values, each Gaussian
        given the chunks before it), which ``sample`` and the SavedModel draw from. With a small
        beta, z ~ N(0, I) lands where no training segment's code is, and decodes to stray notes.
      prior_units, prior_layers, prior_chunk: the prior's LSTMs and the values of z per step.
      prior_epochs, prior_learning_rate: stage two (Adam, early stopping on validation NLL).
    """

    family: str = dataclasses.field(default="lstm_vae", init=False)
    latent_dim: int = 64
    encoder_units: int = 256
    encoder_layers: int = 1
    encoder_subsequences: int = 0
    decoder_units: int = 256
    decoder_layers: int = 2
    dropout: float = 0.1
    input_dropout: float = 0.0
    scheduled_sampling: float = 0.0
    output: str = "bernoulli"
    nade_units: int = 128
    prior: str = "none"
    prior_units: int = 128
    prior_layers: int = 1
    prior_chunk: int = 8
    prior_epochs: int = 60
    prior_learning_rate: float = 1e-3

    def build(self, representation, train):
        """The unbuilt, uncompiled VAE on piano-rolls [batch, segment_steps, channels], 0/1."""
        check_output(self)
        from mguv.models.lstm_vae import LstmDecoder

        rep = representation
        return _vae(self, train, _encoder(self, rep),
                    LstmDecoder(rep.segment_steps, rep.channels, self.decoder_units, self.decoder_layers,
                                self.dropout, self.input_dropout, train.pos_weight, self.scheduled_sampling,
                                self.output, self.nade_units, pitch_groups=pitch_groups_of(rep), name="decoder"),
                    _vector_prior(self, train))


@model_family
@dataclasses.dataclass(frozen=True)
class ConvVaeModel:
    """Hyperparameters of the temporal 1D-ResNet audio VAE (``mguv.models.conv_vae``).

    Attributes:
      latent_dim: latent channels per frame (the latent is a sequence of ``frames`` vectors).
      channels: channels after each strided convolution.
      strides: downsampling per level; prod(strides) samples per latent frame.
      features: encoder output channels per frame.
      stft_weight: weight of the log-magnitude multi-resolution spectral term next to the Laplace
        NLL, per valid sample (``mguv.models.audio_losses.spectral_loss``).
      upsample: the decoder's upsampling: "nearest" (repeat, then convolve; no tones on silence),
        "linear" (repeat, average over the stride, convolve) or "transposed" (strided transposed
        convolutions, the old decoder: tones at sample_rate / stride, even on silence).
      prior: "lstm" fits an autoregressive prior over the latent frames after training
        (``mguv.models.latent_prior``), which ``sample`` uses; "none" samples z ~ N(0, I).
      prior_units, prior_layers: the prior's LSTMs.
      prior_epochs, prior_learning_rate: stage two (Adam, early stopping on validation NLL).
    """

    family: str = dataclasses.field(default="conv_vae", init=False)
    latent_dim: int = 16
    channels: tuple = (16, 32, 64, 128)
    strides: tuple = (4, 4, 4, 4)
    features: int = 64
    stft_weight: float = 0.1
    upsample: str = "nearest"
    prior: str = "lstm"
    prior_units: int = 128
    prior_layers: int = 2
    prior_epochs: int = 30
    prior_learning_rate: float = 1e-3

    def build(self, representation, train):
        """The unbuilt, uncompiled VAE on audio clips [batch, clip_samples, 1] (any length: it
        trains on crops of ``train.crop_seconds``)."""
        if self.prior not in ("lstm", "none"):
            raise UsageError(f"model.prior={self.prior!r}: choose lstm or none")
        if train.crop_seconds * representation.sample_rate > representation.clip_samples:
            raise UsageError(f"crop_seconds={train.crop_seconds:g} is longer than the "
                             f"{representation.clip_seconds:g} s clips")
        from mguv.models.conv_vae import ConvDecoder, ConvEncoder
        from mguv.models.latent_prior import LatentPrior

        prior = (LatentPrior(self.latent_dim, self.prior_units, self.prior_layers, seed=train.seed, name="prior")
                 if self.prior == "lstm" else None)
        return _vae(self, train, ConvEncoder(self.channels, self.strides, self.features, name="encoder"),
                    ConvDecoder(representation.clip_samples, self.channels, self.strides, self.stft_weight,
                                self.upsample, name="decoder"), prior)


@model_family(default_config="conv_vae-paper")
@dataclasses.dataclass(frozen=True)
class PaperConvVaeModel:
    """The GTZAN-jazz notebook's convolutional VAE (see ``mguv.models.conv_vae_paper.PaperConvEncoder``)."""

    family: str = dataclasses.field(default="conv_vae_paper", init=False)
    latent_dim: int = 2
    encoder_filters: tuple = (64, 128, 128, 256)
    decoder_filters: tuple = (256, 128, 64)

    def build(self, representation, train):
        """The unbuilt, uncompiled VAE on audio clips [batch, clip_samples, 1]."""
        if train.crop_seconds:
            raise UsageError("conv_vae-paper takes whole clips (its first layer spans the clip); "
                             "set crop_seconds=0")
        from mguv.models.conv_vae_paper import PaperConvDecoder, PaperConvEncoder

        return _vae(self, train, PaperConvEncoder(self.encoder_filters, name="encoder"),
                    PaperConvDecoder(representation.clip_samples, self.decoder_filters, name="decoder"))


@model_family
@dataclasses.dataclass(frozen=True)
class HierVaeModel:
    """MusicVAE's hierarchical decoder on the VAE base (``mguv.models.hier_vae``): biLSTM encoder, a
    conductor LSTM giving one embedding per subsequence, and an LSTM decoder per subsequence.

    Attributes:
      num_subsequences: U; must divide the segment's steps (8 x 4 steps for 32).
      conductor_units, conductor_layers: the conductor LSTM.
      carry_last_step: each subsequence's first input is the last step of the one before, as in
        MusicVAE (False: zeros, every subsequence decoded from its embedding alone).
      (The others as in ``LstmVaeModel``; decoder_* and output are the lower decoder's, prior_* z's.)
    """

    family: str = dataclasses.field(default="hier_vae", init=False)
    latent_dim: int = 64
    encoder_units: int = 256
    encoder_layers: int = 1
    encoder_subsequences: int = 0
    num_subsequences: int = 8
    conductor_units: int = 256
    conductor_layers: int = 2
    carry_last_step: bool = False
    decoder_units: int = 256
    decoder_layers: int = 2
    dropout: float = 0.1
    input_dropout: float = 0.0
    scheduled_sampling: float = 0.0
    output: str = "bernoulli"
    nade_units: int = 128
    prior: str = "none"
    prior_units: int = 128
    prior_layers: int = 1
    prior_chunk: int = 8
    prior_epochs: int = 60
    prior_learning_rate: float = 1e-3

    def build(self, representation, train):
        """The unbuilt, uncompiled VAE on piano-rolls [batch, segment_steps, channels], 0/1;
        a ``UsageError`` when num_subsequences does not divide segment_steps."""
        check_output(self)
        steps = representation.segment_steps
        if steps % self.num_subsequences:
            raise UsageError(f"num_subsequences {self.num_subsequences} must divide segment_steps {steps}")
        from mguv.models.hier_vae import HierarchicalDecoder
        from mguv.models.lstm_vae import LstmDecoder

        core = LstmDecoder(steps // self.num_subsequences, representation.channels, units=self.decoder_units,
                           num_layers=self.decoder_layers, dropout=self.dropout, input_dropout=self.input_dropout,
                           pos_weight=train.pos_weight, scheduled_sampling=self.scheduled_sampling, output=self.output,
                           nade_units=self.nade_units,
                           pitch_groups=pitch_groups_of(representation), name="core")
        return _vae(self, train, _encoder(self, representation),
                    HierarchicalDecoder(core, self.num_subsequences, self.conductor_units, self.conductor_layers,
                                        self.carry_last_step, name="decoder"), _vector_prior(self, train))

