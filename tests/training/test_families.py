"""The other model families end to end: each trains through the standard pipeline on tiny MIDI,
reloads from its .keras file, and leaves a SavedModel that plain TensorFlow samples from."""

import csv
import json
import subprocess
import sys
import textwrap

import numpy as np
import pretty_midi
import pytest

from conftest import REPO, write_tune
from mguv import configs
from mguv.generate import main as generate_main
from mguv.models.saving import load_model
from mguv.trained_model import TrainedModel
from mguv.training.run import train

FAMILIES = ("lstm", "lstm_attention", "hier_vae", "vq_vae", "wgan")
STEPS = 8  # shorter segments than the configs' 32: the generation loops trace and run faster

PLAIN_TF_SAMPLE = textwrap.dedent('''
    # Plain TensorFlow, no mguv: sample (and decode, where the family can) and check the values.
    import json, sys
    import numpy as np, tensorflow as tf
    m = tf.saved_model.load(sys.argv[1])
    rep = json.loads(m.representation().numpy())
    shape = (3, rep["segment_steps"], rep["num_pitches"])
    seed = tf.constant([3, 4], tf.int32)
    if rep["sample_input"] == "num":
        out = m.sample(tf.constant(3), tf.constant(1.0), seed)
        again = m.sample(tf.constant(3), tf.constant(1.0), seed)["roll"].numpy()
    else:
        z = tf.random.stateless_normal([3] + rep["latent_shape"], seed=[1, 2])
        out = m.sample(z, tf.constant(1.0), seed)
        again = m.sample(z, tf.constant(1.0), seed)["roll"].numpy()
        probs = m.decode(z).numpy()
        assert probs.shape == shape and 0 <= probs.min() and probs.max() <= 1
    roll, probs = out["roll"].numpy(), out["probs"].numpy()
    assert roll.shape == shape and probs.shape == shape, (roll.shape, probs.shape)
    assert set(np.unique(roll)) <= {0.0, 1.0} and 0 <= probs.min() and probs.max() <= 1
    assert np.array_equal(roll, again), "sampling is not seeded"
    if "codes_shape" in rep:  # vq_vae: encode to codes and decode them back
        codes = m.encode(tf.constant(roll))["codes"].numpy()
        assert codes.shape == (3, *rep["codes_shape"]) and codes.max() < rep["codebook_size"]
        assert m.decode(tf.constant(codes)).numpy().shape == shape
    assert not any(name.split(".")[0] == "mguv" for name in sys.modules), "mguv was imported"
    print(json.dumps({"family": rep["family"], "notes": int(roll.sum())}))
''')


@pytest.fixture(scope="module")
def tiny_midi(tmp_path_factory):
    folder = tmp_path_factory.mktemp("families") / "midi"
    folder.mkdir()
    for i in range(4):
        write_tune(folder / f"t{i}.mid", pitches=(60 + i, 64 + i, 67 + i), bars=2, chord=[48 + i])
    return folder


def finite_history(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    assert rows
    return all(np.isfinite(float(row[k])) for row in rows for k in ("loss", "val_loss"))


@pytest.mark.parametrize("family", FAMILIES)
def test_family_trains_reloads_and_samples_without_mguv(family, tiny_midi, tmp_path):
    config = configs.override(configs.get(f"{family}-tiny"), ["batch_size=4", f"segment_steps={STEPS}"])
    run = tmp_path / "run"
    summary = train(config, [str(tiny_midi)], str(run), cache_dir=str(tmp_path / "cache"), workers=1,
                    num_samples=2, verbose=0, progress=False)
    assert np.isfinite(summary["val"]["loss"]) and finite_history(run / "history.csv")
    assert [pretty_midi.PrettyMIDI(str(p)) for p in sorted((run / "samples").glob("*.mid"))]
    if family == "vq_vae":  # both stages ran and were saved
        assert finite_history(run / "prior" / "history.csv") and (run / "prior" / "model.keras").exists()
        assert np.isfinite(summary["val"]["prior_nll"]) and 0 < summary["val"]["perplexity"] <= 8

    # The .keras file and the SavedModel give the same samples.
    model = load_model(str(run / "model.keras"))
    generator = TrainedModel.from_run(str(run))
    assert generator.family == family
    if generator.latent_shape is None:
        exported = generator.module.sample(np.int32(2), np.float32(1.0), np.int32([5, 0]))["roll"].numpy()
        np.testing.assert_array_equal(exported, np.asarray(model.sample(2, 1.0, [5, 0])[1]))
    else:
        z = np.random.default_rng(0).standard_normal((2,) + generator.latent_shape).astype(np.float32)
        part = model.decoder if family == "hier_vae" else model
        np.testing.assert_allclose(generator.module.decode(z).numpy(), np.asarray(part.generate(z)[0]), atol=1e-5)

    script = tmp_path / "plain_tf.py"
    script.write_text(PLAIN_TF_SAMPLE)
    result = subprocess.run([sys.executable, str(script), str(run / "saved_model")], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout.splitlines()[-1])["family"] == family


def test_train_cli_model_flag_and_generate(tiny_midi, tmp_path, capsys):
    """``train.py --model lstm`` -> a run -> ``python -m mguv.generate`` writes MIDI; a family
    without a latent space refuses --interpolate with one line."""
    run = tmp_path / "run"
    result = subprocess.run(
        [sys.executable, "train.py", "--model", "lstm", "--data", str(tiny_midi), "--epochs", "1",
         "--batch-size", "4", "--set", "units=8", "--set", "num_layers=1", "--set", f"segment_steps={STEPS}",
         "--samples", "1", "--out", str(run), "--cache-dir", str(tmp_path / "cache"), "--workers", "1"],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads((run / "config.json").read_text())["config"]["name"] == "lstm"
    generate_main([str(run), "--num", "2", "--temperature", "0.8"])  # what python -m mguv.generate runs
    assert len(list((run / "generated").glob("sample_*.mid"))) == 2
    a = str(tiny_midi / "t0.mid")
    with pytest.raises(SystemExit) as exit_:
        generate_main([str(run), "--interpolate", a, a])
    errors = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert exit_.value.code == 2 and len(errors) == 1 and "no encoder" in errors[0], errors
    # mguv.evaluate scores a next-step run by its exact likelihood (and its prior samples).
    from mguv.evaluate import main as evaluate_main

    assert evaluate_main([str(run), "--cache-dir", str(tmp_path / "cache"), "--workers", "1"]) == 0
    assert "exact NLL" in capsys.readouterr().out
    likelihood = json.loads((run / "metrics.json").read_text())["likelihood"]
    assert likelihood["segments"]["nll_nats_per_frame"] > 0 and likelihood["whole_pieces"]["pieces"] >= 1
