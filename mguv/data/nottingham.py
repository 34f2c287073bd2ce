"""The Nottingham folk-tune MIDI dataset as a TensorFlow Datasets builder (registered as ``nottingham``).

About 1,000 British and American folk tunes, from the cleaned Nottingham Music Database published
as the GitHub repository jukedeck/nottingham-dataset. Each example is one MIDI file:

  - ``name``: the file name, e.g. ``"ashover1.mid"`` (also the example key);
  - ``midi``: the raw bytes of that Standard MIDI File (tf.string, shape ``[]``).

Configs pick a folder of the archive: ``full`` (``MIDI/*.mid``, melody and chords in one file),
``melody`` (``MIDI/melody/*.mid``) and ``chords`` (``MIDI/chords/*.mid``). There is one split,
``train``, holding every file in name order; callers do their own splitting.

License: the dataset is GPLv3. mguv never ships it: the builder downloads the archive at run time, or
reads a copy the user already has (``manual_dir``).

Integrity: the download is the archive of one commit (``COMMIT``), not the moving ``master``, and
each config's files are checked against ``MIDI_SHA256`` before anything is prepared. The digests are
over the MIDI files (``midi_digest``), not over the zip, because GitHub builds its zips on the fly
and does not promise byte-identical archives.

Citation: jukedeck/nottingham-dataset, https://github.com/jukedeck/nottingham-dataset, a cleaned
version of the Nottingham Music Database (Eric Foxley's collection of folk tunes in ABC).
"""

import contextlib
import hashlib
import io
import os

import tensorflow as tf
import tensorflow_datasets as tfds

from mguv.data.types import Item
from mguv.errors import UsageError

# The last commit of jukedeck/nottingham-dataset (3 March 2017), the one ../shared/data/nottingham
# was taken from.
COMMIT = "0992bb6cd864f6d4b90d6663e08c0ef53ffaa08f"
URL = f"https://github.com/jukedeck/nottingham-dataset/archive/{COMMIT}.zip"
# ``midi_digest`` of each config's folder at COMMIT, computed from the repository's git objects
# (1,034 / 1,034 / 1,021 files) and equal to that of ../shared/data/nottingham.
MIDI_SHA256 = {
    "full": "9e7678d4826fb5cadff35654b5e6c6d9b6affde307167403203cade2522947ab",
    "melody": "df8c5d919270342709be02c16e7a659ee4bd860f8b6f8879fdce3bb8d940c02c",
    "chords": "faec00565b1a9d97bf4e2ffe0a7e3148905ef009a89248e23ccfec5844958f1f",
}
HOMEPAGE = "https://github.com/jukedeck/nottingham-dataset"
LICENSE = f"GPL-3.0 (https://github.com/jukedeck/nottingham-dataset/blob/{COMMIT}/LICENSE.md)"
CITATION = """\
@misc{jukedeck_nottingham,
  author = {Jukedeck},
  title = {nottingham-dataset: a cleaned version of the Nottingham Music Database},
  howpublished = {\\url{https://github.com/jukedeck/nottingham-dataset}},
}
"""
MIDI_SUFFIXES = (".mid", ".midi")
# Where each config's files sit below the archive's MIDI/ folder.
SUBFOLDERS = {"full": "", "melody": "melody", "chords": "chords"}


class ManualDirError(UsageError, ValueError):
    """A manual dir without the expected MIDI files. A ``ValueError``, and one line in the CLI."""


class DownloadFailedError(UsageError, OSError):
    """The archive could not be downloaded. An ``OSError``, and one line in the CLI."""


class ChecksumError(UsageError, ValueError):
    """MIDI files whose digest is not the expected one. A ``ValueError``, and one line in the CLI."""


class Builder(tfds.core.GeneratorBasedBuilder):
    """Nottingham folk tunes, one example per MIDI file: ``{"name": text, "midi": file bytes}``."""

    # A class named ``Builder`` would otherwise be named after its package ("data").
    name = "nottingham"
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "First release: full, melody and chords configs, one train split."}
    BUILDER_CONFIGS = [
        tfds.core.BuilderConfig(name="full", description="MIDI/*.mid: melody and chords in one file."),
        tfds.core.BuilderConfig(name="melody", description="MIDI/melody/*.mid: the melody alone."),
        tfds.core.BuilderConfig(name="chords", description="MIDI/chords/*.mid: the chords alone."),
    ]
    DEFAULT_CONFIG_NAME = "full"
    # TFDS falls back to a manual dir shared by every dataset (downloads/manual); only a manual dir
    # the caller names (``DownloadConfig(manual_dir=...)``) replaces the download.
    _given_manual_dir = None
    # The digest the downloaded files must have (``load_items(sha256=...)``); None: MIDI_SHA256.
    expected_sha256 = None
    MANUAL_DOWNLOAD_INSTRUCTIONS = """\
    Optional. Without a manual dir the archive is downloaded from GitHub. To use a copy you already
    have, pass a folder that holds the top-level *.mid files plus melody/ and chords/, or one that
    holds MIDI/, or the extracted archive (nottingham-dataset-master/MIDI/).
    """

    def _info(self):
        return tfds.core.DatasetInfo(
            builder=self,
            description=__doc__,
            features=tfds.features.FeaturesDict({
                "name": tfds.features.Text(),
                "midi": tfds.features.Tensor(shape=(), dtype=tf.string),
            }),
            # Keeps the read order equal to the (sorted) generation order.
            disable_shuffling=True,
            homepage=HOMEPAGE,
            citation=CITATION,
            license=LICENSE,
        )

    def _make_download_manager(self, download_dir, download_config):
        self._given_manual_dir = download_config.manual_dir
        return super()._make_download_manager(download_dir, download_config)

    def _split_generators(self, dl_manager):
        if self._given_manual_dir:
            root = find_midi_root(self._given_manual_dir)
        else:
            try:
                extracted = dl_manager.download_and_extract(URL)
            except (OSError, tfds.download.DownloadError) as err:
                raise DownloadFailedError(
                    f"nottingham: could not download {URL} ({type(err).__name__}); download and unzip "
                    "it elsewhere, then name that folder (--data nottingham=DIR)") from err
            root = find_midi_root(extracted)
        folder = os.path.join(root, SUBFOLDERS[self.builder_config.name])
        if not self._given_manual_dir:
            check_digest(folder, self.builder_config.name,
                         self.expected_sha256 or MIDI_SHA256[self.builder_config.name], URL)
        return {"train": self._generate_examples(midi_files(folder, self.builder_config.name))}

    def _generate_examples(self, paths):
        for path in paths:
            name = os.path.basename(path)
            with tf.io.gfile.GFile(path, "rb") as f:
                yield name, {"name": name, "midi": f.read()}


def _midi_names(folder):
    if not os.path.isdir(folder):
        return []
    return sorted(f for f in os.listdir(folder)
                  if f.lower().endswith(MIDI_SUFFIXES) and os.path.isfile(os.path.join(folder, f)))


def find_midi_root(path):
    """The folder that holds the top-level *.mid and ``melody/``, ``chords/`` inside ``path``.

    Accepts ``path`` itself, ``path/MIDI`` or ``path/<archive folder>/MIDI`` (e.g. the extracted
    ``nottingham-dataset-master/MIDI``).

    Raises:
      ManualDirError: no MIDI file in any of these places.
    """
    path = os.fspath(path)
    if not os.path.isdir(path):
        raise ManualDirError(f"nottingham: {path} is not a folder")
    candidates = [path, os.path.join(path, "MIDI")]
    candidates += [os.path.join(path, d, "MIDI") for d in sorted(os.listdir(path))]
    for root in candidates:
        if any(_midi_names(os.path.join(root, sub)) for sub in SUBFOLDERS.values()):
            return root
    raise ManualDirError(f"nottingham: no MIDI files in {path} (expected *.mid, melody/*.mid or "
                         "chords/*.mid there, under MIDI/, or under nottingham-dataset-master/MIDI/)")


def midi_files(folder, variant="full"):
    """Sorted paths of the MIDI files directly in ``folder``; a ``ManualDirError`` if there are none."""
    names = _midi_names(folder)
    if not names:
        raise ManualDirError(f"nottingham/{variant}: no MIDI files in {folder}")
    return [os.path.join(folder, n) for n in names]


def midi_digest(folder):
    """SHA-256 (hex) over the MIDI files directly in ``folder``: for each, in name order, the line
    ``"<name>\\0<sha256 of its bytes>\\n"``. Sub-folders are not included."""
    h = hashlib.sha256()
    for name in _midi_names(folder):
        with open(os.path.join(folder, name), "rb") as f:
            h.update(f"{name}\0{hashlib.sha256(f.read()).hexdigest()}\n".encode())
    return h.hexdigest()


def check_digest(folder, variant, expected, source=None):
    """Raises ``ChecksumError`` unless ``midi_digest(folder)`` is ``expected`` (no check when None)."""
    if expected is None:
        return
    actual = midi_digest(folder)
    if actual != expected.strip().lower():
        raise ChecksumError(f"nottingham/{variant}: the MIDI files from {source or folder} have SHA-256 "
                            f"{actual}, not the expected {expected}; they are not the pinned dataset")


def _fingerprint(root):
    """Short hash of ``root``'s absolute path and of each MIDI file's name, size and mtime."""
    h = hashlib.sha1(os.path.realpath(root).encode())
    for sub in SUBFOLDERS.values():
        folder = os.path.join(root, sub)
        for name in _midi_names(folder):
            st = os.stat(os.path.join(folder, name))
            h.update(f"\0{sub}/{name}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return h.hexdigest()[:12]


def default_data_dir():
    """``$MGUV_TFDS_DIR``, else TFDS's own default (``$TFDS_DATA_DIR`` or ~/tensorflow_datasets)."""
    return os.environ.get("MGUV_TFDS_DIR") or tfds.core.constants.DATA_DIR


@contextlib.contextmanager
def _quiet_tfds():
    """No TFDS progress bars or "Downloading and preparing" banners (stdout); stderr still shows."""
    from tensorflow_datasets.core.utils import tqdm_utils

    was_active = getattr(tqdm_utils, "_active", True)
    tfds.display_progress_bar(False)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        tfds.display_progress_bar(was_active)


def load_items(variant="full", manual_dir=None, data_dir=None, sha256=None):
    """Prepares (once) and reads the ``nottingham/<variant>`` dataset.

    Args:
      variant: ``full``, ``melody`` or ``chords``.
      manual_dir: a folder with the MIDI files (any layout ``find_midi_root`` accepts); None
        downloads the archive from GitHub.
      data_dir: where TFDS keeps prepared data; default ``default_data_dir()``. Data prepared from a
        manual dir goes under ``<data_dir>/mguv_manual/<hash>``, the hash taken over that folder's
        path and its files' names, sizes and mtimes, so another folder (or an edited one) is never
        served stale data.
      sha256: the ``midi_digest`` the variant's files must have. None: a download is checked
        against ``MIDI_SHA256`` and a manual dir is not checked. Checked when the data is prepared
        (once per data_dir), and for a manual dir on every call.

    Returns:
      ``mguv.data.types.Item``s in file-name order, with ``name`` the file name and ``data`` the
      MIDI file's bytes.

    Raises:
      ManualDirError: ``manual_dir`` (or the variant's subfolder) holds no MIDI files.
      DownloadFailedError: no ``manual_dir``, and the download failed (offline, this can take a
        few minutes: TFDS retries 10 times with backoff).
      ChecksumError: the files do not have the expected digest.
    """
    if variant not in SUBFOLDERS:
        raise ValueError(f"nottingham: unknown variant {variant!r} (one of {', '.join(SUBFOLDERS)})")
    data_dir = data_dir or default_data_dir()
    config = tfds.download.DownloadConfig(try_download_gcs=False)
    if manual_dir is not None:
        manual_dir = os.path.abspath(manual_dir)
        root = find_midi_root(manual_dir)
        folder = os.path.join(root, SUBFOLDERS[variant])
        midi_files(folder, variant)  # fail before TFDS starts
        check_digest(folder, variant, sha256)
        data_dir = os.path.join(data_dir, "mguv_manual", _fingerprint(root))
        config = tfds.download.DownloadConfig(try_download_gcs=False, manual_dir=manual_dir)
    builder = Builder(config=variant, data_dir=data_dir)
    builder.expected_sha256 = sha256
    with _quiet_tfds():
        builder.download_and_prepare(download_config=config)
    ds = builder.as_dataset(split="train", shuffle_files=False)
    return [Item(name=ex["name"].decode(), data=ex["midi"]) for ex in tfds.as_numpy(ds)]
