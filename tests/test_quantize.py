"""``python -m mguv.quantize``: what a model of a config sees of real files, written back as MIDI on
the file's own timeline."""

import subprocess
import sys

import numpy as np
import pretty_midi
import pytest

from conftest import REPO, write_tune
from mguv import configs
from mguv.quantize import main, quantize

JIG = ["--set", "meter_numerator=6", "--set", "meter_denominator=8"]


def notes_of(path, seconds_per_step):
    pm = pretty_midi.PrettyMIDI(str(path))
    return sorted((n.pitch, round(n.start / seconds_per_step), round(n.end / seconds_per_step))
                  for n in pm.instruments[0].notes)


def test_a_nottingham_jig_keeps_every_repeated_note_with_onsets_and_merges_them_without(nottingham, tmp_path,
                                                                                         capsys):
    path = nottingham / "jigs1.mid"  # 6/8, with repeated notes
    rep = configs.override(configs.get("lstm_vae"), JIG[1::2]).representation
    result = quantize(str(path), rep)
    starts = np.array(result["segments"])
    assert len(starts) > 0 and ((starts - result["meter"].first_downbeat_step) % 12 == 0).all()  # downbeats
    assert result["merged"] == 0 and result["kept"] > 200
    binary = quantize(str(path), configs.override(configs.get("lstm_vae"), JIG[1::2] + ["onsets=false"])
                      .representation)
    assert binary["merged"] > 50 and binary["kept"] + binary["merged"] == result["kept"] + result["merged"]

    out = tmp_path / "jig.mid"
    assert main([str(path), *JIG, "--out", str(out), "--png", str(tmp_path / "jig.png")]) == 0
    printed = capsys.readouterr().out
    assert "6/8" in printed and f"kept {result['kept']}" in printed and "merged 0" in printed
    written = pretty_midi.PrettyMIDI(str(out))
    assert [(t.numerator, t.denominator) for t in written.time_signature_changes] == [(6, 8)]
    assert notes_of(out, 60.0 / (result["meter"].tempo * rep.steps_per_beat)) == sorted(
        map(tuple, result["notes_back"].tolist()))
    assert (tmp_path / "jig.png").stat().st_size > 0


def test_a_chorale_with_ties_and_a_pickup(tmp_path):
    music21 = pytest.importorskip("music21")
    path = str(music21.corpus.getWork("bwv1.6"))  # 4/4 with a one-beat pickup and tied notes
    result = quantize(path, configs.get("lstm_vae").representation)
    assert result["meter"].first_downbeat_step == 4 and min(result["segments"]) == 4
    # The only notes lost inside the segments are voices in unison: two notes of one pitch at once.
    from mguv.data.parse import parse_file

    notes = parse_file("bwv1.6.mxl", path, None, 4)[0]
    unison = sum(any(q[0] == n[0] and q[1] < n[2] and n[1] < q[2] for j, q in enumerate(notes) if j != i)
                 for i, n in enumerate(notes))
    assert result["kept"] > 300 and 0 < result["merged"] <= unison
    out = tmp_path / "bwv1.6.mid"
    assert main([path, "--out", str(out)]) == 0
    assert round(pretty_midi.PrettyMIDI(str(out)).get_tempo_changes()[1][0]) == 76


def test_a_written_6_8_tune_with_a_pickup_starts_its_segments_after_it(tmp_path):
    path = write_tune(tmp_path / "jig.mid", time_signature=(6, 8), pickup=1.0, bars=4)
    result = quantize(str(path), configs.override(configs.get("lstm_vae"), JIG[1::2]).representation)
    assert result["segments"] == [4, 28] and result["outside"] == 2  # the two pickup eighths


@pytest.mark.parametrize("args, message", [
    (["missing.mid", "--out", "x.mid"], "no such file"),
    (["{tune}", "--out", "x.wav"], "expected a .mid file"),
    (["{tune}", "--config", "conv_vae", "--out", "x.mid"], "quantize reads scores"),
    (["{tune}", "--set", "meter_numerator=0", "--out", "x.mid"], "meter_numerator"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, message):
    tune = write_tune(tmp_path / "t.mid")
    result = subprocess.run([sys.executable, "-m", "mguv.quantize", *[a.format(tune=tune) for a in args]],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120, env={"PYTHONPATH": str(REPO),
                                                                                               "PATH": "/usr/bin:/bin"})
    assert result.returncode == 2 and message in result.stderr and len(result.stderr.strip().splitlines()) == 1
