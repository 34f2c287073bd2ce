"""``python -m mguv.generate RUN``: write MIDI (symbolic runs) or WAV (audio runs) from a SavedModel.

A thin shell over ``mguv.trained_model.TrainedModel``: only the SavedModel and its representation
are used (no Keras model classes), so the same code works on a SavedModel copied anywhere; the mode
is read from the representation:

    python -m mguv.generate RUN --num 8 --temperature 0.8 --seed 1 --out samples/
    python -m mguv.generate RUN --interpolate a.mid b.mid --steps 8     # or a.wav b.wav
    python -m mguv.generate RUN --attribute note_density=+1.5         # samples moved along a vector
    python -m mguv.generate RUN --tempo 90                            # MIDI (and WAV) at 90 bpm
    python -m mguv.generate pretrained:bach-2bar --num 8 --wav        # a model shipped with mguv
    python -m mguv.generate --list-pretrained

``--attribute NAME=K`` (symbolic runs) adds K times the attribute vector of NAME (the mean latent
code of the run's training examples in the attribute's top quartile minus that of its bottom
quartile; ``TrainedModel.attribute_vector``) to every sampled z, and prints the attribute before and
after. The vectors need data: a run's own data specs (config.json), or ``--data`` for a bare
SavedModel.

MIDI files carry the run's representation: its tempo, time signature, General MIDI program, note
velocity and track name. ``--tempo BPM`` (symbolic runs) writes them at another tempo: the same
notes on the same beats, stretched in time.
"""

import json
import os
import sys

import numpy as np

from mguv import pretrained
from mguv.cli import ArgumentParser, quiet_tensorflow
from mguv.errors import UsageError, cli_entry
from mguv.io import unwritable_parent
from mguv.run_dir import saved_model_dir
from mguv.trained_model import TrainedModel


def fast_start(path):
    """Turns TensorFlow's graph optimizer (grappler) off in this process when ``path`` holds a
    symbolic SavedModel. Its pass over the unrolled decoder costs more on the first call than it
    saves (about 0.4 s of a 5 s cold start on a 2-core CPU; ``benchmarks/perf.py``), and later calls
    run as fast without it. Process-wide, so only ``python -m mguv.generate`` calls it, not ``main``;
    audio decoders (convolutions, which grappler fuses) keep it.
    """
    try:  # The asset export.py writes; read directly, since importing the export module loads Keras.
        with open(os.path.join(saved_model_dir(pretrained.resolve(path)), "assets", "representation.json")) as f:
            symbolic = json.load(f).get("mode", "symbolic") == "symbolic"
    except (OSError, ValueError, TypeError, UsageError):
        return
    if symbolic:
        quiet_tensorflow()
        import tensorflow as tf

        tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})


def build_parser():
    p = ArgumentParser(prog="python -m mguv.generate", description=__doc__.split("\n")[0])
    p.add_argument("run", nargs="?",
                   help="run directory, SavedModel directory, or pretrained:NAME (a model shipped with mguv)")
    p.add_argument("--list-pretrained", action="store_true",
                   help="list the pretrained models shipped with mguv and exit")
    p.add_argument("--num", type=int, default=8, help="number of prior samples")
    p.add_argument("--temperature", type=float, default=1.0,
                   help="sampling temperature; 0 decodes greedily")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="output folder (default RUN/generated; generated/NAME for pretrained:NAME)")
    p.add_argument("--interpolate", nargs=2, metavar=("A", "B"),
                   help="decode the latent path between the first segments (or clips) of two files")
    p.add_argument("--steps", type=int, default=8, help="points on the interpolation path")
    p.add_argument("--prior", choices=("learned", "normal"),
                   help="where prior samples draw z: the run's learned prior over latent frames (the default "
                        "where it has one, e.g. conv_vae) or N(0, I) (to compare)")
    p.add_argument("--wav", action="store_true",
                   help="symbolic runs: also render each MIDI file to WAV (FluidSynth if installed, "
                        "else sine waves); audio runs always write WAV")
    p.add_argument("--attribute", action="append", default=[], metavar="NAME=K",
                   help="shift samples by K times an attribute vector (repeatable); NAME is one of "
                        "note_density, mean_pitch, polyphony, rhythmic_activity; K=1 moves z by the "
                        "difference between the mean codes of the top and bottom quartiles")
    p.add_argument("--tempo", type=float, metavar="BPM",
                   help="symbolic runs: write MIDI (and --wav renders) at this tempo in quarter notes "
                        "per minute instead of the run's own")
    p.add_argument("--data", nargs="+", metavar="SPEC",
                   help="data for --attribute vectors instead of the run's own (needed for a bare "
                        "SavedModel); same syntax as train.py")
    p.add_argument("--cache-dir", help="parse cache for --attribute data "
                                       "(default $MGUV_CACHE_DIR or ~/.cache/mguv)")
    return p


def parse_attributes(items):
    """``["note_density=+1.5", ...]`` -> {name: k}; a bad item is a ``UsageError``."""
    from mguv.attributes import check_name

    amounts = {}
    for item in items:
        name, eq, value = item.partition("=")
        try:
            k = float(value)
        except ValueError:
            k = None
        if not eq or k is None or not np.isfinite(k):
            raise UsageError(f"--attribute {item}: expected NAME=K with a number K, e.g. note_density=+1.5")
        amounts[check_name(name.strip())] = amounts.get(name.strip(), 0.0) + k
    return amounts


def _shifted_samples(model, args, amounts):
    """Samples with the attribute shift applied; prints each attribute before and after the shift."""
    shift = model.attribute_shift(amounts)
    plain = model.sample(args.num, args.temperature, args.seed, shift=np.zeros_like(shift))  # the same draws
    rolls = model.sample(args.num, args.temperature, args.seed, shift=shift)
    for name, k in amounts.items():
        s = model.attribute_summaries[name]
        before = np.nanmean(model.attributes(name, plain)) if len(plain) else np.nan
        after = np.nanmean(model.attributes(name, rolls)) if len(rolls) else np.nan
        print(f"{name} {k:+g}: vector from {s['examples']} training examples (quartile means "
              f"{s['bottom_quartile']:.3g} -> {s['top_quartile']:.3g}); samples {before:.3g} -> {after:.3g}")
    return rolls


def check_out_folder(out):
    """A ``UsageError`` unless ``out`` is a folder, or can be made one, that this user may write."""
    if os.path.exists(out) and not os.path.isdir(out):
        raise UsageError(f"--out {out} is a file; name a folder for the generated files")
    blocked = unwritable_parent(out)
    if blocked:
        raise UsageError(f"--out {out}: {blocked} is not a writable folder")


@cli_entry
def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.list_pretrained:
        print("\n".join(pretrained.listing()))
        return 0
    if args.run is None:
        raise UsageError("name a run folder, a SavedModel folder or pretrained:NAME (--list-pretrained lists them)")
    if args.num < 1 or args.steps < 2:
        raise UsageError("--num must be at least 1 and --steps at least 2")
    if not 0 <= args.temperature < float("inf"):
        raise UsageError(f"--temperature must be a finite number >= 0, not {args.temperature:g}")
    if args.tempo is not None and not (np.isfinite(args.tempo) and args.tempo > 0):
        raise UsageError(f"--tempo must be a positive number of beats per minute, not {args.tempo:g}")
    amounts = parse_attributes(args.attribute)
    if amounts and args.interpolate:
        raise UsageError("--attribute shifts prior samples; it cannot be combined with --interpolate")
    if args.data and not amounts:
        raise UsageError("--data is only used with --attribute")
    if args.prior and (amounts or args.interpolate):
        raise UsageError("--prior chooses where prior samples come from; it cannot be combined with "
                         "--attribute or --interpolate")
    out = args.out or pretrained.default_out(args.run)
    check_out_folder(out)
    model = TrainedModel.from_run(pretrained.resolve(args.run), data_specs=args.data, cache_dir=args.cache_dir,
                                  progress=sys.stderr.isatty())
    if args.tempo is not None and model.rep.mode != "symbolic":
        raise UsageError(f"--tempo applies to symbolic runs; {args.run} is an {model.rep.mode} run")
    if amounts:
        rolls = _shifted_samples(model, args, amounts)
        shown = ", ".join(f"{n} {k:+g}" for n, k in amounts.items())
        stem, titles = "sample", [f"sample {i} ({shown})" for i in range(args.num)]
    elif args.interpolate:
        a, b = (model.read_example(p) for p in args.interpolate)
        rolls = model.interpolate(a, b, args.steps, temperature=args.temperature, seed=args.seed)
        stem, titles = "interp", [f"{k}/{args.steps - 1}" for k in range(args.steps)]
    else:
        rolls = model.sample(args.num, args.temperature, args.seed, prior=args.prior)
        stem, titles = "sample", [f"sample {i}" for i in range(args.num)]
    paths = model.write(rolls, out, stem, titles, args.wav, tempo=args.tempo)
    kind = "WAV" if model.rep.mode == "audio" else "MIDI"
    extra = " (+ rendered WAVs)" if args.wav and model.rep.mode == "symbolic" else ""
    print(f"wrote {len(paths)} {kind} files{extra} and PNGs to {out}")
    return 0


if __name__ == "__main__":
    # Only a process of its own gets fast_start: it changes TensorFlow's settings process-wide.
    fast_start(build_parser().parse_args().run)
    main()
