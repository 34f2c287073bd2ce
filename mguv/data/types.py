"""Plain data types shared by the data modules: score/audio files (``Item``, ``Source``), what
parsing and decoding make of one source (``ParsedSource`` with each file's ``Meter``,
``DecodedSource``), and a whole corpus ready for training (``Segments``, ``Clips``).

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


@dataclasses.dataclass(frozen=True)
class Meter:
    """A score file's meter and tempo, on the same step grid as its notes.

    Attributes:
      time_signatures: ((step, numerator, denominator), ...), one per change of meter in time order
        (a restatement of the current one is left out); steps on the parse grid (``steps_per_beat``
        per quarter note), e.g. ((0, 6, 8),) for a tune in 6/8. Empty when the file states none.
      tempo: the file's first tempo in quarter notes per minute (120, the MIDI default, when it
        states none).
      first_downbeat_step: the step where the first full bar begins; bar lines follow from there
        by the time signatures. In a MIDI file, the first time signature's step (0 when there is
        none), or the second's where the first is cut short by it before its first bar ends (a
        pickup, as pretty_midi writes one; Nottingham's files pad a pickup to a full bar instead).
        In a music21 score, the first measure's offset, or after a pickup (anacrusis: a first
        measure shorter than its bar) the pickup's length.
    """

    time_signatures: tuple = ()
    tempo: float = 120.0
    first_downbeat_step: int = 0


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
      meters: one ``Meter`` per parsed file, parallel to ``names``.
      fallbacks: (name, why) for every MIDI file read by pretty_midi instead of symusic (symusic
        failed on it, or would pair its note-ons and note-offs differently).
    """

    label: str
    names: list
    notes: list
    bad: list
    from_cache: bool = False
    index: list = dataclasses.field(default_factory=list)
    bad_index: list = dataclasses.field(default_factory=list)
    meters: list = dataclasses.field(default_factory=list)
    fallbacks: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class DecodedSource:
    """The decoded audio files of one source.

    Attributes:
      label: the source as the user named it.
      names: names of the files that yielded clips, in source order.
      pcm: one int16 array [k, clip_samples] (16-bit PCM, full scale 32767) per decoded file.
      bad: (name, reason) for every file that was skipped.
      from_cache: whether this came from the cache without decoding.
      lengths: one int32 array [k] per decoded file, parallel to ``pcm``: the valid samples of
        each clip (a short file's last clip is zero-padded after them).
    """

    label: str
    names: list
    pcm: list
    bad: list
    from_cache: bool = False
    lengths: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class Segments:
    """Piano-roll segments of a whole corpus.

    Attributes:
      x: bool [num_segments, segment_steps, num_pitches].
      file_id: int [num_segments], index into ``files``.
      start_step: int [num_segments], where each segment starts in its file (representation steps).
      files: (source label, file name) per usable file.
      report: counts for the user (per-source segments, bad files, notes out of range,
        "first_time_signatures": {"6/8": files, ..., "none": files}, "pretty_midi_files" read by
        pretty_midi instead of symusic; with an adaptive step, "adaptive_steps": {step in quarter
        notes: files}).
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
      lengths: int32 [num_clips], the valid samples of each clip; after them a clip is exact zeros
        (the padding of a file shorter than the clip). None: not known (every sample counts).
    """

    x: np.ndarray
    file_id: np.ndarray
    files: list
    report: dict
    lengths: np.ndarray = None

    def __len__(self):
        return len(self.x)
