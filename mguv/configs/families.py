"""The model families: one frozen dataclass of hyperparameters per family, registered by its
``@model_family`` decorator (the one place a family is named), whose ``build(representation, train)``
returns the family's uncompiled Keras model. Each ``build`` imports its model module when called,
so importing the configs does not import Keras or TensorFlow.

The VAE families (lstm_vae, conv_vae, conv_vae_paper, hier_vae) are the one VAE base
(``mguv.models.vae.VAE``, the ELBO) with the family's encoder and decoder; the other families of
the Bach study (lstm, lstm_attention, vq_vae, wgan) are models of their own, each with its own
``train_step``. Every model is named after its family.
"""

import dataclasses

from mguv.configs.registry import model_family
from mguv.errors import UsageError

OUTPUTS = ("bernoulli", "nade", "melody")  # as mguv.models.nade.OUTPUTS; the configs import no Keras


def _check_output(model, outputs=OUTPUTS):
    """A ``UsageError`` unless ``model.output`` is one of ``outputs`` and nade_units is positive."""
    if model.output not in outputs:
        raise UsageError(f"model.output={model.output!r}: choose one of {', '.join(outputs)}")
    if model.nade_units < 1:
        raise UsageError(f"model.nade_units={model.nade_units}: must be at least 1")


def _pitch_groups(representation):
    """Blocks of channels in a step: 2 for a roll with onsets (what sounds, then what starts), else 1."""
    return representation.channels // representation.num_pitches


def _vae(model, train, encoder, decoder, prior=None):
    """The VAE base around ``encoder`` and ``decoder`` (and a learned ``prior``, or None), with the
    recipe's beta, free bits and seed."""
    from mguv.models.vae import VAE

    return VAE(encoder, decoder, latent_dim=model.latent_dim, beta=train.beta,
               beta_warmup_steps=train.beta_warmup_steps, free_bits=train.free_bits, seed=train.seed,
               prior=prior, name=model.family)


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
      decoder_units: LSTM units per decoder layer.
      decoder_layers: stacked decoder layers.
      dropout: input dropout inside every LSTM.
      input_dropout: word dropout on the decoder's teacher-forced inputs (probability per step).
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
        _check_output(self)
        from mguv.models.lstm_vae import BiLstmEncoder, LstmDecoder

        rep = representation
        return _vae(self, train, BiLstmEncoder(self.encoder_units, self.encoder_layers, self.dropout, name="encoder"),
                    LstmDecoder(rep.segment_steps, rep.channels, self.decoder_units, self.decoder_layers,
                                self.dropout, self.input_dropout, train.pos_weight, self.scheduled_sampling,
                                self.output, self.nade_units, pitch_groups=_pitch_groups(rep), name="decoder"),
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
      (The others as in ``LstmVaeModel``; decoder_* and output are the lower decoder's, prior_* z's.)
    """

    family: str = dataclasses.field(default="hier_vae", init=False)
    latent_dim: int = 64
    encoder_units: int = 256
    encoder_layers: int = 1
    num_subsequences: int = 8
    conductor_units: int = 256
    conductor_layers: int = 2
    decoder_units: int = 256
    decoder_layers: int = 2
    dropout: float = 0.1
    input_dropout: float = 0.0
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
        _check_output(self)
        steps = representation.segment_steps
        if steps % self.num_subsequences:
            raise UsageError(f"num_subsequences {self.num_subsequences} must divide segment_steps {steps}")
        from mguv.models.hier_vae import HierarchicalDecoder
        from mguv.models.lstm_vae import BiLstmEncoder, LstmDecoder

        core = LstmDecoder(steps // self.num_subsequences, representation.channels, units=self.decoder_units,
                           num_layers=self.decoder_layers, dropout=self.dropout, input_dropout=self.input_dropout,
                           pos_weight=train.pos_weight, output=self.output, nade_units=self.nade_units,
                           pitch_groups=_pitch_groups(representation), name="core")
        return _vae(self, train, BiLstmEncoder(self.encoder_units, self.encoder_layers, self.dropout, name="encoder"),
                    HierarchicalDecoder(core, self.num_subsequences, self.conductor_units, self.conductor_layers,
                                        name="decoder"), _vector_prior(self, train))


# The families that are not VAEs.
@model_family
@dataclasses.dataclass(frozen=True)
class NextStepLstmModel:
    """The autoregressive LSTM baseline (``mguv.models.lstm``): predicts the next step.

    Attributes:
      units, num_layers, dropout: the LSTMs (512 x 2, dropout 0.5 in the Bach study).
      top_k: when sampling, only the k most probable pitches of a step may sound (0 = any);
        Bernoulli output only.
      output: "bernoulli" (independent notes) or "nade" (RNN-NADE: a NADE over each step).
      nade_units: hidden units of the NADE.
    """

    family: str = dataclasses.field(default="lstm", init=False)
    units: int = 512
    num_layers: int = 2
    dropout: float = 0.5
    top_k: int = 4
    output: str = "bernoulli"
    nade_units: int = 128

    def build(self, representation, train):
        """The unbuilt, uncompiled model of piano-rolls [batch, segment_steps, channels], 0/1."""
        _check_output(self, OUTPUTS[:2])
        if self.output == "nade" and self.top_k:
            raise UsageError(f"model.top_k={self.top_k} needs model.output=bernoulli; set model.top_k=0 "
                             "with the NADE (it draws each note knowing the others)")
        from mguv.models.lstm import NextStepLstm

        return NextStepLstm(representation.segment_steps, representation.channels, self.units,
                            self.num_layers, self.dropout, self.top_k, seed=train.seed,
                            pitch_groups=_pitch_groups(representation),
                            output=self.output, nade_units=self.nade_units, name=self.family)


@model_family
@dataclasses.dataclass(frozen=True)
class AttentionLstmModel:
    """LSTMs + attention over a window of their outputs + one head per voice
    (``mguv.models.lstm_attention``).

    Attributes:
      units, num_layers: the LSTMs.
      num_heads: attention heads.
      window: attention span in steps: each step attends to itself and the window - 1 before it.
      num_voices: output heads, highest note first and the bass last (4 = SATB).
      head_units: hidden units of each head (Dense -> ReLU -> dropout -> Dense).
      dropout: after each LSTM and inside each head.
      top_k: when sampling, each voice picks among its k most likely classes, rest included (0 = all).
    """

    family: str = dataclasses.field(default="lstm_attention", init=False)
    units: int = 256
    num_layers: int = 2
    num_heads: int = 4
    window: int = 16
    num_voices: int = 4
    head_units: int = 128
    dropout: float = 0.3
    top_k: int = 5

    def __post_init__(self):
        if self.num_voices < 2 or self.window < 1:
            raise ValueError("num_voices must be at least 2 and window at least 1")

    def build(self, representation, train):
        """The unbuilt, uncompiled model of piano-rolls [batch, segment_steps, channels], 0/1 (with
        onsets, each voice holds or strikes its pitch)."""
        from mguv.models.lstm_attention import AttentionLstm


        return AttentionLstm(representation.segment_steps, representation.num_pitches, self.units,
                             self.num_layers, self.num_heads, self.window, self.num_voices, self.head_units,
                             self.dropout, self.top_k, seed=train.seed, onsets=representation.onsets,
                             name=self.family)


@model_family
@dataclasses.dataclass(frozen=True)
class VqVaeModel:
    """VQ-VAE over short patterns with an EMA codebook, then an LSTM prior over the codes
    (``mguv.models.vq_vae``, ``mguv.models.code_prior``).

    Attributes:
      pattern_steps: steps per pattern, one code each; must divide the segment's steps.
      codebook_size, code_dim: the codebook.
      hidden_units: the encoder and decoder MLPs.
      decay: EMA decay of the codebook.
      commitment: weight of the commitment loss.
      dead_code_threshold: a code used by fewer vectors per batch (EMA) is re-initialised.
      prior_units, prior_layers, prior_dropout: the code prior's LSTMs.
      prior_epochs, prior_learning_rate: stage two (Adam, early stopping on validation NLL).
      top_k: when sampling, codes come from the prior's k most likely (0 = all).
    """

    family: str = dataclasses.field(default="vq_vae", init=False)
    pattern_steps: int = 4
    codebook_size: int = 64
    code_dim: int = 64
    hidden_units: int = 256
    decay: float = 0.99
    commitment: float = 0.25
    dead_code_threshold: float = 0.1
    prior_units: int = 256
    prior_layers: int = 2
    prior_dropout: float = 0.1
    prior_epochs: int = 30
    prior_learning_rate: float = 1e-3
    top_k: int = 0

    def build(self, representation, train):
        """The unbuilt, uncompiled model of piano-rolls [batch, segment_steps, channels], 0/1;
        a ``UsageError`` when pattern_steps does not divide segment_steps."""
        steps = representation.segment_steps
        if steps % self.pattern_steps:
            raise UsageError(f"pattern_steps {self.pattern_steps} must divide segment_steps {steps}")
        from mguv.models.vq_vae import VQVAE

        return VQVAE(steps, representation.channels, self.pattern_steps, self.codebook_size, self.code_dim,
                     self.hidden_units, self.decay, self.commitment, self.dead_code_threshold, train.pos_weight,
                     self.prior_units, self.prior_layers, self.prior_dropout, self.top_k, seed=train.seed,
                     pitch_groups=_pitch_groups(representation), name=self.family)


@model_family
@dataclasses.dataclass(frozen=True)
class WganModel:
    """A Wasserstein GAN of LSTM + multi-head attention networks (``mguv.models.wgan``).

    Attributes:
      latent_dim: size of z ~ N(0, I).
      generator_units, critic_units: LSTM units (the critic is the smaller).
      num_heads: attention heads.
      n_critic: critic updates per generator update.
      clip_value: critic weight clipping (used when gp = 0).
      gp: gradient-penalty weight; > 0 (e.g. 10) trains WGAN-GP instead of clipping.
      critic_learning_rate: the critic's; the generator's is train.learning_rate.
    """

    family: str = dataclasses.field(default="wgan", init=False)
    latent_dim: int = 64
    generator_units: int = 256
    critic_units: int = 128
    num_heads: int = 4
    n_critic: int = 5
    clip_value: float = 0.01
    gp: float = 0.0
    critic_learning_rate: float = 2e-4

    def build(self, representation, train):
        """The unbuilt, uncompiled GAN: its call() maps z [batch, latent_dim] to piano-rolls
        [batch, segment_steps, channels] in [0, 1]."""
        from mguv.models.wgan import WGAN

        return WGAN(representation.segment_steps, representation.channels, self.latent_dim,
                    self.generator_units, self.critic_units, self.num_heads, self.n_critic, self.clip_value,
                    self.gp, self.critic_learning_rate, seed=train.seed, name=self.family)
