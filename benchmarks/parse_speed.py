#!/usr/bin/env python
"""Score parsing speed and faithfulness: symusic against pretty_midi for MIDI, and music21 with ties.

    nice -n 15 .venv/bin/python benchmarks/parse_speed.py                 # Nottingham + Bach, ~10 min
    .venv/bin/python benchmarks/parse_speed.py --no-bach --repeats 1      # Nottingham only

Nottingham (every *.mid: the 1,034 full files, then melody/ and chords/): the files are read into
memory first, then each path parses all of them, in turns over ``--repeats`` rounds, in this one
process: pretty_midi (``parse.parse_midi_pretty``, the path before this change plus the meter),
symusic (``parse.parse_midi_symusic``) and the product's ``parse.parse_midi`` (symusic, its pairing
check, pretty_midi where that sends a file). Files/s per core is files per second of this process's
CPU time (the machine is shared, so wall-clock rates are given beside it); the ratio is between
medians of the same run. Note lists (sorted by onset, pitch, offset on both paths) and meters are
compared file by file.

Bach (music21's chorales, MusicXML and Humdrum): symusic reads only MIDI, so music21 stays their
parser. Measured: the music21 path before this change (no ties joined) and now (ties joined, with
the meter), and whether the joined notes equal music21's own ``stripTies()`` file by file. Then, as
a second MIDI corpus for the two MIDI parsers (not a path the product takes), each chorale is written
to MIDI by music21 (untimed) and those bytes are parsed and compared like Nottingham's.

Writes docs/results/parse_speed.json and docs/results/parse_speed.md.
"""

import argparse
import datetime
import glob
import json
import os
import sys
import time
import warnings

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from perf_common import load, machine, row  # noqa: E402

from mguv.data import parse  # noqa: E402

SPB = 4  # steps per quarter note: the Nottingham paper grid


def cpu_timed(fn):
    """(CPU seconds of this process, wall seconds, fn())."""
    cpu, wall = time.process_time(), time.perf_counter()
    result = fn()
    return time.process_time() - cpu, time.perf_counter() - wall, result


def attempt(fn, *args):
    """fn(*args), or the exception's one-line description."""
    try:
        return fn(*args)
    except Exception as err:
        return f"{type(err).__name__}: {err}".splitlines()[0][:160]


def first_difference(a, b):
    """Where two note arrays first differ, in words."""
    if isinstance(a, str) or isinstance(b, str):
        return f"pretty_midi: {a if isinstance(a, str) else 'ok'}; symusic: {b if isinstance(b, str) else 'ok'}"
    if a.shape != b.shape:
        return f"{len(a)} notes against {len(b)}"
    i = int(np.nonzero((a != b).any(axis=1))[0][0])
    return f"note {i}: {a[i].tolist()} against {b[i].tolist()}"


def only_in_each(reference, notes, most=4):
    """The notes only stripTies gives and the notes only the product's path gives, in words."""
    a, b = set(map(tuple, reference.tolist())), set(map(tuple, notes.tolist()))
    return (f"stripTies only {sorted(a - b)[:most]}, now only {sorted(b - a)[:most]} "
            "([pitch, onset step, offset step])")


def compare_midi(names, datas, repeats):
    """Speed rows and file-by-file comparison of the MIDI paths over in-memory files."""
    paths = {"pretty_midi": parse.parse_midi_pretty, "symusic": parse.parse_midi_symusic,
             "parse_midi (used)": parse.parse_midi}
    cpu = {k: [] for k in paths}
    wall = {k: [] for k in paths}
    out = {}
    for fn in paths.values():  # imports and first calls are not timed
        attempt(fn, datas[0], SPB)
    for _ in range(repeats):  # in turns, so a change in machine load hits all alike
        for key, fn in paths.items():
            c, w, out[key] = cpu_timed(lambda: [attempt(fn, d, SPB) for d in datas])
            cpu[key].append(len(datas) / c)
            wall[key].append(len(datas) / w)
    reference = row("pretty_midi", cpu["pretty_midi"], "files/s per core (CPU time)")
    rows = {"pretty_midi": reference}
    for key in ("symusic", "parse_midi (used)"):
        rows[key] = row(key, cpu[key], "files/s per core (CPU time)", reference=reference)
    for key in paths:
        rows[key]["wall_files_per_s"] = float(np.median(wall[key]))
    pretty, sym, used = out["pretty_midi"], out["symusic"], out["parse_midi (used)"]
    notes_differ, meters_differ, fallbacks, bad = [], [], [], {"pretty_midi": 0, "symusic": 0}
    used_differ = 0
    for name, p, s, u in zip(names, pretty, sym, used):
        bad["pretty_midi"] += isinstance(p, str)
        bad["symusic"] += isinstance(s, str)
        used_differ += isinstance(p, str) != isinstance(u, str) or (
            not isinstance(p, str) and not np.array_equal(p[0], u[0]))
        if isinstance(p, str) or isinstance(s, str):
            if not (isinstance(p, str) and isinstance(s, str)):
                notes_differ.append((name, first_difference(p if isinstance(p, str) else p[0],
                                                            s if isinstance(s, str) else s[0])))
            continue
        if not np.array_equal(p[0], s[0]):
            notes_differ.append((name, first_difference(p[0], s[0])))
        if p[1] != s[1]:
            meters_differ.append((name, f"pretty_midi {p[1]}; symusic {s[1]}"))
        if not isinstance(u, str) and u[2]:
            fallbacks.append((name, u[2], bool(np.array_equal(s[0], p[0]))))
    return {
        "files": len(names), "rows": rows,
        "notes_differ": len(notes_differ), "first_notes_differences": notes_differ[:5],
        "used_notes_differ": int(used_differ),
        "meters_differ": len(meters_differ), "first_meter_differences": meters_differ[:5],
        "unreadable": bad,
        "read_by_pretty_midi": len(fallbacks),
        "pretty_midi_files": [{"file": n, "why": why, "same_notes_as_symusic": same_as_pretty}
                              for n, why, same_as_pretty in fallbacks][:10],
    }


def music21_before(path, steps_per_beat):
    """The music21 path as it was before this change (every element of the flat score, ties not
    joined), for timing against."""
    from music21 import converter

    score = converter.parse(path)
    rows = []
    for element in score.flatten().getElementsByClass(["Note", "Chord"]):
        length = float(element.quarterLength)
        if length > 0:
            rows += [(p.midi, float(element.offset), float(element.offset) + length) for p in element.pitches]
    rows = np.asarray(rows, np.float64).reshape(-1, 3)
    return parse._note_array(rows[:, 0], rows[:, 1], rows[:, 2], steps_per_beat)


def strip_ties_reference(path, steps_per_beat):
    """(notes of music21's ``stripTies()`` [N, 3], the chorale written to MIDI by music21 as bytes)."""
    from music21 import converter
    from music21.midi import translate

    score = converter.parse(path)
    rows = []
    for part in score.stripTies().parts:
        for element in part.flatten().getElementsByClass(["Note", "Chord"]):
            length = float(element.quarterLength)
            if length > 0:
                rows += [(p.midi, float(element.offset), float(element.offset) + length) for p in element.pitches]
    rows = np.asarray(rows, np.float64).reshape(-1, 3)
    midi = translate.streamToMidiFile(score).writestr()
    return parse._note_array(rows[:, 0], rows[:, 1], rows[:, 2], steps_per_beat), midi


def bach_section(repeats, limit=None):
    from mguv.data.corpus import _bach

    items = _bach()[:limit]
    names = [it.name for it in items]
    # First (untimed): the reference, which also warms music21's parse cache for both timed paths.
    start = time.perf_counter()
    reference = [attempt(strip_ties_reference, it.path, SPB) for it in items]
    reference_seconds = time.perf_counter() - start
    cpu = {"before": [], "now": []}
    out = {}
    for _ in range(repeats):
        for key, fn in (("before", music21_before), ("now", lambda p, s: parse.parse_music21(p, s)[0])):
            c, _, out[key] = cpu_timed(lambda: [attempt(fn, it.path, SPB) for it in items])
            cpu[key].append(len(items) / c)
    before = row("music21, before (ties not joined)", cpu["before"], "files/s per core (CPU time)")
    now = row("music21, now (ties joined, meter)", cpu["now"], "files/s per core (CPU time)", reference=before)
    differ, joined, failed = [], 0, {"stripTies": 0, "now": 0}
    for name, ref, old, new in zip(names, reference, out["before"], out["now"]):
        failed["stripTies"] += isinstance(ref, str)
        failed["now"] += isinstance(new, str)
        if isinstance(ref, str) or isinstance(new, str):
            if isinstance(ref, str) != isinstance(new, str):
                differ.append((name, f"stripTies: {ref if isinstance(ref, str) else 'ok'}; "
                                     f"now: {new if isinstance(new, str) else 'ok'}"))
            continue
        joined += len(old) - len(new)
        if not np.array_equal(ref[0], new):
            differ.append((name, only_in_each(ref[0], new)))
    midi_names = [n for n, ref in zip(names, reference) if not isinstance(ref, str)]
    midi = [ref[1] for ref in reference if not isinstance(ref, str)]
    return {
        "files": len(items), "rows": {"before": before, "now": now},
        "failed": failed, "notes_joined_by_ties": joined,
        "files_with_ties": sum(1 for old, new in zip(out["before"], out["now"])
                               if not isinstance(new, str) and len(old) != len(new)),
        "differ_from_stripTies": len(differ), "first_stripTies_differences": differ[:5],
        "reference_seconds": reference_seconds,
        "as_midi": compare_midi(midi_names, midi, repeats),
    }


def nottingham_section(data_dir, repeats, limit=None):
    groups = {"full (*.mid)": "*.mid", "melody/": "melody/*.mid", "chords/": "chords/*.mid"}
    results = {}
    for label, pattern in groups.items():
        files = sorted(glob.glob(os.path.join(data_dir, pattern)))[:limit]
        if not files:
            continue
        datas = []
        for f in files:
            with open(f, "rb") as fh:
                datas.append(fh.read())
        results[label] = compare_midi([os.path.relpath(f, data_dir) for f in files], datas, repeats)
    return results


def _rate(r):
    lo, hi = r["spread"]
    return f"{r['value']:,.0f} ({lo:,.0f}-{hi:,.0f})"


def _midi_rows(label, res):
    rows = res["rows"]
    used = rows["parse_midi (used)"]
    return (f"| {label} | {res['files']} | {_rate(rows['pretty_midi'])} | {_rate(rows['symusic'])} | "
            f"{rows['symusic']['ratio']:.1f} x | {_rate(used)} | {used['ratio']:.1f} x | "
            f"{res['files'] - res['notes_differ']}/{res['files']} | "
            f"{res['files'] - res['used_notes_differ']}/{res['files']} | "
            f"{res['files'] - res['meters_differ']}/{res['files']} | {res['read_by_pretty_midi']} |")


def markdown(results, command):
    lines = [
        "# Parsing speed: symusic against pretty_midi (MIDI), music21 with ties (MusicXML)", "",
        f"Made by `{command}` on {results['date']} in {results['minutes']:.1f} minutes. Machine: "
        f"{results['machine']['cpu']}, {results['machine']['cores']} cores, Python "
        f"{results['machine']['python']}. Load average (1/5/15 min) {'/'.join(map(str, results['load_before']))} "
        f"before and {'/'.join(map(str, results['load_after']))} after: the machine is shared.", "",
        f"One process, {results['repeats']} rounds in turns; every rate is the median over the rounds "
        "(min-max in brackets) of files per second of this process's CPU time, i.e. per core. Notes "
        f"on a grid of {SPB} steps per quarter note, sorted by onset, pitch and offset on both paths; "
        "meter = time signatures, first tempo and first downbeat (`mguv.data.types.Meter`).", "",
        "## MIDI: pretty_midi against symusic", "",
        "| corpus | files | pretty_midi files/s | symusic files/s | symusic / pretty_midi | "
        "parse_midi (used) files/s | used / pretty_midi | notes identical: symusic | "
        "notes identical: used | meters identical | read by pretty_midi |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, res in results["nottingham"].items():
        lines.append(_midi_rows(f"Nottingham {label}", res))
    bach = results.get("bach")
    if bach:
        lines.append(_midi_rows("Bach chorales written to MIDI by music21", bach["as_midi"]))
    lines += ["", "`parse_midi (used)` is the product's path: symusic, then its pairing check, and "
              "pretty_midi for a file the check sends there (the last column). \"Notes identical\" "
              "counts files whose note list equals pretty_midi's, from symusic alone and from the path "
              "used; meters are compared between symusic and pretty_midi.", ""]
    everything = list(results["nottingham"].items()) + ([("Bach as MIDI", bach["as_midi"])] if bach else [])
    for label, res in everything:
        for name, what in res["first_notes_differences"][:3]:
            lines.append(f"- {label}: notes differ in `{name}`: {what}")
        for name, what in res["first_meter_differences"][:3]:
            lines.append(f"- {label}: meter differs in `{name}`: {what}")
        for f in res["pretty_midi_files"][:3]:
            same = "the same notes either way" if f["same_notes_as_symusic"] else "symusic's notes differ"
            lines.append(f"- {label}: `{f['file']}` read by pretty_midi ({f['why']}; {same})")
        bad = res["unreadable"]
        if bad["pretty_midi"] or bad["symusic"]:
            lines.append(f"- {label}: unreadable files: pretty_midi {bad['pretty_midi']}, symusic {bad['symusic']}")
    if bach:
        b, a = bach["rows"]["before"], bach["rows"]["now"]
        lines += [
            "", "## Bach chorales: music21", "",
            "music21's chorales are MusicXML (and a few Humdrum) files, which symusic does not read: "
            "music21 stays their parser, and the MIDI comparison above runs on MIDI that music21 "
            "wrote from them, a second MIDI corpus rather than a path the product takes.", "",
            "| path | files | files/s per core | against before |", "|---|---:|---:|---:|",
            f"| {b['name']} | {bach['files']} | {_rate(b)} | |",
            f"| {a['name']} | {bach['files']} | {_rate(a)} | {a['ratio']:.2f} x |", "",
            f"- Ties: {bach['notes_joined_by_ties']} tied notes joined in {bach['files_with_ties']} of "
            f"{bach['files']} files; the joined notes equal music21's `stripTies()` in "
            f"{bach['files'] - bach['differ_from_stripTies']}/{bach['files']} files "
            f"(stripTies failed on {bach['failed']['stripTies']}, the product's path on "
            f"{bach['failed']['now']}). Where they differ, a note of the product's spanning several of "
            "stripTies' is a tie that stripTies left split (a tie inside a chord whose other pitches "
            "are not tied, one broken by another voice's notes, or one that never stops).",
        ]
        for name, what in bach["first_stripTies_differences"][:5]:
            lines.append(f"- differs from stripTies in `{name}`: {what}")
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default=os.path.join(os.path.dirname(os.path.dirname(HERE)), "shared", "data",
                                                  "nottingham"), help="Nottingham MIDI folder")
    p.add_argument("--repeats", type=int, default=3, help="rounds of each path (default 3)")
    p.add_argument("--no-bach", action="store_true", help="skip the Bach chorales (about 5 minutes)")
    p.add_argument("--limit", type=int, help="only the first N files of each corpus (a smoke run)")
    p.add_argument("--out", default=os.path.join(os.path.dirname(HERE), "docs", "results"))
    args = p.parse_args(argv)
    if not os.path.isdir(args.data):
        p.error(f"--data {args.data}: no such folder")
    warnings.filterwarnings("ignore")  # pretty_midi warns about meta events outside track 0, per file
    start = time.perf_counter()
    results = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
               "machine": machine(), "load_before": load(), "repeats": args.repeats,
               "steps_per_beat": SPB, "parser_version": parse.PARSER_VERSION}
    results["nottingham"] = nottingham_section(args.data, args.repeats, args.limit)
    if not args.no_bach:
        results["bach"] = bach_section(args.repeats, args.limit)
    results["load_after"] = load()
    results["minutes"] = (time.perf_counter() - start) / 60
    niceness = os.nice(0)
    command = " ".join(([f"nice -n {niceness}"] if niceness else [])
                       + [".venv/bin/python", os.path.relpath(os.path.abspath(sys.argv[0]), os.path.dirname(HERE))]
                       + (argv if argv is not None else sys.argv[1:]))
    results["command"] = command
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "parse_speed.json"), "w") as f:
        json.dump(results, f, indent=1)
    with open(os.path.join(args.out, "parse_speed.md"), "w") as f:
        f.write(markdown(results, command))
    print(markdown(results, command))


if __name__ == "__main__":
    main()
