import json

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
