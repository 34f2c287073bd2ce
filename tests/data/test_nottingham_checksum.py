"""The Nottingham download is pinned to one commit and its MIDI files are checked by SHA-256.

No network: the "download" is a tiny archive-shaped folder handed to the builder in place of
``DownloadManager.download_and_extract``.
"""

import re
import shutil

import pytest
import tensorflow_datasets as tfds

from conftest import NOTTINGHAM, write_tune

from mguv.data import nottingham


def _archive(root, names=("a.mid", "b.mid")):
    """A folder laid out like the extracted GitHub zip: <root>/nottingham-dataset-<commit>/MIDI/*.mid."""
    midi = root / f"nottingham-dataset-{nottingham.COMMIT}" / "MIDI"
    midi.mkdir(parents=True)
    for i, name in enumerate(names):
        write_tune(midi / name, pitches=(60 + i, 64, 67, 72), bars=2)
    return root


@pytest.fixture
def fake_download(tmp_path, monkeypatch):
    """Serves ``_archive`` for the pinned URL (and records what was asked for)."""
    archive = _archive(tmp_path / "download")
    asked = []

    def download_and_extract(self, url):
        asked.append(url)
        return str(archive)

    monkeypatch.setattr(tfds.download.DownloadManager, "download_and_extract", download_and_extract)
    return archive, asked


def test_the_url_is_one_commit_not_the_moving_branch():
    assert re.fullmatch(r"[0-9a-f]{40}", nottingham.COMMIT)
    assert nottingham.URL.endswith(f"/archive/{nottingham.COMMIT}.zip") and "master" not in nottingham.URL
    assert set(nottingham.MIDI_SHA256) == set(nottingham.SUBFOLDERS)
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for h in nottingham.MIDI_SHA256.values())


def test_pinned_digests_match_the_shared_copy():
    if not (NOTTINGHAM / "melody").is_dir():
        pytest.skip(f"Nottingham MIDI not found in {NOTTINGHAM} (the shared data folder beside the repo)")
    for variant, sub in nottingham.SUBFOLDERS.items():
        assert nottingham.midi_digest(NOTTINGHAM / sub) == nottingham.MIDI_SHA256[variant], variant


def test_digest_sees_a_changed_byte_and_a_renamed_file(tmp_path):
    folder = _archive(tmp_path / "a") / f"nottingham-dataset-{nottingham.COMMIT}" / "MIDI"
    before = nottingham.midi_digest(folder)
    data = bytearray((folder / "a.mid").read_bytes())
    data[-5] ^= 1
    (folder / "a.mid").write_bytes(bytes(data))
    changed = nottingham.midi_digest(folder)
    assert changed != before
    shutil.move(folder / "b.mid", folder / "c.mid")
    assert nottingham.midi_digest(folder) not in (before, changed)


def test_a_download_that_is_not_the_pinned_dataset_is_refused(fake_download, tmp_path):
    with pytest.raises(nottingham.ChecksumError, match="not the expected " + nottingham.MIDI_SHA256["full"]):
        nottingham.load_items("full", data_dir=tmp_path / "tfds")
    assert fake_download[1] == [nottingham.URL]
    assert not list((tmp_path / "tfds").glob("**/*.tfrecord*"))  # nothing prepared from it


def test_a_download_with_the_expected_digest_is_prepared(fake_download, tmp_path):
    archive, _ = fake_download
    digest = nottingham.midi_digest(archive / f"nottingham-dataset-{nottingham.COMMIT}" / "MIDI")
    items = nottingham.load_items("full", data_dir=tmp_path / "tfds", sha256=digest)
    assert [i.name for i in items] == ["a.mid", "b.mid"]


def test_a_manual_dir_is_checked_only_when_a_digest_is_given(tmp_path):
    manual = _archive(tmp_path / "manual")
    names = [i.name for i in nottingham.load_items("full", manual_dir=manual, data_dir=tmp_path / "tfds")]
    assert names == ["a.mid", "b.mid"]
    with pytest.raises(nottingham.ChecksumError, match="have SHA-256"):
        nottingham.load_items("full", manual_dir=manual, data_dir=tmp_path / "tfds", sha256="0" * 64)
