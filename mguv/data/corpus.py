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

import os

from mguv.data import segment_cache
from mguv.data.cache import parse_source
from mguv.data.parse import MIDI_EXTENSIONS, SCORE_EXTENSIONS
from mguv.data.roll import parse_steps_per_beat
from mguv.data.segmenting import segment_corpus
from mguv.data.types import Item, Source
from mguv.errors import UsageError


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
    """Turns ``--data`` specs into ``types.Source``s; a bad path is a ``UsageError``."""
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


def load_segments(specs, rep, cache_dir=None, workers=None, progress=True):
    """Resolves, parses (cached) and segments a corpus for representation ``rep``.

    The segments are cached as well (``mguv.data.segment_cache``, in ``cache_dir``; "" turns both
    caches off), so a second load reads one file instead of rasterizing every tune again.

    Returns:
      ``types.Segments``: x bool [num_segments, segment_steps, rep.channels], file ids, start steps,
      files and the report.

    Raises:
      UsageError: a spec is bad, or no file in the whole corpus yields a segment.
    """
    sources = resolve(specs)
    cached_path = segment_cache.path_for(sources, rep, cache_dir)
    cached = segment_cache.load(cached_path)
    if cached is not None:
        return cached
    parsed = (parse_source(source, parse_steps_per_beat(rep), cache_dir=cache_dir, workers=workers,
                           progress=progress) for source in sources)
    segments = segment_corpus(sources, parsed, rep)
    if segments is None:
        raise UsageError(f"--data {' '.join(specs)}: no usable segments (every file was unreadable, "
                         "empty, or silent in the pitch range)")
    if cached_path:
        segment_cache.save(cached_path, segments)
    return segments


def describe_sources(report, unit="segments", done="used"):
    """Console lines: one per source (``unit`` examples from the ``done``/all files, skipped and
    empty files counted), then the first skipped and empty files with their reasons."""
    lines = []
    for label, s in report["sources"].items():
        cached = " (cache)" if s["from_cache"] else ""
        empty = f", {s['empty']} empty" if "empty" in s else ""
        lines.append(f"  {label}: {s[unit]} {unit} from {s[done]}/{s['files']} files, "
                     f"{s['bad']} skipped{empty}{cached}")
    for key, verb in (("bad_files", "skipped"), ("empty_files", "empty")):
        listed = report.get(key, [])
        for item in listed[:5]:
            lines.append(f"  {verb} {item['source']}/{item['file']}: {item['reason']}")
        if len(listed) > 5:
            lines.append(f"  ... and {len(listed) - 5} more {verb} files")
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
    if report.get("first_time_signatures"):
        meters = sorted(report["first_time_signatures"].items(), key=lambda kv: -kv[1])
        lines.append("  first time signature (files): " + ", ".join(f"{k} {v}" for k, v in meters))
    if report.get("segments_by_meter"):
        kept = report.get("meter", "")
        meters = sorted(report["segments_by_meter"].items(), key=lambda kv: -kv[1])
        lines.append(f"  whole {report['segment_bars']}-bar segments by meter (only {kept} kept; set "
                     "meter_numerator/meter_denominator to train on another): "
                     + ", ".join(f"{k} {v}" for k, v in meters))
    pretty = report.get("pretty_midi_files", [])
    if pretty:
        first = pretty[0]
        lines.append(f"  {len(pretty)} MIDI files read by pretty_midi instead of symusic, e.g. "
                     f"{first['source']}/{first['file']}: {first['reason']}")
    return "\n".join(lines)
