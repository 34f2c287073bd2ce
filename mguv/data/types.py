"""Plain data types shared by the data modules: score/audio files (``Item``, ``Source``), what
parsing and decoding make of one source (``ParsedSource``, ``DecodedSource``), and a whole corpus
ready for training (``Segments``, ``Clips``).

This module imports nothing from mguv and must not import TensorFlow: worker processes load it.
"""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Item:
    """One file: on disk (``path``) or as bytes already in memory (``data``).

    Attributes:
      name: how reports refer to it; its extension picks the parser (e.g. ``"sub/a.mid"``).
      path: file path, or None when ``data`` holds the bytes.
      data: the file's bytes, or None to read ``path``.
    """

    name: str
    path: str = None
    data: bytes = None

    def read(self):
        """The file's bytes."""
        if self.data is not None:
            return self.data
        with open(self.path, "rb") as f:
            return f.read()


@dataclasses.dataclass(frozen=True)
class Source:
    """A named tuple of ``Item``s; ``label`` is how reports refer to it (a folder, a corpus name)."""

    label: str
    items: tuple


@dataclasses.dataclass
class ParsedSource:
    """The parsed score files of one source.

    Attributes:
      label: the source as the user named it (a folder, or a corpus name).
      names: names of the files that parsed, in source order.
      notes: one int32 array [num_notes, 3] (MIDI pitch, onset step, offset step; offsets
        exclusive) per parsed file.
      bad: (name, reason) for every file that was skipped.
      from_cache: whether this came from the cache without parsing.
      index: positions of ``names`` in the source.
      bad_index: positions of ``bad`` in the source.
    """

    label: str
    names: list
    notes: list
    bad: list
    from_cache: bool = False
    index: list = dataclasses.field(default_factory=list)
    bad_index: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class DecodedSource:
    """The decoded audio files of one source.

    Attributes:
      label: the source as the user named it.
      names: names of the files that yielded clips, in source order.
      pcm: one int16 array [k, clip_samples] (16-bit PCM, full scale 32767) per decoded file.
      bad: (name, reason) for every file that was skipped.
      from_cache: whether this came from the cache without decoding.
    """

    label: str
    names: list
    pcm: list
    bad: list
    from_cache: bool = False


@dataclasses.dataclass
class Segments:
    """Piano-roll segments of a whole corpus.

    Attributes:
      x: bool [num_segments, segment_steps, num_pitches].
      file_id: int [num_segments], index into ``files``.
      start_step: int [num_segments], where each segment starts in its file (representation steps).
      files: (source label, file name) per usable file.
      report: counts for the user (per-source segments, bad files, notes out of range; with an
        adaptive step, "adaptive_steps": {step in quarter notes: files}).
    """

    x: np.ndarray
    file_id: np.ndarray
    start_step: np.ndarray
    files: list
    report: dict

    def __len__(self):
        return len(self.x)


@dataclasses.dataclass
class Clips:
    """Audio clips of a whole corpus.

    Attributes:
      x: float32 [num_clips, clip_samples] in [-1, 1], mono at the representation's sample rate (Hz).
      file_id: int [num_clips], index into ``files``.
      files: (source label, file name) per usable file.
      report: counts for the user (per-source files/decoded/bad/clips/from_cache, bad files).
    """

    x: np.ndarray
    file_id: np.ndarray
    files: list
    report: dict

    def __len__(self):
        return len(self.x)
