"""Named configurations: frozen dataclasses in one registry, overridable from the command line.

A ``Config`` bundles the representation (what the data means), the model's hyperparameters and the
training recipe. Every run writes its resolved config to ``RUN/config.json``; ``from_dict`` reads it
back. ``config.build_model()`` gives the model it describes, ``config.train.build_optimizer()`` its
optimizer.

- ``schema``: ``Config``, ``TrainConfig``.
- ``families``: one dataclass per model family, registered by ``@model_family``; its
  ``build(representation, train)`` makes the family's Keras model (``study_families``: those
  that are not VAEs).
- ``registry``: the family and config tables: ``get``, ``names``, ``register``, ``family_config``,
  ``from_dict``.
- ``presets``: the shipped configs (``lstm_vae``, ``conv_vae-paper``, ...); ``long_form`` the 16-bar ones; ``bach`` those of the shipped models (``mguv.pretrained``).
- ``overrides``: ``override(config, ["beta=0.5", "model.latent_dim=32"])``, the ``--set`` syntax.

Importing this package does not import Keras or TensorFlow.
"""

from mguv.configs.families import ConvVaeModel, HierVaeModel, LstmVaeModel, PaperConvVaeModel
from mguv.configs.study_families import AttentionLstmModel, NextStepLstmModel, VqVaeModel, WganModel
from mguv.configs.overrides import override
from mguv.configs.presets import BACH88
from mguv.configs import bach, long_form  # noqa: F401  (register the shipped models' and the 16-bar configs)
from mguv.configs.registry import (family_class, family_config, family_names, from_dict, get,
                                   model_family, names, register)
from mguv.configs.schema import SECTIONS, Config, TrainConfig

FAMILIES = family_names()  # every family, in registration order (train.py --model choices)

__all__ = ["AttentionLstmModel", "BACH88", "Config", "ConvVaeModel", "FAMILIES", "HierVaeModel", "LstmVaeModel",
           "NextStepLstmModel", "PaperConvVaeModel", "SECTIONS", "TrainConfig", "VqVaeModel", "WganModel",
           "family_class", "family_config", "family_names", "from_dict", "get", "model_family", "names",
           "override", "register"]
