"""Parsed note lists of a corpus -> its piano-roll ``Segments``, with the counts for the report.

This code (with ``mguv.data.roll``) decides the segments, so the segment cache
(``mguv.data.segment_cache``) hashes its source into every cache key.
"""

import numpy as np

from mguv.data import roll as rolls
from mguv.data.types import Segments
from mguv.errors import error_reason


def _empty_reason(num_notes, dropped, steps, per_meter, rep):
    """Why a parsed file gave no segment, in words."""
    if dropped == num_notes:
        return f"no notes in the pitch range {rep.min_pitch}..{rep.max_pitch}"
    if rep.segment_bars:
        meter = f"{rep.meter_numerator}/{rep.meter_denominator}"
        if not per_meter.get(meter):
            found = ", ".join(sorted(per_meter)) or "none"
            return f"no whole {rep.segment_bars}-bar segment in {meter} (its whole segments' meters: {found})"
    if steps < rep.segment_steps:
        return f"shorter than one segment ({steps} < {rep.segment_steps} steps)"
    return "every segment is silent in the pitch range"


def _outliers(counts, ratio):
    """Indices of files with more than ``ratio`` times the median segments per file (0 = none), in a
    corpus of at least 5 files: a file whose header was corrupted (ticks per quarter 1024 -> 1) can
    give a thousand times the segments of a real tune and take the corpus over."""
    if ratio <= 0 or len(counts) < 5:
        return set(), 0.0
    median = float(np.median(counts))
    return {i for i, n in enumerate(counts) if n > ratio * max(median, 1.0)}, median


def segment_corpus(sources, parsed, rep):
    """Re-grids, rasterizes and cuts every parsed file of a corpus for representation ``rep``.

    Every file lands in exactly one of: used (it gave segments), skipped (unreadable, too costly,
    failed here, or an outlier by ``rep.max_file_ratio``; in ``report["bad_files"]`` with the
    reason) or empty (parsed, but no segment; in ``report["empty_files"]`` with the reason).

    Args:
      sources: the corpus's ``Source``s.
      parsed: an iterable of one ``ParsedSource`` per source, in the same order; notes on the grid
        ``roll.parse_steps_per_beat(rep)``. A generator is consumed one source at a time.
      rep: a ``PianoRoll`` representation.

    Returns:
      ``Segments`` (x bool [num_segments, segment_steps, num_pitches], ...), or None when no file
      yields a segment.
    """
    used = []  # (source label, name, segments, starts)
    report = {"sources": {}, "bad_files": [], "empty_files": [], "notes_total": 0, "notes_out_of_range": 0,
              "pretty_midi_files": [], "first_time_signatures": {}}
    for source, source_parsed in zip(sources, parsed):
        counts = {"used": 0, "empty": 0, "failed": 0}
        for name, notes, meter in zip(source_parsed.names, source_parsed.notes, source_parsed.meters):
            try:
                notes, step = rolls.to_rep_grid(notes, rep)
                roll, dropped = rolls.notes_to_roll(notes, rep)
                segs, starts, per_meter = rolls.cut_segments(roll, rep, meter)
            except Exception as err:  # One file's failure must not lose the corpus.
                report["bad_files"].append({"source": source.label, "file": name, "reason": error_reason(err)})
                counts["failed"] += 1
                continue
            if rep.adaptive_step:
                key = f"{step:g}"
                steps = report.setdefault("adaptive_steps", {})
                steps[key] = steps.get(key, 0) + 1
            report["notes_total"] += len(notes)
            report["notes_out_of_range"] += dropped
            for key, n in per_meter.items():
                by_meter = report.setdefault("segments_by_meter", {})
                by_meter[key] = by_meter.get(key, 0) + n
            if len(segs):
                used.append((source.label, name, segs, starts))
                counts["used"] += 1
            else:
                reason = _empty_reason(len(notes), dropped, len(roll), per_meter, rep)
                report["empty_files"].append({"source": source.label, "file": name, "reason": reason})
                counts["empty"] += 1
        report["sources"][source.label] = {
            "files": len(source.items), "parsed": len(source_parsed.names),
            "bad": len(source_parsed.bad) + counts["failed"], "used": counts["used"], "empty": counts["empty"],
            "segments": 0, "from_cache": source_parsed.from_cache,
            "read_by_pretty_midi": len(source_parsed.fallbacks),
        }
        report["bad_files"] += [{"source": source.label, "file": n, "reason": r}
                                for n, r in source_parsed.bad]
        report["pretty_midi_files"] += [{"source": source.label, "file": n, "reason": r}
                                        for n, r in source_parsed.fallbacks]
        signatures = report["first_time_signatures"]
        for meter in source_parsed.meters:
            first = meter.time_signatures[0] if meter.time_signatures else None
            key = f"{first[1]}/{first[2]}" if first else "none"
            signatures[key] = signatures.get(key, 0) + 1
    outliers, median = _outliers([len(u[2]) for u in used], rep.max_file_ratio)
    for i in sorted(outliers):
        label, name, segs, _ = used[i]
        report["bad_files"].append({"source": label, "file": name, "reason": (
            f"{len(segs)} segments, more than {rep.max_file_ratio:g} times the corpus median of {median:g} per "
            "file: a corrupted header? (--set max_file_ratio=0 keeps every file)")})
        report["sources"][label]["bad"] += 1
        report["sources"][label]["used"] -= 1
    used = [u for i, u in enumerate(used) if i not in outliers]
    if not used:
        return None
    files = [(label, name) for label, name, _, _ in used]
    for label, _, segs, _ in used:
        report["sources"][label]["segments"] += len(segs)
    report["segments"] = sum(len(u[2]) for u in used)
    if rep.segment_bars:
        report.update(segment_bars=rep.segment_bars, meter=f"{rep.meter_numerator}/{rep.meter_denominator}")
    return Segments(np.concatenate([u[2] for u in used]),
                    np.concatenate([np.full(len(u[2]), i) for i, u in enumerate(used)]),
                    np.concatenate([u[3] for u in used]), files, report)
