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

PLAIN_TF_SAMPLE = textwrap.dedent('''
    import json, sys
    import numpy as np, tensorflow as tf
    m = tf.saved_model.load(sys.argv[1])
    rep = json.loads(m.representation().numpy())
    assert rep["sample_input"] == "num" and rep["prior"] == "learned", rep
    out = m.sample(tf.constant(2), tf.constant(1.0), tf.constant([1, 2]))
    wave, z = out["wave"].numpy(), out["z"].numpy()
    assert wave.shape == (2, rep["clip_samples"], 1) and z.shape == (2, *rep["latent_shape"]), (wave.shape, z.shape)
    assert np.isfinite(wave).all() and np.abs(wave).max() <= 1.0
    np.testing.assert_array_equal(wave, m.sample(tf.constant(2), tf.constant(1.0), tf.constant([1, 2]))["wave"])
    np.testing.assert_allclose(m.decode(z).numpy(), wave, atol=1e-5)  # the sample is z from the prior, decoded
    assert not np.allclose(z[:, 1:], z[:, :1])  # the latent frames change over time
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
    assert 0.0 <= metrics["chroma_agreement"] <= 1.0


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


def test_nearest_upsampling_puts_no_tones_on_silence_where_transposed_convolutions_do():
    from mguv.evaluate_audio import silence_tone_db
    from mguv.errors import UsageError
    from mguv.models.conv_vae import ConvDecoder

    levels = {}
    for upsample in ("nearest", "linear", "transposed"):
        config = configs.override(configs.get("conv_vae-tiny"), [f"upsample={upsample}"])
        keras.utils.set_random_seed(0)
        model = config.build_model()
        rng = np.random.default_rng(0)
        for w in model.weights:  # trained biases: silence no longer maps to an all-zero latent
            if w.path.endswith("bias"):
                w.assign(rng.normal(0.0, 0.1, w.shape).astype(np.float32))
        levels[upsample] = silence_tone_db(model, config.representation, 16)  # hop 4 x 4
    assert max(levels["nearest"], levels["linear"]) < -120, levels
    assert levels["transposed"] > levels["nearest"] + 50, levels
    assert ConvDecoder(3000).upsample == "transposed"  # models saved before the choice load as they were
    with pytest.raises(UsageError, match="upsample"):
        configs.override(configs.get("conv_vae-tiny"), ["upsample=cubic"]).build_model()


def test_a_model_trained_on_crops_encodes_and_decodes_whole_clips():
    from mguv.data.converters import converter_for

    config = configs.get("conv_vae-tiny")  # 1-s clips (3000 samples), 0.5-s training crops
    rep = config.representation
    model = config.build_model()
    model.compile(optimizer=config.train.build_optimizer())
    t = np.arange(rep.clip_samples) / rep.sample_rate
    x = np.stack([0.5 * np.sin(2 * np.pi * f * t) for f in (220, 330, 440, 550)])[..., None].astype(np.float32)
    ds = converter_for(rep).dataset(x, 4, shuffle=True, crop_seconds=config.train.crop_seconds)
    assert tuple(next(iter(ds)).shape) == (4, 1500, 1)
    history = model.fit(ds, epochs=2, verbose=0, shuffle=False).history
    assert np.isfinite(history["loss"]).all()
    mean, _ = model.encode(x)
    assert tuple(mean.shape) == (4,) + model.latent_shape == (4, 188, 4)
    wave = np.asarray(model.decoder.generate(mean)[0])
    assert wave.shape == x.shape and np.isfinite(wave).all()
    assert np.isfinite(model.evaluate(x, batch_size=4, verbose=0, return_dict=True)["snr_db"])


def test_padding_is_masked_out_of_the_loss_and_the_metrics():
    from mguv.models.audio_losses import masked_mr_stft, masked_snr_db, padding_mask

    model = configs.get("conv_vae-tiny").build_model()
    rng = np.random.default_rng(0)
    x = np.zeros((2, 3000, 1), np.float32)
    x[0, :2000, 0] = 0.5 * np.sin(np.arange(2000) / 3.0)  # a short file: 1000 samples of padding
    x[1, :, 0] = 0.5 * np.sin(np.arange(3000) / 5.0)
    y = (x + 0.05 * rng.standard_normal(x.shape)).astype(np.float32)
    noisy_padding = y.copy()
    noisy_padding[0, 2000:] = 0.5 * rng.standard_normal((1000, 1))  # e.g. tones where the file ended
    mask = np.asarray(padding_mask(x))
    assert mask[0, :2000].all() and not mask[0, 2000:].any() and mask[1].all()
    a, b = (model.decoder.reconstruction_loss(x, v) for v in (y, noisy_padding))
    for name in ("recon", "nll", "stft"):
        np.testing.assert_allclose(np.asarray(a[name]), np.asarray(b[name]), rtol=1e-5, err_msg=name)
    np.testing.assert_allclose(masked_snr_db(x, y, mask), masked_snr_db(x, noisy_padding, mask), rtol=1e-5)
    np.testing.assert_allclose(masked_mr_stft(x, y, mask), masked_mr_stft(x, noisy_padding, mask), rtol=1e-5)
    assert float(snr_db(x, noisy_padding)[0]) < float(snr_db(x, y)[0]) - 3  # unmasked, the padding counts


def test_the_learned_prior_is_fitted_and_its_saved_model_samples_without_mguv(audio_run, tmp_path):
    run, _, summary = audio_run
    assert np.isfinite(summary["val"]["prior_nll"]) and (run / "prior" / "model.keras").exists()
    script = tmp_path / "plain_sample.py"
    script.write_text(PLAIN_TF_SAMPLE)
    result = subprocess.run([sys.executable, str(script), str(run / "saved_model")], cwd=tmp_path,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    model = TrainedModel.from_run(str(run))
    learned, normal = model.sample(2, seed=3), model.sample(2, seed=3, prior="normal")
    assert learned.shape == normal.shape == (2, 3000, 1) and not np.allclose(learned, normal)


def test_generate_prior_flag_picks_where_samples_come_from(audio_run, tmp_path, capsys):
    import soundfile

    from mguv.generate import main

    run, _, _ = audio_run
    waves = {}
    for prior in ("learned", "normal"):
        out = tmp_path / prior
        assert main([str(run), "--num", "2", "--seed", "3", "--prior", prior, "--out", str(out)]) == 0
        waves[prior] = np.stack([soundfile.read(str(p))[0] for p in sorted(out.glob("*.wav"))])
    assert waves["learned"].shape == waves["normal"].shape and not np.allclose(waves["learned"], waves["normal"])
    with pytest.raises(SystemExit) as exit_:
        main([str(run), "--prior", "normal", "--attribute", "note_density=1"])
    assert exit_.value.code == 2 and "--prior" in capsys.readouterr().err


@pytest.mark.parametrize("name, setting, message", [
    ("lstm_vae-tiny", "crop_seconds=1", "crop_seconds applies to audio"),
    ("conv_vae-paper", "crop_seconds=3", "takes whole clips"),
    ("conv_vae-tiny", "crop_seconds=2", "longer than the 1 s clips"),
    ("conv_vae-tiny", "model.prior=gmm", "choose lstm or none"),
])
def test_settings_that_cannot_work_are_one_line_errors(name, setting, message):
    from mguv.errors import UsageError

    with pytest.raises(UsageError, match=message):
        configs.override(configs.get(name), [setting]).build_model()
