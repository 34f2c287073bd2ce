"""The segment cache: a second load reads the segments from one file, and any change rebuilds them."""

import numpy as np

from mguv.data import corpus, roll, segment_cache
from mguv.representation import PianoRoll


def load(folder, tmp_path, rep=PianoRoll()):
    return corpus.load_segments([str(folder)], rep, cache_dir=str(tmp_path / "cache"), workers=1, progress=False)


def test_second_load_reads_the_segments_without_rasterizing(midi_folder, tmp_path, monkeypatch):
    first = load(midi_folder, tmp_path)
    assert len(list((tmp_path / "cache").glob("segments-*.npz"))) == 1

    def fail(*args, **kwargs):
        raise AssertionError("rasterized again despite the segment cache")

    monkeypatch.setattr(roll, "notes_to_roll", fail)
    second = load(midi_folder, tmp_path)
    np.testing.assert_array_equal(first.x, second.x)
    np.testing.assert_array_equal(first.file_id, second.file_id)
    np.testing.assert_array_equal(first.start_step, second.start_step)
    assert second.files == first.files and second.x.dtype == bool
    assert second.report["segments"] == first.report["segments"]
    assert all(s["from_cache"] for s in second.report["sources"].values())


def test_another_representation_or_file_gets_its_own_segments(midi_folder, tmp_path):
    from conftest import write_tune

    load(midi_folder, tmp_path)
    melody = load(midi_folder, tmp_path, PianoRoll(melody_only=True))
    assert melody.x.sum(axis=2).max() == 1  # not the cached polyphonic segments
    write_tune(midi_folder / "a.mid", pitches=(50, 52), bars=2)
    again = load(midi_folder, tmp_path)
    assert len(again) == 1 + 4 + 3
    assert len(list((tmp_path / "cache").glob("segments-*.npz"))) == 3


def test_no_cache_dir_writes_nothing_and_a_damaged_file_is_rebuilt(midi_folder, tmp_path):
    sources = corpus.resolve([str(midi_folder)])
    assert segment_cache.path_for(sources, PianoRoll(), "") is None
    first = load(midi_folder, tmp_path)
    (path,) = (tmp_path / "cache").glob("segments-*.npz")
    path.write_bytes(b"not an npz")
    again = load(midi_folder, tmp_path)
    np.testing.assert_array_equal(first.x, again.x)
