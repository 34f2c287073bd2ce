"""SavedModel export, generation CLI, and the end-to-end path on real Nottingham MIDI."""

import json
import subprocess
import sys
import textwrap

import numpy as np
import pretty_midi
import pytest

from conftest import REPO
from mguv import configs
from mguv.generate import main as generate_main
from mguv.trained_model import TrainedModel
from mguv.training.run import train

PLAIN_TF_DECODE = textwrap.dedent('''
    # Runs with plain TensorFlow + pretty_midi: this is how a user ships a model without mguv.
    import json, sys
    import numpy as np, pretty_midi, tensorflow as tf
    m = tf.saved_model.load(sys.argv[1])
    rep = json.loads(m.representation().numpy())
    z = tf.random.stateless_normal([2, rep["latent_dim"]], seed=[1, 2])
    probs = m.decode(z).numpy()
    assert probs.shape == (2, rep["segment_steps"], rep["num_pitches"]), probs.shape
    roll = m.sample(z, tf.constant(1.0), tf.constant([3, 4], tf.int32))["roll"].numpy()[0]
    pm = pretty_midi.PrettyMIDI(initial_tempo=rep["tempo"])
    inst = pretty_midi.Instrument(program=rep["program"])
    dt = 60.0 / (rep["tempo"] * rep["steps_per_beat"])
    for t, j in zip(*np.nonzero(roll)):
        inst.notes.append(pretty_midi.Note(90, int(rep["min_pitch"] + j), t * dt, (t + 1) * dt))
    pm.instruments.append(inst)
    pm.write(sys.argv[2])
    assert not any(name.split(".")[0] == "mguv" for name in sys.modules), "mguv was imported"
    print("notes", len(inst.notes))
''')


def decode_without_mguv(saved_model, midi_out, tmp_path):
    script = tmp_path / "plain_tf.py"
    script.write_text(PLAIN_TF_DECODE)
    result = subprocess.run([sys.executable, str(script), str(saved_model), str(midi_out)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return pretty_midi.PrettyMIDI(str(midi_out))


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    from conftest import write_tune

    root = tmp_path_factory.mktemp("gen")
    folder = root / "midi"
    folder.mkdir()
    for i in range(4):
        write_tune(folder / f"t{i}.mid", pitches=(60 + i, 64 + i, 67 + i), bars=4, chord=[48 + i])
    run = root / "run"
    train(configs.get("lstm_vae-tiny"), [str(folder)], str(run), cache_dir=str(root / "cache"),
          workers=1, num_samples=2, verbose=0, progress=False)
    return run, folder


def test_saved_model_carries_the_representation(tiny_run):
    run, _ = tiny_run
    gen = TrainedModel.from_run(str(run))
    saved = json.loads((run / "representation.json").read_text())
    assert gen.rep.to_dict() == saved and gen.latent_dim == 8
    asset = json.loads((run / "saved_model" / "assets" / "representation.json").read_text())
    assert asset["segment_steps"] == 32 and asset["latent_dim"] == 8


def test_saved_model_matches_the_keras_model(tiny_run):
    from mguv.models.saving import load_model

    run, _ = tiny_run
    model = load_model(str(run / "model.keras"))
    gen = TrainedModel.from_run(str(run))
    x = (np.random.default_rng(0).random((3, 32, 36)) < 0.1).astype(np.float32)
    np.testing.assert_allclose(gen.encode(x), model.encode(x)[0].numpy(), atol=1e-5)
    z = np.random.default_rng(1).standard_normal((3, 8)).astype(np.float32)
    np.testing.assert_allclose(gen.module.decode(z).numpy(), model.decoder.generate(z)[0].numpy(), atol=1e-5)


def test_generate_cli_writes_midi_pngs_and_wavs(tiny_run, tmp_path):
    run, folder = tiny_run
    out = tmp_path / "gen"
    generate_main([str(run), "--num", "3", "--temperature", "1.0", "--seed", "5", "--wav", "--out", str(out)])
    for i in range(3):
        assert (out / f"sample_{i:02d}.png").exists() and (out / f"sample_{i:02d}.wav").exists()
        assert pretty_midi.PrettyMIDI(str(out / f"sample_{i:02d}.mid")).instruments
    generate_main([str(run), "--interpolate", str(folder / "t0.mid"), str(folder / "t3.mid"),
                   "--steps", "4", "--out", str(out / "interp")])
    assert len(list((out / "interp").glob("interp_*.mid"))) == 4
    assert (out / "interp" / "interp.png").exists()


def test_sampling_is_seeded(tiny_run):
    gen = TrainedModel.from_run(str(tiny_run[0]))
    np.testing.assert_array_equal(gen.sample(2, 1.0, seed=7), gen.sample(2, 1.0, seed=7))
    assert not np.array_equal(gen.sample(2, 1.0, seed=7), gen.sample(2, 1.0, seed=8))


def test_end_to_end_on_nottingham(nottingham_slice, tmp_path):
    """Real MIDI -> train 1 epoch -> SavedModel -> decode in a process without mguv -> MIDI."""
    run = tmp_path / "run"
    summary = train(configs.get("lstm_vae-tiny"), [str(nottingham_slice)], str(run),
                    cache_dir=str(tmp_path / "cache"), workers=2, num_samples=2, verbose=0, progress=False)
    assert summary["segments"] > 200 and np.isfinite(summary["val"]["loss"])
    pm = decode_without_mguv(run / "saved_model", tmp_path / "plain.mid", tmp_path)
    notes = [n for inst in pm.instruments for n in inst.notes]
    assert notes and all(48 <= n.pitch <= 83 for n in notes)
    result = subprocess.run([sys.executable, "-m", "mguv.generate", str(run), "--num", "2"],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert len(list((run / "generated").glob("sample_*.mid"))) == 2


def midi_notes(path):
    """(pitch, start s, end s, velocity) of every note of a MIDI file, sorted."""
    pm = pretty_midi.PrettyMIDI(str(path))
    return pm, sorted((n.pitch, n.start, n.end, n.velocity) for inst in pm.instruments for n in inst.notes)


def test_generate_tempo_stretches_the_same_notes(tiny_run, tmp_path):
    run, _ = tiny_run
    args = [str(run), "--num", "2", "--temperature", "1.0", "--seed", "3", "--wav"]
    generate_main(args + ["--out", str(tmp_path / "own")])
    generate_main(args + ["--tempo", "90", "--out", str(tmp_path / "slow")])
    for i in range(2):
        name = f"sample_{i:02d}.mid"
        own_pm, own = midi_notes(tmp_path / "own" / name)
        slow_pm, slow = midi_notes(tmp_path / "slow" / name)
        assert own_pm.get_tempo_changes()[1] == pytest.approx([120.0])
        assert slow_pm.get_tempo_changes()[1] == pytest.approx([90.0], abs=1e-3)
        assert own and [(p, v) for p, _, _, v in slow] == [(p, v) for p, _, _, v in own]
        stretch = 120.0 / 90.0
        np.testing.assert_allclose([(s, e) for _, s, e, _ in slow],
                                   [(s * stretch, e * stretch) for _, s, e, _ in own], atol=1e-3)
        assert [(slow_pm.time_to_tick(s), slow_pm.time_to_tick(e)) for _, s, e, _ in slow] == \
               [(own_pm.time_to_tick(s), own_pm.time_to_tick(e)) for _, s, e, _ in own]
    # The rendered WAVs follow the tempo too.
    import soundfile

    assert soundfile.info(str(tmp_path / "slow" / "sample_00.wav")).duration > \
           soundfile.info(str(tmp_path / "own" / "sample_00.wav")).duration


def one_line_exit_2(capsys, argv):
    with pytest.raises(SystemExit) as exit_info:
        generate_main(argv)
    lines = capsys.readouterr().err.strip().splitlines()
    assert exit_info.value.code == 2 and len(lines) == 1 and lines[0].startswith("error:"), lines
    return lines[0]


@pytest.mark.parametrize("tempo", ["0", "-60", "nan"])
def test_generate_tempo_must_be_positive(tiny_run, tmp_path, capsys, tempo):
    line = one_line_exit_2(capsys, [str(tiny_run[0]), "--tempo", tempo, "--out", str(tmp_path / "out")])
    assert "--tempo must be a positive" in line
    assert not (tmp_path / "out").exists()


def test_generate_tempo_on_an_audio_run_is_a_usage_error(tmp_path, capsys, monkeypatch):
    import mguv.generate
    from mguv.errors import UsageError
    from mguv.representation import AudioClip

    audio = TrainedModel(None, AudioClip(clip_samples=3000), latent_shape=(47, 4))
    monkeypatch.setattr(mguv.generate.TrainedModel, "from_run", lambda *args, **kwargs: audio)
    line = one_line_exit_2(capsys, [str(tmp_path), "--tempo", "90", "--out", str(tmp_path / "out")])
    assert "--tempo applies to symbolic runs" in line
    with pytest.raises(UsageError, match="symbolic"):
        audio.write(np.zeros((1, 3000, 1), np.float32), str(tmp_path / "out"), "x", ["x"], tempo=90)
