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
    report = {"sources": {}, "bad_files": [], "notes_total": 0, "notes_out_of_range": 0}
    for source, source_parsed in zip(sources, parsed):
        count = 0
        for name, notes in zip(source_parsed.names, source_parsed.notes):
            notes, step = rolls.to_rep_grid(notes, rep)
            if rep.adaptive_step:
                key = f"{step:g}"
                steps = report.setdefault("adaptive_steps", {})
                steps[key] = steps.get(key, 0) + 1
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
            "files": len(source.items), "parsed": len(source_parsed.names), "bad": len(source_parsed.bad),
            "segments": count, "from_cache": source_parsed.from_cache,
        }
        report["bad_files"] += [{"source": source.label, "file": n, "reason": r}
                                for n, r in source_parsed.bad]
    if not x:
        return None
    report["segments"] = sum(len(s) for s in x)
    return Segments(np.concatenate(x), np.concatenate(file_id), np.concatenate(start_step), files, report)
