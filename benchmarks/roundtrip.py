"""How much of the music survives mguv's piano-roll: notes -> roll -> MIDI file -> notes, per file.

    python benchmarks/roundtrip.py --data ../shared/data/nottingham

For every MIDI file at the top of the folder (Nottingham's subfolders melody/ and chords/ hold
parts of the same tunes) the notes are parsed onto the
representation's grid (mguv.data.parse, 4 steps per beat), the ones inside its pitch range are
rasterized into a roll, the roll is written as MIDI with ``roll_to_midi``, and that file is parsed
again. A note survives when the same (pitch, onset step, offset step) comes back. Both rolls are
measured, the binary roll (the papers') and the roll with onsets (``--set onsets=true``), and the
notes that start right where the previous note of the same pitch ends (re-struck notes) are
counted apart, since those are what the binary roll merges. Writes docs/results/roundtrip.{json,md}.
"""

import argparse
import io
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from mguv.data.parse import parse_file, parse_score  # noqa: E402
from mguv.data.roll import notes_to_roll, restruck, roll_to_midi  # noqa: E402
from mguv.io import atomic_path, write_json  # noqa: E402
from mguv.representation import PianoRoll  # noqa: E402


def survivors(notes, rep):
    """bool [N]: which notes come back identical through roll -> MIDI -> parse."""
    roll, _ = notes_to_roll(notes, rep)
    buffer = io.BytesIO()
    roll_to_midi(roll, rep).write(buffer)
    back = {tuple(n) for n in parse_score("roundtrip.mid", None, buffer.getvalue(), rep.steps_per_beat)[0].tolist()}
    return np.array([tuple(n) in back for n in notes.tolist()], bool)


def measure(folder, reps):
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.lower().endswith((".mid", ".midi")))
    totals = {name: {"notes": 0, "survived": 0, "restruck": 0, "restruck_survived": 0} for name in reps}
    bad = 0
    for path in files:
        notes, _ = parse_file(os.path.basename(path), path, None, 4)
        if notes is None:
            bad += 1
            continue
        for name, rep in reps.items():
            inside = notes[(notes[:, 0] >= rep.min_pitch) & (notes[:, 0] <= rep.max_pitch)]
            inside = np.unique(inside, axis=0)  # duplicates of one note are one note in any roll
            ok, again = survivors(inside, rep), restruck(inside)
            t = totals[name]
            t["notes"] += len(inside)
            t["survived"] += int(ok.sum())
            t["restruck"] += int(again.sum())
            t["restruck_survived"] += int((ok & again).sum())
    for t in totals.values():
        t["survived_fraction"] = t["survived"] / max(t["notes"], 1)
        t["restruck_fraction_of_notes"] = t["restruck"] / max(t["notes"], 1)
        t["restruck_survived_fraction"] = t["restruck_survived"] / max(t["restruck"], 1)
    return {"files": len(files), "unreadable": bad, "rolls": totals}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="folder of MIDI files")
    p.add_argument("--out", default=os.path.join("docs", "results"), help="folder for roundtrip.{json,md}")
    args = p.parse_args(argv)
    if not os.path.isdir(args.data):
        print(f"error: --data {args.data}: no such folder", file=sys.stderr)
        return 2
    start = time.time()
    reps = {"binary": PianoRoll(), "onsets": PianoRoll(onsets=True)}
    result = measure(args.data, reps)
    result.update(command="python benchmarks/roundtrip.py --data " + args.data, seconds=round(time.time() - start, 1),
                  representation={"steps_per_beat": 4, "pitches": "48..83"})
    os.makedirs(args.out, exist_ok=True)
    write_json(os.path.join(args.out, "roundtrip.json"), result)
    lines = [
        "# Round trip: notes -> piano-roll -> MIDI -> notes",
        "",
        f"`{result['command']}` ({result['seconds']:.0f} s; {result['files']} files, {result['unreadable']} "
        "unreadable). Notes parsed onto 4 steps per beat, pitches 48..83; a note survives when the same "
        "(pitch, onset step, offset step) comes back from the written MIDI file. Re-struck notes start "
        "where the previous note of the same pitch ends.",
        "",
        "| roll | notes | survive | re-struck notes | re-struck that survive |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, t in result["rolls"].items():
        lines.append(f"| {name} | {t['notes']:,} | {t['survived_fraction']:.2%} | {t['restruck']:,} "
                     f"({t['restruck_fraction_of_notes']:.1%}) | {t['restruck_survived_fraction']:.2%} |")
    with atomic_path(os.path.join(args.out, "roundtrip.md")) as tmp:
        with open(tmp, "w") as f:
            f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
