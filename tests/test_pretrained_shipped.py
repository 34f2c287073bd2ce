"""The models that ship (``mguv/pretrained_models/``): each loads, samples, round-trips through
``mguv.generate``, decodes from plain TensorFlow, and is in the wheel."""

import os
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest

from mguv import pretrained

# -- the models that ship --------------------------------------------------------------------

PLAIN_TF_DECODE = textwrap.dedent('''
    import importlib.abc, json, sys

    class NoMguv(importlib.abc.MetaPathFinder):  # as if mguv were not installed
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] == "mguv":
                raise ModuleNotFoundError("No module named 'mguv'")

    sys.meta_path.insert(0, NoMguv())
    import numpy as np, tensorflow as tf
    m = tf.saved_model.load(sys.argv[1])
    rep = json.loads(m.representation().numpy())
    seed = tf.constant([0, 1], tf.int32)
    if rep["sample_input"] == "num":  # drawn from the model's learned prior over z
        out = m.sample(tf.constant(8), tf.constant(1.0), seed)
    else:
        z = tf.constant(np.random.default_rng(0).standard_normal((8, rep["latent_dim"])).astype(np.float32))
        out = m.sample(z, tf.constant(1.0), seed)
    roll = out["roll"].numpy()
    greedy = m.decode(m.encode(roll)["mean"]).numpy()  # a round trip through the latent space
    assert greedy.shape == roll.shape
    assert not any(name.split(".")[0] == "mguv" for name in sys.modules), "mguv was imported"
    print(json.dumps({"shape": list(roll.shape), "notes": int(roll.sum()), "steps": rep["segment_steps"]}))
''')


@pytest.mark.parametrize("name", pretrained.names())
def test_every_shipped_model_loads_samples_and_round_trips_through_generate(name, tmp_path):
    import json

    from mguv.generate import main
    from mguv.trained_model import TrainedModel

    folder = pretrained.path(name)  # a UsageError (test failure) when the model is not in the checkout
    card = pretrained.card(name)
    assert "onset F1" in card and "Good and bad at" in card and "(not yet written)" not in card
    m = TrainedModel.from_pretrained(name)
    rolls = m.sample(4, temperature=1.0, seed=0)
    assert rolls.shape == (4, *m.rep.shape) and rolls.any()
    out = tmp_path / "gen"
    assert main([f"pretrained:{name}", "--num", "2", "--out", str(out)]) == 0
    pieces = sorted(out.glob("*.mid"))
    assert len(pieces) == 2
    # A piece written as MIDI reads back with every note it had: pitch, start and end on the grid.
    # (A sampled roll may hold cells no note explains, such as a start where nothing sounds; the
    # notes are what is written.)
    from mguv.data.roll import roll_to_notes

    m.write(rolls[:2], str(tmp_path / "back"), "piece", ["piece 0", "piece 1"])
    back = m.read_example(str(tmp_path / "back" / "piece_00.mid"))
    written = roll_to_notes(rolls[0] > 0.5, m.rep)
    assert len(written) > 0
    np.testing.assert_array_equal(roll_to_notes(back > 0.5, m.rep), written)
    # Morphing one piece into the other: 3 points, the first decoding the first piece's code.
    a, b = (str(tmp_path / "back" / f"piece_0{i}.mid") for i in (0, 1))
    assert main([f"pretrained:{name}", "--interpolate", a, b, "--steps", "3", "--out", str(tmp_path / "morph")]) == 0
    assert len(list((tmp_path / "morph").glob("interp_*.mid"))) == 3
    # The plain-TensorFlow client decodes prior samples without mguv.
    env = {**os.environ, "PYTHONPATH": ""}
    done = subprocess.run([sys.executable, "-c", PLAIN_TF_DECODE, os.path.join(folder, "saved_model")],
                          capture_output=True, text=True, env=env, cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr[-2000:]
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    assert shown["shape"] == [8, shown["steps"], m.rep.channels] and shown["notes"] > 0


def test_the_wheel_contains_the_shipped_models(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                           str(tmp_path), root], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    wheel, = tmp_path.glob("mguv-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in pretrained.names():
        for part in ("saved_model/saved_model.pb", "saved_model/variables/variables.index",
                     "saved_model/assets/representation.json", "card.md", "config.json", "metrics.json"):
            assert f"mguv/pretrained_models/{name}/{part}" in names, f"{name}/{part} is not in the wheel"


def test_the_shipped_2_bar_model_fine_tunes_for_an_epoch_on_a_few_chorales(tmp_path, capsys):
    import json
    import shutil

    from music21 import corpus

    from mguv.training.cli import main

    data = tmp_path / "chorales"
    data.mkdir()
    for path in sorted(str(p) for p in corpus.getComposer("bach") if str(p).endswith(".mxl"))[:6]:
        shutil.copy(path, data)
    out = tmp_path / "tuned"
    main(["--init", "pretrained:bach-2bar", "--data", str(data), "--epochs", "1", "--set", "model.prior_epochs=1",
          "--samples", "1", "--out", str(out), "--cache-dir", str(tmp_path / "cache"), "--workers", "1"])
    assert "starting from the weights of" in capsys.readouterr().err
    summary = json.loads((out / "summary.json").read_text())
    assert summary["epochs_run"] == 1 and summary["params"] == json.loads(
        open(os.path.join(pretrained.path("bach-2bar"), "summary.json")).read())["params"]
    # One epoch from the shipped weights keeps what they know: the validation chorales' cells are
    # predicted well, where this config's first epoch from scratch scores a validation f1 near 0.
    assert summary["val"]["f1"] > 0.6, summary["val"]
