"""Corpora: folders and named corpora, bad files, the parse cache, merging, splits."""

import numpy as np
import pytest

from conftest import write_tune
from mguv.data import cache, corpus
from mguv.data.split import train_val_indices
from mguv.errors import UsageError
from mguv.representation import PianoRoll

REP = PianoRoll()


def load(specs, tmp_path, **kw):
    return corpus.load_segments([str(s) for s in specs], REP, cache_dir=str(tmp_path / "cache"),
                                workers=1, progress=False, **kw)


def test_folder_is_searched_recursively(midi_folder, tmp_path):
    segs = load([midi_folder], tmp_path)
    assert sorted(name for _, name in segs.files) == ["a.mid", "b.mid", "sub/c.midi"]
    # a, b: 8 bars = 128 steps = 4 segments each; c: 6 bars = 96 steps = 3 segments.
    assert len(segs) == 11 and segs.x.shape == (11, 32, 36) and segs.x.dtype == bool


def test_bad_files_are_skipped_and_counted(midi_folder, tmp_path):
    (midi_folder / "empty.mid").write_bytes(b"")
    (midi_folder / "text.mid").write_text("this is not MIDI")
    good = (midi_folder / "a.mid").read_bytes()
    (midi_folder / "truncated.mid").write_bytes(good[: len(good) // 2])
    segs = load([midi_folder], tmp_path)
    report = segs.report["sources"][str(midi_folder)]
    assert report["files"] == 6 and report["parsed"] + report["bad"] == 6
    assert {b["file"] for b in segs.report["bad_files"]} >= {"empty.mid", "text.mid"}
    assert "skipped" in corpus.describe(segs.report)


def test_second_run_parses_nothing(midi_folder, tmp_path, monkeypatch):
    first = load([midi_folder], tmp_path)

    def fail(*args):
        raise AssertionError("parsed again despite the cache")

    monkeypatch.setattr(cache, "_parse_job", fail)
    second = load([midi_folder], tmp_path)
    np.testing.assert_array_equal(first.x, second.x)
    assert second.report["sources"][str(midi_folder)]["from_cache"]


def test_cache_key_follows_file_contents(midi_folder, tmp_path):
    load([midi_folder], tmp_path)
    write_tune(midi_folder / "a.mid", pitches=(50, 52), bars=2)
    again = load([midi_folder], tmp_path)
    assert not again.report["sources"][str(midi_folder)]["from_cache"]
    assert len(again) == 1 + 4 + 3


def test_parallel_parse_matches_serial(midi_folder, tmp_path):
    for i in range(6):
        write_tune(midi_folder / f"extra{i}.mid", pitches=(60 + i, 64 + i), bars=2)
    source = corpus.resolve([str(midi_folder)])[0]
    serial = cache.parse_source(source, 4, cache_dir="", workers=1, progress=False)
    parallel = cache.parse_source(source, 4, cache_dir="", workers=2, progress=False)
    assert serial.names == parallel.names
    for a, b in zip(serial.notes, parallel.notes):
        np.testing.assert_array_equal(a, b)


def test_several_folders_merge_with_per_source_counts(midi_folder, tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    write_tune(other / "x.mid", bars=4)
    segs = load([midi_folder, other], tmp_path)
    sources = segs.report["sources"]
    assert sources[str(midi_folder)]["segments"] == 11 and sources[str(other)]["segments"] == 2
    assert len(segs) == 13


def test_bad_specs_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="no such file or folder"):
        corpus.resolve([str(tmp_path / "missing")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no MIDI files"):
        corpus.resolve([str(tmp_path / "empty")])


def test_a_corpus_with_no_usable_file_is_an_error(tmp_path):
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "x.mid").write_bytes(b"junk")
    with pytest.raises(UsageError, match="no usable segments"):
        load([folder], tmp_path)


def test_bach_is_a_named_corpus():
    pytest.importorskip("music21")
    source = corpus.resolve(["bach"])[0]
    assert len(source.items) > 300
    assert all(it.name.endswith((".mxl", ".xml", ".krn")) for it in source.items)


def test_file_split_keeps_tunes_on_one_side(midi_folder, tmp_path):
    for i in range(7):
        write_tune(midi_folder / f"more{i}.mid", pitches=(55 + i, 60 + i), bars=4)
    segs = load([midi_folder], tmp_path)
    train, val = train_val_indices(segs, 0.15, "file", seed=3)
    assert len(train) + len(val) == len(segs) and len(val) > 0
    assert not set(segs.file_id[train]) & set(segs.file_id[val])
    again = train_val_indices(segs, 0.15, "file", seed=3)
    np.testing.assert_array_equal(val, again[1])


def test_segment_split_is_random_but_seeded(midi_folder, tmp_path):
    segs = load([midi_folder], tmp_path)
    train, val = train_val_indices(segs, 0.3, "segment", seed=1)
    assert len(val) == 3 and len(train) == 8
    np.testing.assert_array_equal(val, train_val_indices(segs, 0.3, "segment", seed=1)[1])


def test_shards_built_separately_are_merged_without_parsing(midi_folder, tmp_path, monkeypatch):
    from mguv import preprocess

    (midi_folder / "junk.mid").write_bytes(b"junk")
    whole = corpus.load_segments([str(midi_folder)], REP, cache_dir="", workers=1, progress=False)
    for index in range(3):
        preprocess.main(["--data", str(midi_folder), "--shard", str(index), "--num-shards", "3",
                         "--cache-dir", str(tmp_path / "cache"), "--workers", "1"])
    assert len(list((tmp_path / "cache").glob("notes-*.shard-*-of-00003.npz"))) == 3

    def fail(*args):
        raise AssertionError("parsed again despite the shards")

    monkeypatch.setattr(cache, "_parse_job", fail)
    merged = load([midi_folder], tmp_path)
    np.testing.assert_array_equal(merged.x, whole.x)
    assert merged.files == whole.files and merged.report["bad_files"] == whole.report["bad_files"]


def test_an_incomplete_shard_set_is_not_used(midi_folder, tmp_path):
    from mguv import preprocess

    preprocess.main(["--data", str(midi_folder), "--shard", "0", "--num-shards", "2",
                     "--cache-dir", str(tmp_path / "cache"), "--workers", "1"])
    segs = load([midi_folder], tmp_path)
    assert len(segs) == 11 and not segs.report["sources"][str(midi_folder)]["from_cache"]
