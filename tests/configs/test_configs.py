import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest

from mguv import configs
from mguv.errors import UsageError


def test_bare_and_dotted_overrides():
    c = configs.override(configs.get("lstm_vae"), ["beta=0.25", "model.latent_dim=128",
                                                   "representation.melody_only=yes", "split=segment"])
    assert c.train.beta == 0.25 and c.model.latent_dim == 128
    assert c.representation.melody_only is True and c.train.split == "segment"
    assert configs.get("lstm_vae").train.beta == 1.0  # the registry is untouched


def test_config_survives_json():
    c = configs.override(configs.get("lstm_vae-demo"), ["transpose=3"])
    assert configs.from_dict(json.loads(c.to_json())) == c


@pytest.mark.parametrize("assignment, message", [
    ("nope=1", "unknown setting"),
    ("latent_dimm=3", "did you mean latent_dim"),
    ("beta", "expected key=value"),
    ("epochs=many", "expected a int"),
    ("split=random", "split must be"),
    ("dropout=0.2", None),
])
def test_bad_overrides_are_usage_errors(assignment, message):
    if message is None:
        configs.override(configs.get("lstm_vae"), [assignment])
        return
    with pytest.raises(UsageError, match=message):
        configs.override(configs.get("lstm_vae"), [assignment])


def test_unknown_config_suggests_a_name():
    with pytest.raises(UsageError, match="did you mean lstm_vae-demo"):
        configs.get("lstm_vae-dmo")


def test_every_config_survives_json():
    for name in configs.names():
        config = configs.get(name)
        assert configs.from_dict(json.loads(config.to_json())) == config, name


@pytest.mark.parametrize("name", configs.names())
def test_every_config_builds(name):
    """Each shipped config builds its family's model (weights created, named after the family) that
    scores zeros of the config's representation with finite losses and, where it has a latent,
    decodes z back to that representation."""
    config = configs.get(name)
    model = config.build_model()
    assert model.built and model.weights and model.name == config.model.family
    x = np.zeros((2,) + config.representation.shape, np.float32)
    losses = model.loss_terms(x, training=False)
    assert "loss" in losses.terms
    assert all(np.isfinite(np.asarray(v)).all() for v in losses.terms.values()), losses.terms
    if losses.prediction is not None:
        assert tuple(losses.prediction.shape) == x.shape
    if model.latent_shape is not None:
        assert model.latent_shape[-1] == config.model.latent_dim
        z = np.zeros((2,) + tuple(model.latent_shape), np.float32)
        assert tuple(model.generate(z)[0].shape) == x.shape


def test_every_family_is_registered_once_and_shipped():
    shipped = {configs.get(n).model.family for n in configs.names()}
    assert set(configs.FAMILIES) == shipped  # so test_every_config_builds builds every family
    for family in configs.FAMILIES:
        cls = configs.family_class(family)
        assert cls.family == family and cls().family == family
        assert configs.get(configs.family_config(family)).model.family == family
    assert configs.family_config("conv_vae_paper") == "conv_vae-paper"


def test_a_family_cannot_be_registered_twice():
    with pytest.raises(ValueError, match="'lstm' is registered twice"):
        @configs.model_family
        @dataclasses.dataclass(frozen=True)
        class AnotherLstm:
            family: str = dataclasses.field(default="lstm", init=False)

            def build(self, representation, train):
                raise AssertionError

    with pytest.raises(TypeError, match="build"):
        configs.model_family(dataclasses.dataclass(type("NoBuild", (), {"family": "no_build"})))
    assert configs.family_names() == configs.FAMILIES
    assert configs.family_class("lstm") is configs.NextStepLstmModel


def test_unknown_families_are_usage_errors():
    with pytest.raises(UsageError, match="unknown model family 'gpt'"):
        configs.family_config("gpt")
    d = configs.get("lstm-tiny").to_dict()
    d["model"]["family"] = "gpt"
    with pytest.raises(UsageError, match="choose from lstm_vae, conv_vae"):
        configs.from_dict(d)
    with pytest.raises(UsageError, match="unknown setting"):  # the family is not a setting
        configs.override(configs.get("lstm"), ["family=wgan"])


@pytest.mark.parametrize("name, setting, message", [
    ("hier_vae-tiny", "num_subsequences=5", "num_subsequences 5 must divide segment_steps 32"),
    ("vq_vae-tiny", "pattern_steps=3", "pattern_steps 3 must divide segment_steps 32"),
])
def test_build_refuses_parts_that_do_not_divide_the_segment(name, setting, message):
    with pytest.raises(UsageError, match=message):
        configs.override(configs.get(name), [setting]).build_model()


def test_tuple_and_bool_overrides_parse():
    c = configs.override(configs.get("conv_vae-tiny"), ["channels=(4, 8)", "strides=2,2", "jit_compile=off"])
    assert c.model.channels == (4, 8) and c.model.strides == (2, 2) and c.train.jit_compile is False
    with pytest.raises(UsageError, match="expected a bool"):
        configs.override(c, ["jit_compile=maybe"])
    with pytest.raises(UsageError, match="unknown section 'modle'"):
        configs.override(c, ["modle.latent_dim=3"])


def test_build_optimizer_follows_the_recipe():
    import keras

    adamw = configs.get("lstm_vae").train.build_optimizer()
    assert isinstance(adamw, keras.optimizers.AdamW)
    assert adamw.weight_decay == pytest.approx(1e-4) and adamw.clipnorm == pytest.approx(1.0)
    rmsprop = configs.get("wgan").train.build_optimizer()  # clipnorm 0: no clipping
    assert isinstance(rmsprop, keras.optimizers.RMSprop) and rmsprop.clipnorm is None
    assert float(rmsprop.learning_rate) == pytest.approx(1e-4)
    assert isinstance(configs.get("conv_vae-paper").train.build_optimizer(), keras.optimizers.Adam)
    sgd = configs.override(configs.get("lstm_vae"), ["optimizer=sgd"]).train.build_optimizer()
    assert isinstance(sgd, keras.optimizers.SGD)


def test_importing_the_configs_does_not_import_keras():
    code = ("import sys, mguv.configs as c; c.get('lstm_vae'); "
            "assert not {'keras', 'tensorflow'} & set(sys.modules), 'keras or tensorflow was imported'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
