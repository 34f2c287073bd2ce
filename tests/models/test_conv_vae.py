"""The audio VAE: both configs train, save/load, export, generate WAV, evaluate, and decode without mguv."""

import json
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import soundfile

from mguv import configs
from mguv.evaluate import main as evaluate_main
from mguv.generate import main as generate_main
from mguv.models.losses import mr_stft_distance, snr_db
from mguv.trained_model import TrainedModel
from mguv.training.run import train

PLAIN_TF_DECODE = textwrap.dedent('''
    import json, sys
    import numpy as np, soundfile, tensorflow as tf
    m = tf.saved_model.load(sys.argv[1])
    rep = json.loads(m.representation().numpy())
    z = tf.random.stateless_normal([2] + rep["latent_shape"], seed=[1, 2])
    wave = m.decode(z).numpy()
    assert wave.shape == (2, rep["clip_samples"], 1), wave.shape
    soundfile.write(sys.argv[2], wave[0, :, 0], rep["sample_rate"], subtype="PCM_16")
    assert not any(name.split(".")[0] == "mguv" for name in sys.modules), "mguv was imported"
''')


def tone_folder(root, n=5, seconds=1.2, sr=22050):
    root.mkdir(parents=True, exist_ok=True)
    t = np.arange(int(sr * seconds)) / sr
    for i in range(n):
        soundfile.write(root / f"tone{i}.wav", 0.5 * np.sin(2 * np.pi * (200 + 50 * i) * t) * np.exp(-t), sr)
    return root


def test_snr_and_stft_distance():
    x = np.random.default_rng(0).standard_normal((2, 3000, 1)).astype(np.float32) * 0.3
    assert float(mr_stft_distance(x, x)[0]) == pytest.approx(0.0, abs=1e-5)
    np.testing.assert_allclose(snr_db(x, 0.9 * x).numpy(), 20.0, atol=1e-3)  # error 0.1x -> 20 dB


@pytest.mark.parametrize("name", ["conv_vae", "conv_vae-paper"])
def test_both_paper_scale_configs_train_a_step(name):
    config = configs.get(name)
    model = config.build_model()
    model.compile(optimizer=config.train.build_optimizer())
    rng = np.random.default_rng(0)
    x = (0.3 * np.sin(np.arange(config.representation.clip_samples) / 7.0)[None, :, None]
         + 0.05 * rng.standard_normal((2, config.representation.clip_samples, 1))).astype(np.float32)
    logs = model.fit(x, batch_size=2, epochs=1, verbose=0).history
    assert all(np.isfinite(v[-1]) for v in logs.values())
    assert {"snr_db", "mr_stft", "nll", "kl"} <= set(logs)
    if name == "conv_vae":
        assert model.latent_shape == (352, 16) and "stft" in logs


def test_conv_vae_keras_round_trip(tmp_path):
    model = configs.get("conv_vae-tiny").build_model()
    x = np.random.default_rng(1).uniform(-0.5, 0.5, (2, 3000, 1)).astype(np.float32)
    model.save(tmp_path / "a.keras")
    loaded = keras.saving.load_model(tmp_path / "a.keras")
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))


@pytest.fixture(scope="module")
def audio_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("audio")
    folder = tone_folder(root / "wavs")
    (folder / "broken.wav").write_bytes(b"RIFF....WAVEfmt nope")
    run = root / "run"
    config = configs.override(configs.get("conv_vae-tiny"), ["epochs=2", "val_fraction=0.4"])
    summary = train(config, [str(folder)], str(run), cache_dir=str(root / "cache"), workers=1,
                    num_samples=2, verbose=0, progress=False)
    return run, folder, summary


def test_audio_run_writes_wavs_plots_and_skips_bad_files(audio_run):
    run, _, summary = audio_run
    assert np.isfinite(summary["val"]["loss"]) and np.isfinite(summary["val"]["snr_db"])
    data = json.loads((run / "data.json").read_text())
    assert [b["file"] for b in data["bad_files"]] == ["broken.wav"]
    wave, sr = soundfile.read(run / "samples" / "sample_00.wav")
    assert sr == 3000 and len(wave) == 3000
    for name in ("plots/loss.png", "plots/reconstructions.png", "plots/samples.png", "model.keras"):
        assert (run / name).exists(), name


def test_generate_and_interpolate_audio(audio_run, tmp_path):
    run, folder, _ = audio_run
    generate_main([str(run), "--num", "2", "--out", str(tmp_path / "g")])
    wave, sr = soundfile.read(tmp_path / "g" / "sample_01.wav")
    assert sr == 3000 and len(wave) == 3000 and (tmp_path / "g" / "sample.png").exists()
    generate_main([str(run), "--interpolate", str(folder / "tone0.wav"), str(folder / "tone4.wav"),
                   "--steps", "3", "--out", str(tmp_path / "i")])
    assert len(list((tmp_path / "i").glob("interp_*.wav"))) == 3
    gen = TrainedModel.from_run(str(run))
    assert gen.rep.mode == "audio" and gen.latent_shape[-1] == 4


def test_evaluate_audio_run(audio_run):
    run, _, _ = audio_run
    evaluate_main([str(run)])
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["val_clips"] >= 1 and np.isfinite(metrics["snr_db"]) and metrics["mr_stft"] > 0
    assert metrics["kl_per_clip_nats"] >= 0 and (run / "plots" / "eval_reconstructions.png").exists()


def test_audio_saved_model_decodes_without_mguv(audio_run, tmp_path):
    run, _, _ = audio_run
    script = tmp_path / "plain.py"
    script.write_text(PLAIN_TF_DECODE)
    out = tmp_path / "plain.wav"
    result = subprocess.run([sys.executable, str(script), str(run / "saved_model"), str(out)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    wave, sr = soundfile.read(out)
    assert sr == 3000 and len(wave) == 3000
