"""The Nottingham TFDS builder on tiny manual dirs copied from ../shared/data/nottingham."""

import io
import shutil

import pretty_midi
import pytest

from conftest import NOTTINGHAM

from mguv.data import nottingham

SHARED = NOTTINGHAM
FULL = ["ashover1.mid", "ashover10.mid", "ashover2.mid", "jigs1.mid", "reelsa-c1.mid"]
MELODY = ["ashover1.mid", "jigs1.mid", "reelsa-c1.mid"]

# The Nottingham files keep tempo events on a non-zero track; pretty_midi warns about each one.
pytestmark = pytest.mark.filterwarnings("ignore:Tempo, Key or Time signature:RuntimeWarning")


@pytest.fixture(scope="module")
def shared():
    if not all((SHARED / n).is_file() for n in FULL) or not all((SHARED / "melody" / n).is_file()
                                                              for n in MELODY):
        pytest.skip(f"Nottingham MIDI not found in {SHARED} (the shared data folder beside the repo)")
    return SHARED


def _copy(shared, dest, full=FULL, melody=MELODY):
    (dest / "melody").mkdir(parents=True)
    for n in full:
        shutil.copy(shared / n, dest / n)
    for n in melody:
        shutil.copy(shared / "melody" / n, dest / "melody" / n)
    return dest


def _assert_midi_with_notes(items):
    for item in items:
        pm = pretty_midi.PrettyMIDI(io.BytesIO(item.data))
        assert sum(len(i.notes) for i in pm.instruments) > 0, item.name


def test_registered_name():
    import tensorflow_datasets as tfds

    assert tfds.builder_cls("nottingham") is nottingham.Builder
    assert set(nottingham.Builder.builder_configs) == {"full", "melody", "chords"}


def test_manual_dir_full_and_melody(shared, tmp_path):
    manual = _copy(shared, tmp_path / "manual")
    data_dir = tmp_path / "tfds"
    full = nottingham.load_items("full", manual_dir=manual, data_dir=data_dir)
    assert [i.name for i in full] == sorted(FULL)
    assert all(i.data == (shared / i.name).read_bytes() for i in full)
    _assert_midi_with_notes(full)
    melody = nottingham.load_items("melody", manual_dir=manual, data_dir=data_dir)
    assert [i.name for i in melody] == sorted(MELODY)
    assert all(i.data == (shared / "melody" / i.name).read_bytes() for i in melody)
    _assert_midi_with_notes(melody)
    # Everything TFDS wrote stays under the data_dir we gave it.
    assert list(data_dir.glob("mguv_manual/*/nottingham/full/1.0.0/*.tfrecord*"))


def test_midi_subfolder_layouts(shared, tmp_path):
    for layout in ("MIDI", "nottingham-dataset-master/MIDI"):
        top = tmp_path / layout.replace("/", "_")
        _copy(shared, top / layout, full=FULL[:2], melody=[])
        items = nottingham.load_items("full", manual_dir=top, data_dir=tmp_path / "tfds")
        assert [i.name for i in items] == sorted(FULL[:2]), layout


def test_other_manual_dir_is_not_served_stale_data(shared, tmp_path):
    data_dir = tmp_path / "tfds"
    a = _copy(shared, tmp_path / "a", full=FULL[:3], melody=[])
    b = _copy(shared, tmp_path / "b", full=FULL[3:], melody=[])
    assert [i.name for i in nottingham.load_items(manual_dir=a, data_dir=data_dir)] == sorted(FULL[:3])
    assert [i.name for i in nottingham.load_items(manual_dir=b, data_dir=data_dir)] == sorted(FULL[3:])
    # Adding a file to a folder already prepared prepares it again.
    shutil.copy(shared / FULL[4], a / FULL[4])
    names = [i.name for i in nottingham.load_items(manual_dir=a, data_dir=data_dir)]
    assert names == sorted(FULL[:3] + FULL[4:])


def test_empty_manual_dir_is_one_line_value_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no MIDI files in") as err:
        nottingham.load_items(manual_dir=tmp_path / "empty", data_dir=tmp_path / "tfds")
    assert "\n" not in str(err.value)
    assert not (tmp_path / "tfds").exists()
    from mguv.errors import UsageError

    assert isinstance(err.value, UsageError)  # so the CLI prints one line and exits 2


def test_missing_variant_folder_is_value_error(shared, tmp_path):
    manual = _copy(shared, tmp_path / "manual", full=FULL[:1], melody=[])
    with pytest.raises(ValueError, match="nottingham/chords: no MIDI files"):
        nottingham.load_items("chords", manual_dir=manual, data_dir=tmp_path / "tfds")


def test_builder_rejects_manual_dir_without_midi(tmp_path):
    """Through TFDS itself (as the CLI would), not only through ``load_items``."""
    import tensorflow_datasets as tfds

    (tmp_path / "manual").mkdir()
    (tmp_path / "manual" / "README.txt").write_text("no tunes here")
    builder = nottingham.Builder(config="full", data_dir=tmp_path / "tfds")
    config = tfds.download.DownloadConfig(manual_dir=tmp_path / "manual", try_download_gcs=False)
    with pytest.raises(ValueError, match="no MIDI files in"):
        builder.download_and_prepare(download_config=config)


def test_failed_download_is_one_line_error(tmp_path, monkeypatch):
    """Offline, TFDS's own error is a long ``requests`` traceback after minutes of retries."""
    import requests
    import tensorflow_datasets as tfds

    from mguv.errors import UsageError

    def offline(self, url):
        raise requests.exceptions.ConnectionError(f"Failed to resolve {url}")

    monkeypatch.setattr(tfds.download.DownloadManager, "download_and_extract", offline)
    with pytest.raises(UsageError, match="could not download .*--data nottingham=DIR") as err:
        nottingham.load_items("melody", data_dir=tmp_path / "tfds")
    assert isinstance(err.value, OSError) and "\n" not in str(err.value)
