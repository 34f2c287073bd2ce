"""The run folder: paths, reading a run's config back, finding its SavedModel, and the errors a
user sees for a folder that is not a finished run."""

import json

import pytest

from mguv import configs
from mguv.errors import UsageError
from mguv.run_dir import RunPaths, load_run, read_run_config, recorded_val_segments, run_root, saved_model_dir


def test_paths_of_a_run_and_of_its_second_stage(tmp_path):
    paths = RunPaths(str(tmp_path))
    assert paths.config == str(tmp_path / "config.json")
    assert paths.best_weights == str(tmp_path / "checkpoints" / "best.weights.h5")
    assert paths.prior.model == str(tmp_path / "prior" / "model.keras")


def test_config_round_trips_and_a_bad_one_is_one_line(tmp_path):
    config = configs.get("lstm_vae-tiny")
    (tmp_path / "config.json").write_text(json.dumps({"config": config.to_dict(), "data": ["bach"], "genre": None}))
    back, specs, genre = read_run_config(tmp_path)
    assert back == config and specs == ["bach"] and genre is None
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(UsageError, match="config.json is unreadable"):
        read_run_config(tmp_path)


def test_a_folder_that_is_not_a_finished_run_says_why(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        load_run(tmp_path / "missing")
    with pytest.raises(UsageError, match="no config.json"):
        load_run(tmp_path)
    with pytest.raises(UsageError, match="no SavedModel here"):
        saved_model_dir(str(tmp_path))
    assert recorded_val_segments(tmp_path) is None


def test_saved_model_and_run_root_are_found_from_either_folder(tmp_path):
    (tmp_path / "saved_model").mkdir()
    (tmp_path / "saved_model" / "saved_model.pb").write_bytes(b"")
    (tmp_path / "config.json").write_text("{}")
    assert saved_model_dir(str(tmp_path)) == str(tmp_path / "saved_model")
    assert run_root(str(tmp_path / "saved_model")) == str(tmp_path)
    (tmp_path / "data.json").write_text(json.dumps({"split": {"val_segments": 7}}))
    assert recorded_val_segments(tmp_path) == 7
