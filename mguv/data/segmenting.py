"""Parsed note lists of a corpus -> its piano-roll ``Segments``, with the counts for the report.

This code (with ``mguv.data.roll``) decides the segments, so the segment cache
(``mguv.data.segment_cache``) hashes its source into every cache key.
"""

import numpy as np

from mguv.data import roll as rolls
from mguv.data.types import Segments


def segment_corpus(sources, parsed, rep):
    """Re-grids, rasterizes and cuts every parsed file of a corpus for representation ``rep``.

    Args:
      sources: the corpus's ``Source``s.
      parsed: an iterable of one ``ParsedSource`` per source, in the same order; notes on the grid
        ``roll.parse_steps_per_beat(rep)``. A generator is consumed one source at a time.
      rep: a ``PianoRoll`` representation.

    Returns:
      ``Segments`` (x bool [num_segments, segment_steps, num_pitches], ...), or None when no file
      yields a segment.
    """
    x, file_id, start_step, files = [], [], [], []
    report = {"sources": {}, "bad_files": [], "notes_total": 0, "notes_out_of_range": 0,
              "pretty_midi_files": [], "first_time_signatures": {}}
    for source, source_parsed in zip(sources, parsed):
        count = 0
        for name, notes, meter in zip(source_parsed.names, source_parsed.notes, source_parsed.meters):
            notes, step = rolls.to_rep_grid(notes, rep)
            if rep.adaptive_step:
                key = f"{step:g}"
                steps = report.setdefault("adaptive_steps", {})
                steps[key] = steps.get(key, 0) + 1
            roll, dropped = rolls.notes_to_roll(notes, rep)
            report["notes_total"] += len(notes)
            report["notes_out_of_range"] += dropped
            segs, starts, per_meter = rolls.cut_segments(roll, rep, meter)
            for key, n in per_meter.items():
                by_meter = report.setdefault("segments_by_meter", {})
                by_meter[key] = by_meter.get(key, 0) + n
            if len(segs):
                x.append(segs)
                start_step.append(starts)
                file_id.append(np.full(len(segs), len(files)))
                files.append((source.label, name))
                count += len(segs)
        report["sources"][source.label] = {
            "files": len(source.items), "parsed": len(source_parsed.names), "bad": len(source_parsed.bad),
            "segments": count, "from_cache": source_parsed.from_cache,
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
    if not x:
        return None
    report["segments"] = sum(len(s) for s in x)
    if rep.segment_bars:
        report.update(segment_bars=rep.segment_bars, meter=f"{rep.meter_numerator}/{rep.meter_denominator}")
    return Segments(np.concatenate(x), np.concatenate(file_id), np.concatenate(start_step), files, report)
