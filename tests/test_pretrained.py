"""``mguv.pretrained``: shipped models by name in generate, TrainedModel and train.py --init.

The mechanics run on a tiny model installed into a temporary registry; the models that really ship
are tested in test_pretrained_shipped.py.
"""

import os
import shutil

import numpy as np
import pretty_midi
import pytest

from mguv import configs, pretrained

TINY = ["model.latent_dim=4", "model.encoder_units=8", "model.decoder_units=8", "model.prior_chunk=2", "epochs=1", "batch_size=8", "model.prior_epochs=2",
        "val_fraction=0.34"]


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    """A registry folder holding one tiny model ("tiny", the 2-bar chorale representation), trained on
    small MIDI files made here; returns (registry folder, its MIDI folder, cache)."""
    from conftest import write_tune
    from mguv.training.run import train

    tmp = tmp_path_factory.mktemp("pretrained")
    folder = tmp / "midi"
    folder.mkdir()
    for i, pitches in enumerate([(48, 55, 60, 64), (50, 57, 62, 65), (45, 52, 57, 60)]):
        write_tune(folder / f"t{i}.mid", pitches=pitches, bars=6, chord=[40, 47])
    config = configs.override(configs.get("lstm_vae-bach-2bar"), TINY)
    run = tmp / "run"
    train(config, [str(folder)], str(run), cache_dir=str(tmp / "cache"), workers=1, num_samples=0, verbose=0,
          progress=False)
    pretrained.install(run, tmp / "models" / "tiny")
    return tmp / "models", folder, tmp / "cache"


@pytest.fixture
def registry(tiny_models, monkeypatch):
    """The tiny model as pretrained:tiny (the shipped ones hidden)."""
    models, folder, cache = tiny_models
    monkeypatch.setattr(pretrained, "PACKAGE_DIR", str(models))
    monkeypatch.setattr(pretrained, "REGISTRY", {"tiny": pretrained.Pretrained(
        "tiny", "lstm_vae-bach-2bar", 0.1, "a tiny test model")})
    return folder, cache


def test_install_slims_a_run_to_its_savedmodel_and_reports(tiny_models):
    import json

    models, _, _ = tiny_models
    names = set(os.listdir(models / "tiny"))
    assert {"saved_model", "config.json", "representation.json", "summary.json"} <= names
    assert not names & {"model.keras", "checkpoints", "logs", "plots", "samples", "backup"}
    # The weights are stored once, without optimizer state: float32 values of the parameters.
    params = json.loads((models / "tiny" / "summary.json").read_text())["params"]
    data = sum(f.stat().st_size for f in (models / "tiny" / "saved_model" / "variables").glob("*.data-*"))
    assert 4 * params <= data < 4 * params + 16384  # (and a few small states: seeds)


def test_evaluate_scores_a_shipped_model_without_writing_into_it(tiny_models, registry, capsys):
    from mguv.evaluate import main

    folder, _ = registry
    before = sorted(os.listdir(pretrained.path("tiny")))
    run = tiny_models[0].parent / "run"  # the run it was installed from: the same config and split
    assert main([str(run), "--iw-samples", "0", "--compare", "pretrained:tiny"]) == 0
    out = capsys.readouterr().out
    assert "onset F1" in out and "scored on the same 3 validation segments" in out
    rows = {line[:30].strip(): line[30:].split() for line in out.splitlines() if line.startswith("onset F1, free")}
    assert len(rows) == 1 and len(set(next(iter(rows.values())))) == 1  # the same weights score the same
    assert sorted(os.listdir(pretrained.path("tiny"))) == before


def test_an_unknown_name_is_one_line_that_lists_the_names(registry, capsys):
    from mguv.generate import main

    with pytest.raises(SystemExit) as exit_info:
        main(["pretrained:nope", "--num", "1"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "nope" in err and "tiny" in err
    with pytest.raises(pretrained.UsageError, match="tiny"):
        pretrained.path("bach-9bar")


def test_list_pretrained_names_each_model(registry, capsys):
    from mguv.generate import main

    assert main(["--list-pretrained"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("tiny") and "a tiny test model" in out


def test_generate_from_a_pretrained_name_writes_midi_in_the_working_folder(registry, tmp_path, monkeypatch):
    from mguv.generate import main

    monkeypatch.chdir(tmp_path)
    assert main(["pretrained:tiny", "--num", "2", "--temperature", "0.8"]) == 0
    written = sorted((tmp_path / "generated" / "tiny").glob("*.mid"))
    assert len(written) == 2
    rep = configs.get("lstm_vae-bach-2bar").representation
    pm = pretty_midi.PrettyMIDI(str(written[0]))
    assert pm.time_signature_changes[0].numerator == 4
    assert 0 < pm.get_end_time() <= 2 * 4 * 60 / rep.tempo + 1e-6  # two bars of 4/4 at the run's tempo


def test_a_shipped_model_with_a_learned_prior_moves_its_draws_along_an_attribute(registry, tmp_path, capsys):
    from mguv.generate import main

    assert main(["pretrained:tiny", "--num", "2", "--attribute", "mean_pitch=+2", "--out", str(tmp_path)]) == 0
    assert len(list(tmp_path.glob("*.mid"))) == 2
    assert "mean_pitch +2: vector from" in capsys.readouterr().out


def test_greedy_samples_of_a_learned_prior_still_differ(registry):
    """Temperature is the decoder's: z is drawn from the learned prior at its own spread, so eight
    greedy samples are eight pieces, not the prior's mean eight times."""
    from mguv.run_dir import load_run

    model = load_run(pretrained.path("tiny"))[0]
    z = np.asarray(model._prior_latents(4, 0.0, [0, 1]))
    assert z.shape == (4, 4) and len({tuple(np.round(row, 5)) for row in z}) == 4


def test_trained_model_from_pretrained_samples_the_representation(registry):
    from mguv.trained_model import TrainedModel

    m = TrainedModel.from_pretrained("pretrained:tiny")
    rolls = m.sample(3, temperature=1.0, seed=1)
    assert rolls.shape == (3, *m.rep.shape)
    assert m.config.name == "lstm_vae-bach-2bar"


def test_init_starts_from_the_pretrained_weights(tiny_models, registry):
    import keras

    from mguv.training.run import _load_init

    trained = keras.saving.load_model(tiny_models[0].parent / "run" / "model.keras").get_weights()
    config = configs.override(configs.get("lstm_vae-bach-2bar"), TINY)
    model = config.build_model()
    assert not all(np.allclose(a, b) for a, b in zip(model.get_weights(), trained))
    _load_init(model, pretrained.path("tiny"))  # from the shipped SavedModel: no model.keras there
    assert len(model.get_weights()) == len(trained)
    assert all(np.allclose(a, b) for a, b in zip(model.get_weights(), trained))
    assert not model.compiled  # the weights only: fine-tuning compiles a fresh optimizer


def test_a_damaged_shipped_model_is_one_line(tiny_models, monkeypatch, tmp_path, capsys):
    from mguv.generate import main

    broken = tmp_path / "models" / "broken"
    shutil.copytree(tiny_models[0] / "tiny", broken)
    for f in (broken / "saved_model" / "variables").glob("*.data-*"):
        f.write_bytes(b"not a checkpoint")
    monkeypatch.setattr(pretrained, "PACKAGE_DIR", str(tmp_path / "models"))
    monkeypatch.setattr(pretrained, "REGISTRY", {"broken": pretrained.Pretrained("broken", "lstm_vae-bach-2bar", 0.1, "x")})
    with pytest.raises(SystemExit) as exit_info:
        main(["pretrained:broken", "--num", "1", "--out", str(tmp_path / "out")])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot be loaded" in err[0]


def test_prior_normal_samples_a_shipped_model_from_n01(registry, tmp_path):
    from mguv.generate import main

    assert main(["pretrained:tiny", "--num", "2", "--prior", "normal", "--out", str(tmp_path)]) == 0
    assert len(list(tmp_path.glob("*.mid"))) == 2


def test_train_init_pretrained_fine_tunes_for_an_epoch(registry, tmp_path, capsys):
    import json

    from mguv.training.cli import main

    folder, cache = registry
    out = tmp_path / "tuned"
    main(["--init", "pretrained:tiny", "--data", str(folder), "--epochs", "1", "--out", str(out), "--samples", "0",
          "--cache-dir", str(cache), "--workers", "1"])
    assert f"starting from the weights of {pretrained.path('tiny')}" in capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["epochs_run"] == 1 and summary["init"] == pretrained.path("tiny")
    saved = json.loads((out / "config.json").read_text())["config"]
    assert saved["name"] == "lstm_vae-bach-2bar" and saved["model"]["latent_dim"] == 4  # the model's own config


@pytest.mark.parametrize("argv, message", [
    (["--config", "lstm_vae-tiny"], "another representation"),
    (["--set", "model.latent_dim=16"], "cannot be loaded into this model"),
    (["--model", "hier_vae", "--config", "hier_vae-bach-16bar"], "another representation"),
])
def test_init_with_another_representation_or_shape_is_one_line(registry, tmp_path, capsys, argv, message):
    from mguv.training.cli import main

    folder, cache = registry
    with pytest.raises(SystemExit) as exit_info:
        main(["--init", "pretrained:tiny", "--data", str(folder), "--epochs", "1", "--out", str(tmp_path / "x"),
              "--cache-dir", str(cache), "--workers", "1", *argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_init_may_change_how_midi_is_written():
    from mguv.training.cli import _check_init

    shipped = configs.get("lstm_vae-bach-2bar")
    _check_init("pretrained:x", shipped, configs.override(shipped, ["representation.tempo=80",
                                                                   "representation.program=19"]))
    with pytest.raises(pretrained.UsageError, match="steps_per_beat: 4 -> 2"):
        _check_init("pretrained:x", shipped, configs.override(shipped, ["representation.steps_per_beat=2"]))


def test_init_needs_the_same_family():
    import dataclasses

    from mguv.training.cli import _check_init

    shipped = configs.get("lstm_vae-bach-2bar")
    hier = dataclasses.replace(configs.get("hier_vae-tiny"), representation=shipped.representation)
    with pytest.raises(pretrained.UsageError, match="fine-tuning needs the same family"):
        _check_init("pretrained:x", shipped, hier)


def test_init_of_a_folder_without_a_model_is_one_line(tmp_path, capsys):
    from mguv.training.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["--init", str(tmp_path), "--out", str(tmp_path / "x")])
    assert exit_info.value.code == 2
    assert "no model.keras or saved_model" in capsys.readouterr().err
