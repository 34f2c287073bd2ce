"""16-bar models (``mguv.configs.long_form``): a hierarchical model with a conductor embedding per bar
trains, exports, decodes a whole 16-bar piece from plain TensorFlow, and generate writes 16 bars."""

import subprocess
import sys
import textwrap

import numpy as np
import pretty_midi
import pytest

from conftest import write_tune
from mguv import configs

TINY = ["model.latent_dim=4", "model.encoder_units=8", "model.conductor_units=8", "model.decoder_units=8",
        "epochs=1", "batch_size=4", "val_fraction=0.34"]

PLAIN_TF_DECODE = textwrap.dedent('''
    import json, sys
    import numpy as np, tensorflow as tf
    m = tf.saved_model.load(sys.argv[1])
    rep = json.loads(m.representation().numpy())
    z = tf.constant(np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32))
    roll = m.decode(z).numpy()
    assert not any(name.split(".")[0] == "mguv" for name in sys.modules), "mguv was imported"
    print("shape", list(roll.shape), "bars", rep["segment_bars"], "meter", rep["meter_numerator"], rep["meter_denominator"])
''')


def test_the_16_bar_configs_have_a_conductor_embedding_per_bar():
    flat, hier = configs.get("lstm_vae-16bar"), configs.get("hier_vae-16bar")
    assert flat.representation == hier.representation
    rep = hier.representation
    assert rep.segment_bars == 16 and rep.segment_steps == 16 * rep.steps_per_bar == 256 and rep.onsets
    assert hier.model.num_subsequences == 16  # one embedding per bar
    assert (flat.model.latent_dim, flat.model.encoder_units, flat.model.decoder_units) == (
        hier.model.latent_dim, hier.model.encoder_units, hier.model.decoder_units)
    # Melodies are one class per step, read bar by bar; the NADE variants are for melody and chords.
    assert flat.model.output == hier.model.output == "melody"
    assert flat.model.encoder_subsequences == hier.model.encoder_subsequences == 16
    for name in ("lstm_vae-16bar-nade", "hier_vae-16bar-nade"):
        nade = configs.get(name)
        assert nade.model.output == "nade" and nade.representation.segment_bars == 16
        # Chords reach below the melodies' C3: the full files keep C2..B5.
        assert (nade.representation.min_pitch, nade.representation.max_pitch) == (36, 83)


@pytest.fixture(scope="module")
def long_run(tmp_path_factory):
    from mguv.training.run import train

    tmp = tmp_path_factory.mktemp("long")
    folder = tmp / "midi"
    folder.mkdir()
    for i, pitches in enumerate([(60, 62, 64, 65, 67), (72, 71, 69, 67), (60, 64, 67, 72, 76)]):
        write_tune(folder / f"t{i}.mid", pitches=pitches, bars=18, chord=[48, 52, 55])
    config = configs.override(configs.get("hier_vae-16bar"), TINY)
    run = tmp / "run"
    summary = train(config, [str(folder)], str(run), cache_dir=str(tmp / "cache"), workers=1, num_samples=2,
                    verbose=0, progress=False)
    return run, summary, tmp


def test_a_16_bar_hierarchical_model_decodes_a_whole_piece_from_plain_tensorflow(long_run):
    from mguv.run_dir import saved_model_dir

    run, summary, tmp = long_run
    # 3 tunes of 18 bars, a window every 2 bars: 2 windows of 16 bars each.
    assert summary["train_segments"] + summary["val_segments"] == 6
    script = tmp / "plain.py"
    script.write_text(PLAIN_TF_DECODE)
    done = subprocess.run([sys.executable, str(script), saved_model_dir(str(run))], cwd=tmp, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "shape [2, 256, 72] bars 16 meter 4 4" in done.stdout


def test_generate_writes_16_bars_of_4_4(long_run):
    from mguv.generate import main

    run, _, tmp = long_run
    out = tmp / "generated"
    assert main([str(run), "--num", "3", "--temperature", "1.0", "--out", str(out)]) == 0
    files = sorted(out.glob("*.mid"))
    assert len(files) == 3
    bar_seconds = 4 * 60 / 120.0
    ends = []
    for path in files:
        pm = pretty_midi.PrettyMIDI(str(path))
        assert [(ts.numerator, ts.denominator, ts.time) for ts in pm.time_signature_changes] == [(4, 4, 0.0)]
        assert pm.estimate_tempo() > 0 and pm.get_tempo_changes()[1][0] == pytest.approx(120.0)
        ends.append(max((n.end for inst in pm.instruments for n in inst.notes), default=0.0))
    # Sampled notes spread over the piece: none past bar 16, and the pieces reach well past 2 bars.
    assert max(ends) <= 16 * bar_seconds + 1e-6
    assert max(ends) > 8 * bar_seconds, ends


def test_interpolate_morphs_between_the_first_16_bars_of_two_tunes(long_run):
    from mguv.generate import main

    run, _, tmp = long_run
    out = tmp / "morph"
    a, b = tmp / "midi" / "t0.mid", tmp / "midi" / "t1.mid"
    assert main([str(run), "--interpolate", str(a), str(b), "--steps", "4", "--out", str(out)]) == 0
    files = sorted(out.glob("*.mid"))
    assert len(files) == 4
    for path in files:
        pm = pretty_midi.PrettyMIDI(str(path))
        assert [(ts.numerator, ts.denominator) for ts in pm.time_signature_changes] == [(4, 4)]
        assert max((n.end for inst in pm.instruments for n in inst.notes), default=0.0) <= 16 * 2.0 + 1e-6


def test_attribute_vectors_shift_16_bar_samples(long_run, capsys):
    from mguv.generate import main

    run, _, tmp = long_run
    out = tmp / "attribute"
    assert main([str(run), "--num", "2", "--attribute", "mean_pitch=+2", "--out", str(out)]) == 0
    files = sorted(out.glob("*.mid"))
    assert len(files) == 2
    printed = capsys.readouterr()
    assert "mean_pitch" in printed.out + printed.err
    for path in files:
        pm = pretty_midi.PrettyMIDI(str(path))
        assert [(ts.numerator, ts.denominator) for ts in pm.time_signature_changes] == [(4, 4)]
        assert max((n.end for inst in pm.instruments for n in inst.notes), default=0.0) <= 16 * 2.0 + 1e-6
