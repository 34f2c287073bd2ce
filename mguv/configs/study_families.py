"""The families of the Bach study that are not VAEs (lstm, lstm_attention, vq_vae, wgan): models of
their own, each with its own ``train_step``, registered like the VAE families of
``mguv.configs.families`` (see there).
"""

import dataclasses

from mguv.configs.families import check_output, pitch_groups_of
from mguv.configs.registry import model_family
from mguv.errors import UsageError


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
        check_output(self, ("bernoulli", "nade"))  # the melody output is for VAE decoders
        if self.output == "nade" and self.top_k:
            raise UsageError(f"model.top_k={self.top_k} needs model.output=bernoulli; set model.top_k=0 "
                             "with the NADE (it draws each note knowing the others)")
        from mguv.models.lstm import NextStepLstm

        return NextStepLstm(representation.segment_steps, representation.channels, self.units,
                            self.num_layers, self.dropout, self.top_k, seed=train.seed,
                            pitch_groups=pitch_groups_of(representation),
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
                     pitch_groups=pitch_groups_of(representation), name=self.family)


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
