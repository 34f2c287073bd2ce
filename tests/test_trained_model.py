"""The ``TrainedModel`` facade over a SavedModel: sampling, encoding, interpolation, attribute
vectors, and ``generate --attribute``."""

import shutil

import numpy as np
import pretty_midi
import pytest

from mguv import attributes as attrs
from mguv import configs
from mguv.errors import UsageError
from mguv.generate import main as generate_main
from mguv.latent import quartile_difference, slerp
from mguv.representation import AudioClip
from mguv.trained_model import TrainedModel


def test_attribute_vectors_on_an_audio_model_are_a_usage_error():
    model = TrainedModel(None, AudioClip(clip_samples=3000), latent_shape=(47, 4))
    with pytest.raises(UsageError, match="piano-rolls.*audio model"):
        model.attribute_vector("note_density", data=np.zeros((4, 3000, 1)))


# ----------------------------------------------------------------- a tiny model that learned density

def write_textures(folder, n=24, bars=16):
    """Tunes of one texture each: a 1- to 4-note chord (by tune) struck every 2 or 4 sixteenths on one
    of five roots. Note density varies about 8x between tunes, which a tiny model learns in seconds."""
    folder.mkdir(parents=True, exist_ok=True)
    step = 60.0 / 120.0 / 4
    for i in range(n):
        voices, length, root = 1 + i % 4, (2, 4)[(i // 4) % 2], (55, 58, 60, 62, 65)[i % 5]
        pm = pretty_midi.PrettyMIDI(initial_tempo=120.0)
        inst = pretty_midi.Instrument(program=0)
        for start in range(0, bars * 16, length):
            for interval in (0, 4, 7, 12)[:voices]:
                inst.notes.append(pretty_midi.Note(90, root + interval, start * step,
                                                   (start + length // 2) * step))
        pm.instruments.append(inst)
        pm.write(str(folder / f"texture{i:02d}.mid"))
    return folder


# Enough optimizer steps (about 135) and a beta below 1 that the 8-d latent carries the texture;
# about 40 s on 2 busy cores. Tried with seeds 0-2: note density rises with the shift in all.
TEXTURE_SETTINGS = ["epochs=15", "batch_size=16", "learning_rate=3e-3", "beta_warmup_steps=100",
                    "beta=0.5", "encoder_units=32", "decoder_units=32"]


@pytest.fixture(scope="module")
def texture_run(tmp_path_factory):
    from mguv.training.run import train

    root = tmp_path_factory.mktemp("latent")
    folder = write_textures(root / "midi")
    config = configs.override(configs.get("lstm_vae-tiny"), TEXTURE_SETTINGS)
    run = root / "run"
    train(config, [str(folder)], str(run), cache_dir=str(root / "cache"), workers=1, num_samples=2,
          verbose=0, progress=False)
    return run, folder, root / "cache"


@pytest.fixture(scope="module")
def model(texture_run):
    run, _, cache = texture_run
    return TrainedModel.from_run(run, cache_dir=str(cache))


def test_shifting_samples_along_the_note_density_vector_moves_note_density(model):
    """The behaviour `generate --attribute` promises: -k, 0, +k give increasing density."""
    vector = model.attribute_vector("note_density")
    summary = model.attribute_summaries["note_density"]
    assert summary["top_quartile"] > 2 * summary["bottom_quartile"] and summary["examples"] > 100
    k = 1.5
    for temperature in (0.0, 1.0):
        density = [attrs.note_density(model.sample(64, temperature, seed=0, shift=s * k * vector)).mean()
                   for s in (-1, 0, 1)]
        assert density[0] < density[1] < density[2], (temperature, density)
        assert density[2] > 1.3 * density[0], (temperature, density)


def test_facade_matches_the_generator_and_round_trips_shapes(model, texture_run):
    run = texture_run[0]
    gen = TrainedModel.from_run(str(run))
    assert model.run_dir == str(run) and model.latent_shape == (8,) and model.rep == gen.rep
    np.testing.assert_array_equal(model.sample(3, 0.8, seed=4), gen.sample(3, 0.8, seed=4))
    np.testing.assert_array_equal(model.sample(3, 0.8, seed=4, shift=np.zeros(8)), gen.sample(3, 0.8, seed=4))
    rolls = model.examples("val")
    assert rolls.shape[1:] == (32, 36)
    assert len(rolls) + len(model.examples("train")) == len(model.examples("all"))
    z = model.encode(rolls)
    assert z.shape == (len(rolls), 8) and np.all(np.isfinite(z))
    np.testing.assert_allclose(model.encode(rolls[:3], batch_size=2), z[:3], atol=1e-5)
    assert model.decode(z[:2]).shape == (2, 32, 36)
    with pytest.raises(UsageError, match="do not fit"):
        model.encode(np.zeros((1, 16, 36)))


def test_interpolation_starts_and_ends_at_the_encoded_examples(model):
    a, b = model.examples("val")[:2]
    ends = model.decode(model.encode(np.stack([a, b])))
    for method in ("slerp", "lerp"):
        path = model.interpolate(a, b, steps=5, method=method)
        assert path.shape == (5, 32, 36)
        np.testing.assert_array_equal(path[[0, -1]], ends)
    za, zb = model.encode(np.stack([a, b]))
    np.testing.assert_allclose(model.latent_path(za, zb, 3)[1], slerp(za, zb, [0.5])[0], atol=1e-6)
    with pytest.raises(UsageError, match="unknown interpolation"):
        model.interpolate(a, b, method="cubic")


def test_attribute_vector_of_explicit_data_is_the_quartile_difference(model):
    rolls = model.examples("all")
    values = attrs.mean_pitch(rolls, model.rep)
    expected, _, _ = quartile_difference(model.encode(rolls), values)
    np.testing.assert_allclose(model.attribute_vector("mean_pitch", data=rolls), expected, atol=1e-6)
    shift = model.attribute_shift({"note_density": 2.0, "polyphony": -1.0})
    np.testing.assert_allclose(shift, 2 * model.attribute_vector("note_density")
                               - model.attribute_vector("polyphony"), atol=1e-5)


def test_a_bare_saved_model_needs_data_for_attribute_vectors(texture_run, tmp_path):
    run, folder, cache = texture_run
    bare = tmp_path / "shipped"
    shutil.copytree(run / "saved_model", bare)
    model = TrainedModel.from_run(bare, cache_dir=str(cache))
    assert model.run_dir is None
    with pytest.raises(UsageError, match="pass data specs"):
        model.attribute_vector("note_density")
    with_data = TrainedModel.from_run(bare, data_specs=[str(folder)], cache_dir=str(cache))
    assert with_data.attribute_vector("polyphony").shape == (8,)
    # A run's saved_model/ folder still finds the run around it.
    assert TrainedModel.from_run(run / "saved_model", cache_dir=str(cache)).run_dir == str(run)


def test_generate_cli_shifts_samples_and_reports_the_effect(texture_run, tmp_path, capsys, monkeypatch):
    run, folder, cache = texture_run
    monkeypatch.setenv("MGUV_CACHE_DIR", str(cache))
    out = tmp_path / "dense"
    generate_main([str(run), "--num", "16", "--seed", "0", "--attribute", "note_density=+1.5",
                   "--out", str(out)])
    printed = capsys.readouterr().out
    line = next(ln for ln in printed.splitlines() if ln.startswith("note_density +1.5"))
    before, after = (float(v) for v in line.rsplit("samples ", 1)[1].split(" -> "))
    assert after > before, line
    assert len(list(out.glob("sample_*.mid"))) == 16 and (out / "sample.png").exists()

    bare = tmp_path / "bare"
    shutil.copytree(run / "saved_model", bare)
    generate_main([str(bare), "--num", "2", "--attribute", "polyphony=-1", "--data", str(folder),
                   "--out", str(tmp_path / "sparse")])
    assert len(list((tmp_path / "sparse").glob("sample_*.mid"))) == 2
    for argv, message in (
        ([str(bare), "--attribute", "note_density=1"], "pass data specs"),
        ([str(run), "--attribute", "loudness=1"], "unknown attribute"),
        ([str(run), "--attribute", "note_density"], "expected NAME=K"),
        ([str(run), "--attribute", "note_density=1", "--interpolate", "a.mid", "b.mid"], "--interpolate"),
        ([str(run), "--data", str(folder)], "only used with --attribute"),
    ):
        with pytest.raises(SystemExit) as exit_info:
            generate_main(argv + ["--out", str(tmp_path / "x")])
        assert exit_info.value.code == 2
        assert message in capsys.readouterr().err, argv
