"""A config's data, ready to train: the corpus through the converter, then the split."""

import pytest

from mguv import configs
from mguv.data.prepare import prepare_data
from mguv.errors import UsageError


def test_prepare_data_splits_by_file_and_falls_back_for_one_file(midi_folder, tmp_path):
    config = configs.override(configs.get("lstm_vae-tiny"), ["val_fraction=0.34"])
    data, train_idx, val_idx = prepare_data(config, [str(midi_folder)], cache_dir=str(tmp_path / "c"),
                                            progress=False)
    assert len(train_idx) and len(val_idx) and not set(train_idx) & set(val_idx)
    assert not set(data.file_id[train_idx]) & set(data.file_id[val_idx])  # no tune on both sides
    one = tmp_path / "one"
    one.mkdir()
    (one / "a.mid").symlink_to(midi_folder / "a.mid")
    data, train_idx, val_idx = prepare_data(config, [str(one)], cache_dir=str(tmp_path / "c"), progress=False)
    assert len(train_idx) and len(val_idx)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UsageError):
        prepare_data(config, [str(empty)], cache_dir=str(tmp_path / "c"), progress=False)
