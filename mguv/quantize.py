"""``python -m mguv.quantize IN.mid --out OUT.mid``: hear and see what a model of a config sees.

Parses a score file as training does (the config's grid, pitch range, onsets, bar lines and meter),
keeps what falls inside the segments a model would train on, and writes it back as MIDI on the
file's own timeline (its tempo and time signatures, so every note stays at its bar and beat),
with the piano-roll as a picture. It prints what was kept and what was lost:

    python -m mguv.quantize tune.mid --out tune.quantized.mid --png tune.png
    python -m mguv.quantize jig.mid --config lstm_vae --set meter_numerator=6 --set meter_denominator=8 --out jig.q.mid

  kept            notes that come back identical from the model's segments
  moved           notes that come back, but rounded to the grid (their start or end was off it)
  out of range    notes outside the pitch range (dropped)
  merged          notes lost inside a segment: re-struck notes of a binary roll, which merge with
                  the note before, or overlapping notes of one pitch
  outside         notes in no segment (or cut by a segment's end): a pickup, bars of another meter,
                  a last part too short
"""

import dataclasses
import os

import numpy as np

from mguv.cli import ArgumentParser
from mguv.errors import UsageError, cli_entry

FINE = 24  # the check for notes off the grid parses again at 24 times the grid


def quantize(path, rep):
    """What a model of representation ``rep`` sees of the score at ``path``.

    Returns a dict: "roll" bool [steps, rep.channels] (the file's timeline, zero outside the
    segments), "segments" (their start steps), "meter" (the file's ``Meter``), "notes_back"
    int [N, 3] (pitch, onset step, offset step) of the roll, and the note counts "notes", "kept",
    "moved", "out_of_range", "merged", "outside", plus "segments_by_meter".

    Raises:
      UsageError: the file cannot be read or has no notes.
    """
    from mguv.data.parse import parse_score
    from mguv.data.roll import cut_segments, notes_to_roll, parse_steps_per_beat, roll_to_notes, to_rep_grid

    name = os.path.basename(path)
    notes, meter, _, reason = parse_score(name, path, None, parse_steps_per_beat(rep))
    if notes is None:
        raise UsageError(f"{path}: cannot read it ({reason})")
    notes = to_rep_grid(notes, rep)[0]
    fine, _, _, _ = parse_score(name, path, None, parse_steps_per_beat(rep) * FINE)
    roll, dropped = notes_to_roll(notes, rep)
    segments, starts, per_meter = cut_segments(roll, rep, meter)
    seen = np.zeros_like(roll)
    for start in starts:
        seen[start:start + rep.segment_steps] = roll[start:start + rep.segment_steps]
    back = {tuple(n) for n in roll_to_notes(seen, rep).tolist()}
    inside = notes[(notes[:, 0] >= rep.min_pitch) & (notes[:, 0] <= rep.max_pitch)]
    covered = np.zeros(len(roll) + 1, bool)
    for start in starts:
        covered[start:start + rep.segment_steps] = True
    in_segment = np.array([covered[s:e].all() for _, s, e in inside], bool)
    came_back = np.array([tuple(n) in back for n in inside.tolist()], bool)
    off_grid = np.zeros(len(inside), bool)
    if fine is not None and not rep.adaptive_step:
        # Each note parsed on the fine grid, rounded as the grid rounds it, says if it was off the grid.
        start = np.rint(fine[:, 1] / FINE).astype(np.int64)
        end = np.maximum(np.rint(fine[:, 2] / FINE).astype(np.int64), start + 1)
        moved = {}
        for pitch, s, e, off in zip(fine[:, 0], start, end, (fine[:, 1:] % FINE != 0).any(axis=1)):
            moved[(int(pitch), int(s), int(e))] = moved.get((int(pitch), int(s), int(e)), False) or bool(off)
        off_grid = np.array([moved.get(tuple(n), False) for n in inside.tolist()], bool)
    return {
        "roll": seen, "segments": [int(s) for s in starts], "meter": meter,
        "notes_back": np.array(sorted(back), np.int32).reshape(-1, 3),
        "notes": int(len(notes)), "out_of_range": int(dropped),
        "kept": int((came_back & ~off_grid).sum()), "moved": int((came_back & off_grid).sum()),
        "merged": int((in_segment & ~came_back).sum()), "outside": int((~in_segment & ~came_back).sum()),
        "segments_by_meter": per_meter,
    }


def write_midi(result, rep, path):
    """Writes the quantized roll at the file's tempo and with its time signatures."""
    import pretty_midi

    from mguv.data.roll import roll_to_midi
    from mguv.io import atomic_path

    meter = result["meter"]
    written = dataclasses.replace(rep, tempo=meter.tempo, segment_bars=0)
    pm = roll_to_midi(result["roll"], written)
    seconds = written.seconds_per_step
    pm.time_signature_changes = [pretty_midi.TimeSignature(num, den, step * seconds)
                                 for step, num, den in meter.time_signatures] or pm.time_signature_changes
    with atomic_path(path) as tmp:
        pm.write(tmp)


def summary(result, rep, path):
    """Console lines for ``result``."""
    meter = result["meter"]
    signatures = ", ".join(f"{n}/{d} at step {s}" for s, n, d in meter.time_signatures) or "none stated (4/4)"
    cut = (f"{len(result['segments'])} segments of {rep.segment_bars} bars of {rep.meter_numerator}/"
           f"{rep.meter_denominator} from the first downbeat at step {meter.first_downbeat_step}"
           if rep.segment_bars else f"{len(result['segments'])} segments of {rep.segment_steps} steps from step 0")
    by_meter = result["segments_by_meter"]
    return "\n".join([
        f"{path}: {result['notes']} notes; meter {signatures}; tempo {meter.tempo:g} bpm",
        f"  {cut}" + (f" (whole segments by meter: {', '.join(f'{k} {v}' for k, v in by_meter.items())})"
                      if by_meter else ""),
        f"  kept {result['kept']}, moved to the grid {result['moved']}, out of range {result['out_of_range']} "
        f"(pitches {rep.min_pitch}..{rep.max_pitch}), merged {result['merged']}, outside the segments "
        f"{result['outside']}",
    ])


def build_parser():
    p = ArgumentParser(prog="python -m mguv.quantize", description=__doc__.split("\n")[0])
    p.add_argument("input", metavar="IN", help="a MIDI or MusicXML file")
    p.add_argument("--config", default="lstm_vae", help="named config whose representation to apply (default lstm_vae)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a representation field, e.g. --set onsets=false --set meter_numerator=6")
    p.add_argument("--out", required=True, metavar="OUT.mid", help="the MIDI file to write")
    p.add_argument("--png", metavar="P", help="also draw the piano-roll into this PNG")
    return p


@cli_entry
def main(argv=None):
    args = build_parser().parse_args(argv)
    from mguv import configs

    config = configs.override(configs.get(args.config), args.set)
    rep = config.representation
    if rep.mode != "symbolic":
        raise UsageError(f"--config {args.config} is an {rep.mode} config; quantize reads scores")
    if not os.path.isfile(args.input):
        raise UsageError(f"{args.input}: no such file")
    if not args.out.lower().endswith((".mid", ".midi")):
        raise UsageError(f"--out {args.out}: expected a .mid file")
    result = quantize(args.input, rep)
    write_midi(result, rep, args.out)
    if args.png:
        from mguv.plots import piano_rolls

        width = min(max(3.2, len(result["roll"]) / 24), 40.0)  # about 6 bars of 4/4 per 4 inches
        piano_rolls(result["roll"][None], args.png, [os.path.basename(args.input)], rep, cols=1, panel_width=width)
    print(summary(result, rep, args.input))
    print(f"  wrote {args.out}" + (f" and {args.png}" if args.png else ""))
    return 0


if __name__ == "__main__":
    main()
