"""The shape of a config: ``Config`` (representation + model + training) and ``TrainConfig``."""

import dataclasses
import json
import math

SECTIONS = ("representation", "model", "train")  # the parts of a Config that ``--set`` can change


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
      crop_seconds: audio: train on random crops of this many seconds, drawn anew from every clip
        each epoch (0 = whole clips); validation, evaluation and figures use whole clips. Needs a
        model that takes any length (conv_vae).
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
    crop_seconds: float = 0.0
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
        # NaN fails every comparison, so "not x > 0" also refuses it; inf is refused on its own.
        for name in ("learning_rate", "pos_weight"):
            value = getattr(self, name)
            if not 0 < value < math.inf:
                raise ValueError(f"{name} must be a positive number, not {value}")
        for name in ("weight_decay", "clipnorm", "beta", "free_bits", "beta_warmup_steps", "transpose",
                     "crop_seconds"):
            value = getattr(self, name)
            if not 0 <= value < math.inf:
                raise ValueError(f"{name} must be 0 or a positive number, not {value}")
        if self.early_stopping_patience < 1 or self.reduce_lr_patience < 1:
            raise ValueError("early_stopping_patience and reduce_lr_patience must be at least 1")

    def build_optimizer(self):
        """A new Keras optimizer: AdamW (or Adam, SGD, RMSprop) at ``learning_rate``, with
        ``weight_decay`` (AdamW only) and global-norm clipping at ``clipnorm`` (0 = none)."""
        import keras

        clip = {"clipnorm": self.clipnorm} if self.clipnorm > 0 else {}
        if self.optimizer == "adam":
            return keras.optimizers.Adam(self.learning_rate, **clip)
        if self.optimizer == "sgd":
            return keras.optimizers.SGD(self.learning_rate, **clip)
        if self.optimizer == "rmsprop":
            return keras.optimizers.RMSprop(self.learning_rate, **clip)
        return keras.optimizers.AdamW(self.learning_rate, weight_decay=self.weight_decay, **clip)


@dataclasses.dataclass(frozen=True)
class Config:
    """A named, complete recipe: representation + model + training."""

    name: str
    description: str
    representation: object  # a PianoRoll or an AudioClip
    model: object  # a model-family dataclass (mguv.configs.families): its ``family`` and ``build``
    train: TrainConfig

    @property
    def mode(self):
        return self.representation.mode

    def build_model(self):
        """The model this config describes: built (weights created) but not compiled, on the shape
        its ``call()`` takes (``MusicModel.call_input_shape``: the data's, or z's for a GAN)."""
        try:
            if self.train.crop_seconds and self.mode != "audio":
                raise ValueError("crop_seconds applies to audio clips; set it to 0 for piano-rolls")
            model = self.model.build(self.representation, self.train)
            model.build(model.call_input_shape(self.representation))
        except (ValueError, TypeError) as err:  # a setting the layers refuse, e.g. latent_dim=0
            from mguv.errors import UsageError, first_line

            raise UsageError(f"config {self.name}: cannot build the model with these settings: "
                             f"{first_line(err)}") from None
        return model

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
