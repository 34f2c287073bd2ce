"""Named configurations: frozen dataclasses in one registry, overridable from the command line.

A ``Config`` bundles the representation (what the data means), the model's hyperparameters and the
training recipe. Every run writes its resolved config to ``RUN/config.json``.

Overrides use ``--set key=value``; ``key`` is ``section.field`` (``train.beta=0.5``) or a bare
field name when only one section has it (``beta=0.5`` sets the beta-VAE weight).
"""

import dataclasses
import difflib
import json
import typing

from mguv import representation as representations
from mguv.errors import UsageError


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
    """

    family: str = "lstm_vae"
    latent_dim: int = 64
    encoder_units: int = 256
    encoder_layers: int = 1
    decoder_units: int = 256
    decoder_layers: int = 2
    dropout: float = 0.1
    input_dropout: float = 0.0
    scheduled_sampling: float = 0.0


@dataclasses.dataclass(frozen=True)
class ConvVaeModel:
    """Hyperparameters of the temporal 1D-ResNet audio VAE (``mguv.models.conv_vae``).

    Attributes:
      latent_dim: latent channels per frame (the latent is a sequence of ``frames`` vectors).
      channels: channels after each strided convolution.
      strides: downsampling per level; prod(strides) samples per latent frame.
      features: encoder output channels per frame.
      stft_weight: weight of the multi-resolution STFT term next to the Laplace NLL.
    """

    family: str = "conv_vae"
    latent_dim: int = 16
    channels: tuple = (16, 32, 64, 128)
    strides: tuple = (4, 4, 4, 4)
    features: int = 64
    stft_weight: float = 1000.0


@dataclasses.dataclass(frozen=True)
class PaperConvVaeModel:
    """The GTZAN-jazz notebook's convolutional VAE (see ``mguv.models.conv_vae_paper.PaperConvEncoder``)."""

    family: str = "conv_vae_paper"
    latent_dim: int = 2
    encoder_filters: tuple = (64, 128, 128, 256)
    decoder_filters: tuple = (256, 128, 64)


@dataclasses.dataclass(frozen=True)
class HierVaeModel:
    """MusicVAE's hierarchical decoder on the VAE base (``mguv.models.hier_vae``): biLSTM encoder, a
    conductor LSTM giving one embedding per subsequence, and an LSTM decoder per subsequence.

    Attributes:
      num_subsequences: U; must divide the segment's steps (8 x 4 steps for 32).
      conductor_units, conductor_layers: the conductor LSTM.
      (The others as in ``LstmVaeModel``; decoder_* is the lower decoder.)
    """

    family: str = "hier_vae"
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


@dataclasses.dataclass(frozen=True)
class NextStepLstmModel:
    """The autoregressive LSTM baseline (``mguv.models.lstm``): predicts the next step.

    Attributes:
      units, num_layers, dropout: the LSTMs (512 x 2, dropout 0.5 in the Bach study).
      top_k: when sampling, only the k most probable pitches of a step may sound (0 = any).
    """

    family: str = "lstm"
    units: int = 512
    num_layers: int = 2
    dropout: float = 0.5
    top_k: int = 4


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

    family: str = "lstm_attention"
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

    family: str = "vq_vae"
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

    family: str = "wgan"
    latent_dim: int = 64
    generator_units: int = 256
    critic_units: int = 128
    num_heads: int = 4
    n_critic: int = 5
    clip_value: float = 0.01
    gp: float = 0.0
    critic_learning_rate: float = 2e-4


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """The training recipe.

    Attributes:
      epochs, batch_size: the usual.
      optimizer, learning_rate, weight_decay, clipnorm: "adamw" (or the notebook's "adam", plain
        "sgd", or "rmsprop" as in the original WGAN) with global-norm gradient clipping (0 = none).
      beta: final KL weight (1 = the ELBO; other values make a beta-VAE).
      beta_warmup_steps: KL annealing from 0 to beta over this many optimizer steps.
      free_bits: nats of KL per segment that cost nothing.
      pos_weight: BCE weight of active cells (counters sparse rolls).
      transpose: random transposition augmentation, max semitones (0 = off).
      split: "file" (no tune on both sides) or "segment" (the paper's random segment split).
      val_fraction: held-out fraction.
      early_stopping_patience, reduce_lr_patience: epochs without val_loss improvement.
      jit_compile: compile train/test steps with XLA.
      seed: seeds the split, shuffling, augmentation and the model's noise.
    """

    epochs: int = 30
    batch_size: int = 64
    optimizer: str = "adamw"
    learning_rate: float = 3e-4
    weight_decay: float = 1e-4
    clipnorm: float = 1.0
    beta: float = 1.0
    beta_warmup_steps: int = 2000
    free_bits: float = 0.0
    pos_weight: float = 2.0
    transpose: int = 0
    split: str = "file"
    val_fraction: float = 0.15
    early_stopping_patience: int = 6
    reduce_lr_patience: int = 3
    jit_compile: bool = False
    seed: int = 0

    def __post_init__(self):
        if self.split not in ("file", "segment"):
            raise ValueError(f"split must be 'file' or 'segment', not {self.split!r}")
        if not 0.0 < self.val_fraction < 1.0:
            raise ValueError("val_fraction must be between 0 and 1")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be positive")
        if self.optimizer not in ("adamw", "adam", "sgd", "rmsprop"):
            raise ValueError(f"optimizer must be 'adamw', 'adam', 'sgd' or 'rmsprop', not {self.optimizer!r}")


@dataclasses.dataclass(frozen=True)
class Config:
    """A named, complete recipe: representation + model + training."""

    name: str
    description: str
    representation: object  # a PianoRoll or an AudioClip
    model: object  # one of the *Model dataclasses above (its ``family`` picks the model class)
    train: TrainConfig

    @property
    def mode(self):
        return self.representation.mode

    def to_dict(self):
        return {
            "name": self.name,
            "description": self.description,
            "representation": self.representation.to_dict(),
            "model": dataclasses.asdict(self.model),
            "train": dataclasses.asdict(self.train),
        }

    def to_json(self):
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)


_MODEL_CLASSES = {"lstm_vae": LstmVaeModel, "conv_vae": ConvVaeModel, "conv_vae_paper": PaperConvVaeModel,
                  "hier_vae": HierVaeModel, "lstm": NextStepLstmModel, "lstm_attention": AttentionLstmModel,
                  "vq_vae": VqVaeModel, "wgan": WganModel}
FAMILIES = tuple(_MODEL_CLASSES)
SECTIONS = ("representation", "model", "train")


def from_dict(d):
    """Rebuilds a ``Config`` from ``to_dict()`` output (e.g. a run's config.json)."""
    model = {k: tuple(v) if isinstance(v, list) else v for k, v in d["model"].items()}
    return Config(
        name=d["name"],
        description=d.get("description", ""),
        representation=representations.from_dict(d["representation"]),
        model=_MODEL_CLASSES[model.get("family", "lstm_vae")](**model),
        train=TrainConfig(**d["train"]),
    )


_REGISTRY = {}


def register(config):
    _REGISTRY[config.name] = config
    return config


register(Config(
    name="lstm_vae",
    description="The default symbolic LSTM-VAE: 2-bar segments (32 steps at 4 per beat), C3..B5.",
    representation=representations.PianoRoll(),
    model=LstmVaeModel(),
    train=TrainConfig(),
))
register(Config(
    name="lstm_vae-demo",
    description="A small LSTM-VAE that trains in minutes on a laptop CPU (used by `make demo`).",
    representation=representations.PianoRoll(),
    model=LstmVaeModel(latent_dim=32, encoder_units=128, decoder_units=128, decoder_layers=1),
    train=TrainConfig(epochs=40, batch_size=64, learning_rate=1e-3, beta_warmup_steps=800),
))
register(Config(
    name="lstm_vae-paper",
    description="The Nottingham LSTM-VAE paper's recipe as written: biLSTM encoder, autoregressive LSTM "
                "decoder, KL annealing 0->1, weighted BCE, AdamW 3e-4 / 1e-4, clipping, dropout, "
                "LR-on-plateau and early stopping, 85:15 random segment split. The paper leaves the "
                "sizes out: latent 32, 128 encoder units per direction, one 256-unit decoder layer.",
    representation=representations.PianoRoll(),
    model=LstmVaeModel(latent_dim=32, encoder_units=128, decoder_units=256, decoder_layers=1, dropout=0.2),
    train=TrainConfig(epochs=100, batch_size=64, learning_rate=3e-4, weight_decay=1e-4, clipnorm=1.0,
                      beta=1.0, beta_warmup_steps=2000, pos_weight=2.0, split="segment"),
))
register(Config(
    name="lstm_vae-nottingham",
    description="mguv's best Nottingham recipe (benchmarks/nottingham.py): the paper's model with a "
                "64-d z, beta 0.2, decoder word dropout 0.5 (the decoder must read the segment from "
                "z), batch 256 at lr 2e-3 so that a 2-core CPU sees many epochs.",
    representation=representations.PianoRoll(),
    model=LstmVaeModel(latent_dim=64, encoder_units=128, decoder_units=128, decoder_layers=1, dropout=0.1,
                       input_dropout=0.5),
    train=TrainConfig(epochs=200, batch_size=256, learning_rate=2e-3, weight_decay=1e-4, clipnorm=1.0,
                      beta=0.2, beta_warmup_steps=600, pos_weight=2.0, split="segment",
                      early_stopping_patience=8),
))
register(Config(
    name="lstm_vae-tiny",
    description="A tiny LSTM-VAE for tests and smoke runs (seconds per epoch).",
    representation=representations.PianoRoll(),
    model=LstmVaeModel(latent_dim=8, encoder_units=16, decoder_units=16, decoder_layers=1),
    train=TrainConfig(epochs=1, batch_size=32, learning_rate=1e-3, beta_warmup_steps=10),
))


register(Config(
    name="conv_vae",
    description="Audio: a temporal 1D-ResNet VAE on 30 s, 3 kHz clips; 256x downsampling to a latent "
                "sequence (352 frames x 16), Laplace + multi-resolution STFT reconstruction.",
    representation=representations.AudioClip(),
    model=ConvVaeModel(),
    # 8 epochs of the 351 rendered Bach clips take about 9 minutes on 2 CPU cores, so the default
    # `train.py --mode audio` finishes in under 15; give real corpora more with --epochs.
    train=TrainConfig(epochs=8, batch_size=8, learning_rate=1e-3, beta=1.0, beta_warmup_steps=300,
                      early_stopping_patience=8),
))
register(Config(
    name="conv_vae-paper",
    description="Audio: the GTZAN-jazz notebook's conv VAE, faithful in shapes: (1, 90001) input, "
                "kernel-1 convolutions, latent 2, Adam 3e-4, BCE on audio mapped to [0, 1].",
    representation=representations.AudioClip(clip_samples=90001),
    model=PaperConvVaeModel(),
    train=TrainConfig(epochs=30, batch_size=8, optimizer="adam", learning_rate=3e-4, weight_decay=0.0,
                      clipnorm=0.0, beta=1.0, beta_warmup_steps=0, pos_weight=1.0,
                      early_stopping_patience=8),
))
register(Config(
    name="conv_vae-tiny",
    description="A tiny audio VAE on 1 s clips for tests and smoke runs.",
    representation=representations.AudioClip(clip_samples=3000),
    model=ConvVaeModel(latent_dim=4, channels=(8, 8), strides=(4, 4), features=8),
    train=TrainConfig(epochs=1, batch_size=4, learning_rate=1e-3, beta_warmup_steps=10),
))


# The Bach study's families. They default to its data: 88-key rolls (MIDI 21..108, A0..C8) of the
# Bach chorales, 32 steps at 4 per beat. `--set adaptive_step=true --set steps_per_beat=2` gives
# its adaptive time step instead.
BACH88 = representations.PianoRoll(min_pitch=21, num_pitches=88)
_NEXT_STEP_TRAIN = TrainConfig(optimizer="adam", learning_rate=1e-3, weight_decay=0.0, beta_warmup_steps=0,
                               pos_weight=1.0)
_TINY_TRAIN = TrainConfig(epochs=1, batch_size=32, learning_rate=1e-3, beta_warmup_steps=10)

register(Config(
    name="lstm_vae-bach88",
    description="The LSTM-VAE on the Bach study's 88-key rolls (the VAE baseline of benchmarks/compare.py).",
    representation=BACH88,
    model=LstmVaeModel(),
    train=TrainConfig(learning_rate=1e-3, beta_warmup_steps=400),
))
register(Config(
    name="hier_vae",
    description="MusicVAE's hierarchical decoder (conductor LSTM, 8 subsequences of 4 steps) on the VAE "
                "base; 88-key Bach rolls.",
    representation=BACH88,
    model=HierVaeModel(),
    train=TrainConfig(learning_rate=1e-3, beta_warmup_steps=400),
))
register(Config(
    name="lstm",
    description="Autoregressive LSTM baseline: 2 x 512, dropout 0.5, Adam 1e-3, next-step BCE; top-k "
                "sampling; 88-key Bach rolls.",
    representation=BACH88,
    model=NextStepLstmModel(),
    train=_NEXT_STEP_TRAIN,
))
register(Config(
    name="lstm_attention",
    description="2 LSTM layers, attention over a 16-step window, one head per voice (SATB); 88-key "
                "Bach rolls.",
    representation=BACH88,
    model=AttentionLstmModel(),
    train=_NEXT_STEP_TRAIN,
))
register(Config(
    name="vq_vae",
    description="VQ-VAE over 4-step patterns (EMA codebook of 64, commitment 0.25, dead-code reinit), "
                "then an LSTM prior over the codes; 88-key Bach rolls.",
    representation=BACH88,
    model=VqVaeModel(),
    train=TrainConfig(optimizer="adam", learning_rate=1e-3, weight_decay=0.0, beta_warmup_steps=0),
))
register(Config(
    name="wgan",
    description="WGAN, LSTM + multi-head attention generator and critic; weight clipping 0.01 "
                "(--set gp=10 for WGAN-GP), RMSprop 1e-4 (G) / 2e-4 (D), 5 critic steps; 88-key Bach rolls.",
    representation=BACH88,
    model=WganModel(),
    train=TrainConfig(optimizer="rmsprop", learning_rate=1e-4, weight_decay=0.0, clipnorm=0.0,
                      beta_warmup_steps=0, pos_weight=1.0),
))
register(Config(
    name="hier_vae-tiny",
    description="A tiny hierarchical VAE for tests and smoke runs.",
    representation=representations.PianoRoll(),
    model=HierVaeModel(latent_dim=8, encoder_units=16, conductor_units=16, conductor_layers=1,
                       decoder_units=16, decoder_layers=1),
    train=_TINY_TRAIN,
))
register(Config(
    name="lstm-tiny",
    description="A tiny next-step LSTM for tests and smoke runs.",
    representation=representations.PianoRoll(),
    model=NextStepLstmModel(units=16, num_layers=1),
    train=dataclasses.replace(_TINY_TRAIN, optimizer="adam"),
))
register(Config(
    name="lstm_attention-tiny",
    description="A tiny attention LSTM for tests and smoke runs.",
    representation=representations.PianoRoll(),
    model=AttentionLstmModel(units=16, num_layers=1, num_heads=2, window=8, head_units=16),
    train=dataclasses.replace(_TINY_TRAIN, optimizer="adam"),
))
register(Config(
    name="vq_vae-tiny",
    description="A tiny VQ-VAE and code prior for tests and smoke runs.",
    representation=representations.PianoRoll(),
    model=VqVaeModel(codebook_size=8, code_dim=8, hidden_units=16, prior_units=16, prior_layers=1,
                     prior_epochs=1),
    train=dataclasses.replace(_TINY_TRAIN, optimizer="adam"),
))
register(Config(
    name="wgan-tiny",
    description="A tiny WGAN for tests and smoke runs.",
    representation=representations.PianoRoll(),
    model=WganModel(latent_dim=8, generator_units=16, critic_units=8, num_heads=2, n_critic=2),
    train=dataclasses.replace(_TINY_TRAIN, optimizer="rmsprop", learning_rate=1e-4, clipnorm=0.0),
))

# `train.py --model FAMILY` picks this config (the family's own name unless listed here).
_FAMILY_DEFAULTS = {"conv_vae_paper": "conv_vae-paper"}


def family_config(family):
    """The name of the default config of a model family (``train.py --model``)."""
    if family not in _MODEL_CLASSES:
        raise UsageError(f"unknown model family {family!r}; choose from {', '.join(FAMILIES)}")
    return _FAMILY_DEFAULTS.get(family, family)


def names(mode=None):
    """Registered config names, optionally only those of one mode ("symbolic" or "audio")."""
    return sorted(n for n, c in _REGISTRY.items() if mode is None or c.mode == mode)


def get(name):
    """The registered config called ``name``; an unknown name is a ``UsageError``."""
    if name not in _REGISTRY:
        close = difflib.get_close_matches(name, names(), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UsageError(f"unknown config {name!r}{hint}; choose from {', '.join(names())}")
    return _REGISTRY[name]


def _parse_value(text, annotation, key):
    try:
        if annotation is bool:
            if text.lower() in ("1", "true", "yes", "on"):
                return True
            if text.lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError(text)
        if annotation is tuple:
            return tuple(int(v) for v in text.strip("()[] ").split(",") if v.strip())
        return annotation(text)
    except ValueError:
        raise UsageError(f"--set {key}={text}: expected a {annotation.__name__}") from None


def override(config, assignments):
    """Applies ``key=value`` strings to ``config`` and returns the new (frozen) config."""
    sections = {s: getattr(config, s) for s in SECTIONS}
    for assignment in assignments:
        key, eq, text = assignment.partition("=")
        if not eq:
            raise UsageError(f"--set {assignment}: expected key=value")
        section, _, field = key.rpartition(".")
        candidates = [section] if section else [s for s in SECTIONS
                                                if field in _fields(sections[s])]
        if section and section not in SECTIONS:
            raise UsageError(f"--set {key}: unknown section {section!r}; choose from {', '.join(SECTIONS)}")
        if not candidates or field not in _fields(sections[candidates[0]]):
            known = sorted({f for s in SECTIONS for f in _fields(sections[s])})
            close = difflib.get_close_matches(field, known, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise UsageError(f"--set {key}: unknown setting{hint}")
        if len(candidates) > 1:
            raise UsageError(f"--set {key}: ambiguous; write one of "
                             + ", ".join(f"{c}.{field}" for c in candidates))
        target = sections[candidates[0]]
        annotation = _fields(target)[field]
        try:
            sections[candidates[0]] = dataclasses.replace(target, **{field: _parse_value(text, annotation, key)})
        except ValueError as err:
            raise UsageError(f"--set {key}={text}: {err}") from None
    return dataclasses.replace(config, **sections)


def _fields(obj):
    hints = typing.get_type_hints(type(obj))
    return {f.name: hints[f.name] for f in dataclasses.fields(obj) if f.init and f.name != "family"}
