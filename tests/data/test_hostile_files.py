"""Hostile and broken input: each bad file is skipped and counted with a reason, one file's
failure never loses the corpus, and every file lands in exactly one of used / skipped / empty."""

import importlib.util
import subprocess
import sys

import pytest

from conftest import REPO, write_tune
from mguv import representation
from mguv.data import corpus, roll
from mguv.data.audio_files import container_reason, decode_file
from mguv.data.parse import parse_score


spec = importlib.util.spec_from_file_location("robustness", REPO / "benchmarks" / "robustness.py")
robustness = importlib.util.module_from_spec(spec)
spec.loader.exec_module(robustness)


def long_note_midi():
    """37 bytes: 1 tick per quarter note, one note 9,999,990 ticks long (a 40-million-step roll);
    crafted by the fuzz campaign (``benchmarks/robustness.py``)."""
    return robustness.crafted_midi()["long_note_37_bytes.mid"]


def test_the_37_byte_long_note_file_is_skipped_without_a_large_allocation(tmp_path):
    data = long_note_midi()
    assert len(data) == 37
    notes, _, _, reason = parse_score("long.mid", None, data, 4)
    assert notes is None and reason.startswith("too costly") and "quarter notes long" in reason
    # In a fresh process (no TensorFlow): the corpus around it loads, and the peak memory stays small.
    folder = tmp_path / "midi"
    folder.mkdir()
    (folder / "long.mid").write_bytes(data)
    for i in range(2):
        write_tune(folder / f"t{i}.mid", bars=4)
    script = (
        "import sys\n"
        "from mguv import representation\n"
        "from mguv.data import corpus\n"
        "s = corpus.load_segments([sys.argv[1]], representation.PianoRoll(), cache_dir='', workers=1, progress=False)\n"
        # VmHWM: this process's own peak (ru_maxrss would carry the forking test process's over exec).
        "peak = next(l for l in open('/proc/self/status') if l.startswith('VmHWM')).split()[1]\n"
        "print(len(s.files), s.report['bad_files'][0]['file'], peak)\n")
    done = subprocess.run([sys.executable, "-c", script, str(folder)], capture_output=True, text=True, cwd=REPO,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    used, skipped, peak_kib = done.stdout.split()
    assert used == "2" and skipped == "long.mid"
    assert int(peak_kib) < 400 * 1024, f"peak memory {int(peak_kib) / 1024:.0f} MiB"


def _corrupt_division(path, factor):
    """Divides a MIDI file's ticks per quarter note by ``factor`` (a flipped header): every note
    then lasts ``factor`` times as many quarter notes."""
    data = bytearray(path.read_bytes())
    division = int.from_bytes(data[12:14], "big")
    data[12:14] = max(1, division // factor).to_bytes(2, "big")
    path.write_bytes(bytes(data))


def test_a_file_with_a_corrupted_header_does_not_take_over_the_corpus(tmp_path):
    folder = tmp_path / "midi"
    folder.mkdir()
    for i in range(6):
        write_tune(folder / f"t{i}.mid", bars=4, chord=[48])
    _corrupt_division(folder / "t3.mid", 110)
    rep = representation.PianoRoll()
    segments = corpus.load_segments([str(folder)], rep, cache_dir="", workers=1, progress=False)
    assert ("t3.mid" not in {name for _, name in segments.files}) and len(segments.files) == 5
    bad = {b["file"]: b["reason"] for b in segments.report["bad_files"]}
    assert "times the corpus median" in bad["t3.mid"] and "max_file_ratio=0" in bad["t3.mid"]
    assert "t3.mid" in corpus.describe(segments.report)
    # The rule can be turned off: then the file is kept and gives most of the segments.
    kept = corpus.load_segments([str(folder)], representation.PianoRoll(max_file_ratio=0), cache_dir="",
                                workers=1, progress=False)
    assert len(kept.files) == 6 and (kept.file_id == [n for _, n in kept.files].index("t3.mid")).mean() > 0.5


def test_every_file_is_used_skipped_or_empty(tmp_path, monkeypatch):
    folder = tmp_path / "midi"
    folder.mkdir()
    write_tune(folder / "good.mid", bars=4)
    write_tune(folder / "high.mid", pitches=(100, 102), bars=4)     # above the pitch range
    write_tune(folder / "short.mid", bars=1)                        # shorter than a 2-bar segment
    (folder / "garbage.mid").write_bytes(b"MThd not really")
    write_tune(folder / "a_fails.mid", bars=4)                      # sorted first: cut first
    cut = roll.cut_segments

    def failing(r, rep, meter):  # one file's failure while cutting must not lose the others
        failing.calls += 1
        if failing.calls == 1:
            raise MemoryError("simulated")
        return cut(r, rep, meter)

    failing.calls = 0
    monkeypatch.setattr(roll, "cut_segments", failing)
    rep = representation.PianoRoll(segment_bars=2)
    segments = corpus.load_segments([str(folder)], rep, cache_dir="", workers=1, progress=False)
    report = segments.report
    source = report["sources"][str(folder)]
    assert source["files"] == 5 == source["used"] + source["bad"] + source["empty"]
    used = {name for _, name in segments.files}
    skipped = {b["file"]: b["reason"] for b in report["bad_files"]}
    empty = {e["file"]: e["reason"] for e in report["empty_files"]}
    assert len(used) + len(skipped) + len(empty) == 5 and not (used & set(skipped)) and not (used & set(empty))
    assert "garbage.mid" in skipped and skipped["a_fails.mid"] == "MemoryError: simulated"
    assert empty["high.mid"].startswith("no notes in the pitch range 48..83")
    assert empty["short.mid"].startswith("no whole 2-bar segment") or empty["short.mid"].startswith("shorter")
    text = corpus.describe(report)
    assert f"from {source['used']}/5 files, {source['bad']} skipped, {source['empty']} empty" in text


@pytest.mark.parametrize("name, head, ok", [
    ("x.au", b"just some text", False), ("x.au", b".snd\x00\x00\x00\x18\x00\x00\x00\x00", True),
    ("x.wav", b"RIFF\x00\x00\x00\x00WAVE", True), ("x.wav", b"RIFF\x00\x00\x00\x00AVI ", False),
    ("x.flac", b"fLaC\x00\x00\x00\x22\x00\x00\x00\x00", True), ("x.ogg", b"OggS" + bytes(8), True),
    ("x.mp3", b"ID3\x04" + bytes(8), True), ("x.mp3", b"\xff\xfb\x90\x00" + bytes(8), True),
    ("x.mp3", b"<html>" + bytes(6), False)])
def test_audio_files_must_start_with_their_containers_header(name, head, ok):
    assert (container_reason(name, head) is None) == ok


def test_a_text_file_named_au_is_not_decoded_as_u_law(tmp_path):
    path = tmp_path / "notes.au"
    path.write_text("These are my notes about the album.\n" * 200)
    clips, reason = decode_file(path.name, str(path), None, representation.AudioClip(clip_samples=3000))
    assert clips is None and "header of the AU container" in reason
