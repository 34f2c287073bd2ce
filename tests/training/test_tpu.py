"""--strategy tpu: "local" (a TPU VM, today's Colab) is tried before "" (an older TPU node)."""

import pytest
import tensorflow as tf

from mguv.errors import UsageError
from mguv.training import distribute


class FakeResolver:
    """A TPUClusterResolver that only a TPU called ``works`` answers; records every name asked."""

    asked = []
    works = None

    def __init__(self, tpu=None):
        FakeResolver.asked.append(tpu)
        if tpu != FakeResolver.works:
            raise ValueError(f"no TPU called {tpu!r}\nsecond line")
        self.tpu = tpu


@pytest.fixture
def fake_tpu(monkeypatch):
    FakeResolver.asked = []
    monkeypatch.setattr(tf.distribute.cluster_resolver, "TPUClusterResolver", FakeResolver)
    monkeypatch.setattr(tf.config, "experimental_connect_to_cluster", lambda resolver: None)
    monkeypatch.setattr(tf.tpu.experimental, "initialize_tpu_system", lambda resolver: None)
    return FakeResolver


def test_a_tpu_vm_is_found_as_local_first(fake_tpu):
    fake_tpu.works = "local"
    assert distribute.connect_tpu().tpu == "local"
    assert fake_tpu.asked == ["local"]


def test_an_older_tpu_node_is_found_after_local_fails(fake_tpu):
    fake_tpu.works = ""
    assert distribute.connect_tpu().tpu == ""
    assert fake_tpu.asked == ["local", ""]


def test_no_tpu_is_one_line_naming_each_attempt(fake_tpu):
    fake_tpu.works = "nowhere"
    with pytest.raises(UsageError) as err:
        distribute.connect_tpu()
    assert fake_tpu.asked == ["local", ""]
    message = str(err.value)
    assert "\n" not in message and "no TPU found" in message
    assert "tpu=\"local\": no TPU called 'local'" in message and "tpu=\"\": no TPU called ''" in message


def test_no_tpu_on_this_machine_is_a_usage_error():
    if tf.config.list_logical_devices("TPU"):
        pytest.skip("this machine has a TPU")
    with pytest.raises(UsageError, match="--strategy tpu: no TPU found"):
        distribute.make_strategy("tpu")
