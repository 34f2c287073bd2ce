"""The two tables: model families (filled by ``@model_family`` on each family's dataclass) and
named configs (filled by ``register``, see ``mguv.configs.presets``)."""

import dataclasses
import difflib

from mguv import representation as representations
from mguv.configs.schema import Config, TrainConfig
from mguv.errors import UsageError

_FAMILIES = {}  # family name -> its model dataclass
_FAMILY_DEFAULTS = {}  # family name -> the config `train.py --model FAMILY` picks
_REGISTRY = {}  # config name -> Config


def model_family(cls=None, *, default_config=None):
    """Class decorator: the one place a model family is registered.

    The family is named by the dataclass's ``family`` field; ``default_config`` is the config that
    ``train.py --model FAMILY`` picks (the family's own name unless given). A family registered
    twice, or a class that is not a dataclass with ``build(representation, train)``, is an error.
    """

    def register_class(cls):
        name = getattr(cls, "family", None)
        if not dataclasses.is_dataclass(cls) or not isinstance(name, str) or not callable(getattr(cls, "build", None)):
            raise TypeError(f"{cls.__name__}: a model family is a dataclass with a str `family` field "
                            "and a build(representation, train) method")
        if name in _FAMILIES:
            raise ValueError(f"model family {name!r} is registered twice: by {_FAMILIES[name].__name__} "
                             f"and by {cls.__name__}")
        _FAMILIES[name] = cls
        _FAMILY_DEFAULTS[name] = default_config or name
        return cls

    return register_class if cls is None else register_class(cls)


def family_names():
    """The registered family names, in registration order."""
    return tuple(_FAMILIES)


def family_class(family):
    """The model dataclass of ``family``; an unknown family is a ``UsageError``."""
    if family not in _FAMILIES:
        raise UsageError(f"unknown model family {family!r}; choose from {', '.join(family_names())}")
    return _FAMILIES[family]


def family_config(family):
    """The name of the default config of a model family (``train.py --model``)."""
    family_class(family)
    return _FAMILY_DEFAULTS[family]


def from_dict(d):
    """Rebuilds a ``Config`` from ``to_dict()`` output (e.g. a run's config.json)."""
    model = {k: tuple(v) if isinstance(v, list) else v for k, v in d["model"].items()}
    family = model.pop("family", "lstm_vae")
    return Config(
        name=d["name"],
        description=d.get("description", ""),
        representation=representations.from_dict(d["representation"]),
        model=family_class(family)(**model),
        train=TrainConfig(**d["train"]),
    )


def register(config):
    """Adds ``config`` to the named configs (replacing one of the same name) and returns it."""
    _REGISTRY[config.name] = config
    return config


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
