"""Corpora: turn ``--data`` specs into files, files into piano-roll segments.

A spec is one of:
  - a folder, searched recursively for scores (*.mid, *.midi; *.mxl, *.musicxml, *.xml, *.krn);
  - a single score file;
  - a named corpus: ``bach`` (the chorales shipped inside music21, offline), ``nottingham``,
    ``nottingham/full``, ``nottingham/melody``, ``nottingham/chords`` (a TFDS builder that downloads
    the jukedeck archive), optionally ``=DIR`` to read an existing copy instead of downloading:
    ``nottingham=../shared/data/nottingham``.
Several specs are merged into one corpus (as in MGU-V), keeping per-source counts.
"""

import dataclasses
import os

import numpy as np

from mguv.data import roll as rolls
from mguv.data import segment_cache
from mguv.data.cache import parse_source
from mguv.data.parse import MIDI_EXTENSIONS, SCORE_EXTENSIONS
from mguv.errors import UsageError


@dataclasses.dataclass(frozen=True)
class Item:
    """One score: a file on disk (``path``) or bytes already in memory (``data``)."""

    name: str
    path: str = None
    data: bytes = None

    def read(self):
        if self.data is not None:
            return self.data
        with open(self.path, "rb") as f:
            return f.read()


@dataclasses.dataclass(frozen=True)
class Source:
    """A named list of items; ``label`` is how reports refer to it."""

    label: str
    items: tuple


def _bach():
    from music21 import corpus

    paths = sorted(str(p) for p in corpus.getComposer("bach")
                   if str(p).lower().endswith((".mxl", ".xml", ".krn")))
    return [Item(os.path.basename(p), path=p) for p in paths]


def _nottingham(variant, folder):
    from mguv.data import nottingham

    return nottingham.load_items(variant, manual_dir=folder)


NAMED_CORPORA = ("bach", "nottingham", "nottingham/full", "nottingham/melody", "nottingham/chords")


def _named(spec):
    name, _, folder = spec.partition("=")
    if name not in NAMED_CORPORA:
        return None
    if folder and not os.path.isdir(folder):
        raise UsageError(f"--data {spec}: folder {folder!r} does not exist")
    if name == "bach":
        if folder:
            raise UsageError("--data bach takes no folder (it ships inside music21)")
        return Source("bach", tuple(_bach()))
    variant = name.partition("/")[2] or "full"
    return Source(name, tuple(_nottingham(variant, folder or None)))


def scan_folder(path, extensions):
    """Every file under ``path`` whose name ends with one of ``extensions``, as Items named by their
    path relative to ``path``, in a deterministic (sorted, depth-first) order."""
    items = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for f in sorted(files):
            if f.lower().endswith(extensions):
                full = os.path.join(root, f)
                items.append(Item(os.path.relpath(full, path), path=full))
    return items


def _folder(path):
    if os.path.isfile(path):
        if not path.lower().endswith(SCORE_EXTENSIONS):
            raise UsageError(f"--data {path}: not a score file ({', '.join(SCORE_EXTENSIONS)})")
        return Source(path, (Item(os.path.basename(path), path=path),))
    items = scan_folder(path, SCORE_EXTENSIONS)
    if not items:
        raise UsageError(f"--data {path}: no MIDI files ({', '.join(MIDI_EXTENSIONS)}) in this folder")
    return Source(path, tuple(items))


def resolve(specs):
    """Turns ``--data`` specs into ``Source``s; a bad path is a ``UsageError``."""
    sources = []
    for spec in specs:
        source = _named(spec)
        if source is None:
            if not os.path.exists(spec):
                names = ", ".join(NAMED_CORPORA)
                raise UsageError(f"--data {spec}: no such file or folder, and not a named corpus ({names})")
            source = _folder(spec)
        sources.append(source)
    return sources


@dataclasses.dataclass
class Segments:
    """Piano-roll segments of a whole corpus.

    Attributes:
      x: bool [num_segments, segment_steps, num_pitches].
      file_id: int [num_segments], index into ``files``.
      start_step: int [num_segments], where each segment starts in its file.
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


def load_segments(specs, rep, cache_dir=None, workers=None, progress=True):
    """Resolves, parses (cached) and segments a corpus for representation ``rep``.

    The segments are cached as well (``mguv.data.segment_cache``, in ``cache_dir``; "" turns both
    caches off), so a second load reads one file instead of rasterizing every tune again.

    Raises:
      UsageError: a spec is bad, or no file in the whole corpus yields a segment.
    """
    sources = resolve(specs)
    cached_path = segment_cache.path_for(sources, rep, cache_dir)
    cached = segment_cache.load(cached_path)
    if cached is not None:
        return cached
    x, file_id, start_step, files = [], [], [], []
    report = {"sources": {}, "bad_files": [], "notes_total": 0, "notes_out_of_range": 0}
    for source in sources:
        parsed = parse_source(source, rolls.parse_steps_per_beat(rep), cache_dir=cache_dir,
                              workers=workers, progress=progress)
        count = 0
        for name, notes in zip(parsed.names, parsed.notes):
            notes, step = rolls.to_rep_grid(notes, rep)
            if rep.adaptive_step:
                key = f"{step:g}"
                report.setdefault("adaptive_steps", {})[key] = report.get("adaptive_steps", {}).get(key, 0) + 1
            roll, dropped = rolls.notes_to_roll(notes, rep)
            report["notes_total"] += len(notes)
            report["notes_out_of_range"] += dropped
            segs, starts = rolls.segment(roll, rep)
            if len(segs):
                x.append(segs)
                start_step.append(starts)
                file_id.append(np.full(len(segs), len(files)))
                files.append((source.label, name))
                count += len(segs)
        report["sources"][source.label] = {
            "files": len(source.items), "parsed": len(parsed.names), "bad": len(parsed.bad),
            "segments": count, "from_cache": parsed.from_cache,
        }
        report["bad_files"] += [{"source": source.label, "file": n, "reason": r} for n, r in parsed.bad]
    if not x:
        raise UsageError(f"--data {' '.join(specs)}: no usable segments (every file was unreadable, "
                         "empty, or silent in the pitch range)")
    report["segments"] = sum(len(s) for s in x)
    segments = Segments(np.concatenate(x), np.concatenate(file_id), np.concatenate(start_step), files, report)
    if cached_path:
        segment_cache.save(cached_path, segments)
    return segments


def describe_sources(report, unit="segments", done="parsed"):
    """Console lines: one per source (``unit`` examples from ``done``/all files) and skipped files."""
    lines = []
    for label, s in report["sources"].items():
        cached = " (cache)" if s["from_cache"] else ""
        lines.append(f"  {label}: {s[unit]} {unit} from {s[done]}/{s['files']} files, "
                     f"{s['bad']} skipped{cached}")
    for bad in report["bad_files"][:5]:
        lines.append(f"  skipped {bad['source']}/{bad['file']}: {bad['reason']}")
    if len(report["bad_files"]) > 5:
        lines.append(f"  ... and {len(report['bad_files']) - 5} more skipped files")
    return lines


def describe(report):
    """One line per source plus totals, for the console."""
    lines = describe_sources(report)
    total, out = report["notes_total"], report["notes_out_of_range"]
    lines.append(f"  {report['segments']} segments; {out}/{total} notes outside the pitch range dropped")
    if report.get("adaptive_steps"):
        steps = sorted(report["adaptive_steps"].items(), key=lambda kv: -kv[1])
        lines.append("  adaptive step (quarter notes: files): "
                     + ", ".join(f"{k}: {v}" for k, v in steps))
    return "\n".join(lines)
