"""``python -m mguv.generate RUN``: write MIDI from a run's SavedModel.

Only the SavedModel and its representation are used (no Keras model classes), so the same code
works on a SavedModel copied anywhere:

    python -m mguv.generate RUN --num 8 --temperature 0.8 --seed 1 --out samples/
    python -m mguv.generate RUN --interpolate a.mid b.mid --steps 8
"""

import json
import os

import numpy as np

from mguv import representation as representations
from mguv.cli import ArgumentParser, quiet_tensorflow
from mguv.errors import UsageError, cli_entry


def slerp(a, b, t):
    """Spherical interpolation between latent vectors a, b [latent] at fractions t [k] -> [k, latent].

    Falls back to linear interpolation when a and b are (anti)parallel.
    """
    a, b, t = np.asarray(a, np.float64), np.asarray(b, np.float64), np.asarray(t, np.float64)[:, None]
    cos = np.dot(a, b) / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12)
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if np.sin(omega) < 1e-6:
        return ((1 - t) * a + t * b).astype(np.float32)
    return ((np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)).astype(np.float32)


def saved_model_dir(path):
    """Accepts a run directory or a SavedModel directory; returns the SavedModel directory."""
    if not os.path.isdir(path):
        raise UsageError(f"{path}: no such run directory")
    if os.path.exists(os.path.join(path, "saved_model.pb")):
        return path
    inner = os.path.join(path, "saved_model")
    if os.path.exists(os.path.join(inner, "saved_model.pb")):
        return inner
    raise UsageError(f"{path}: no SavedModel here (expected {inner}); has the run finished training?")


class SavedModelGenerator:
    """Sampling, encoding and decoding through an exported SavedModel.

    Attributes:
      rep: the representation the model was trained with.
      latent_dim: size of z.
    """

    def __init__(self, path):
        path = saved_model_dir(path)  # Fail on a bad path before the slow TensorFlow import.
        quiet_tensorflow()
        import tensorflow as tf

        self.module = tf.saved_model.load(path)
        info = json.loads(self.module.representation().numpy())
        self.latent_dim = int(info.pop("latent_dim"))
        self.rep = representations.from_dict(info)

    def sample(self, n, temperature=1.0, seed=0):
        """n prior samples -> rolls float32 [n, steps, pitches] in {0, 1}."""
        z = np.random.default_rng(seed).standard_normal((n, self.latent_dim)).astype(np.float32)
        return self.decode(z, temperature, seed)

    def decode(self, z, temperature=0.0, seed=0):
        """z [n, latent] -> rolls [n, steps, pitches]; temperature 0 decodes greedily."""
        z = np.asarray(z, np.float32)
        if temperature <= 0:
            return (self.module.decode(z).numpy() > 0.5).astype(np.float32)
        out = self.module.sample(z, np.float32(temperature), np.asarray([seed, 0], np.int32))
        return out["roll"].numpy()

    def encode(self, rolls):
        """rolls [n, steps, pitches] -> posterior means [n, latent]."""
        return self.module.encode(np.asarray(rolls, np.float32))["mean"].numpy()

    def first_segment(self, path):
        """The first non-silent segment of a score file, as a roll [steps, pitches]."""
        from mguv.data.parse import parse_file
        from mguv.data.roll import notes_to_roll, segment

        if not os.path.isfile(path):
            raise UsageError(f"{path}: no such file")
        notes, reason = parse_file(os.path.basename(path), path, None, self.rep.steps_per_beat)
        if notes is None:
            raise UsageError(f"{path}: cannot read it ({reason})")
        segments, _ = segment(notes_to_roll(notes, self.rep)[0], self.rep)
        if not len(segments):
            raise UsageError(f"{path}: no non-silent {self.rep.segment_steps}-step segment in "
                             f"pitches {self.rep.min_pitch}..{self.rep.max_pitch}")
        return segments[0].astype(np.float32)

    def interpolate(self, a, b, steps, temperature=0.0, seed=0):
        """Decodes ``steps`` points on the slerp path between rolls a and b -> [steps, T, P]."""
        za, zb = self.encode(np.stack([a, b]))
        return self.decode(slerp(za, zb, np.linspace(0.0, 1.0, steps)), temperature, seed)


def _write(rolls, rep, out, stem, titles, wav=False):
    """Writes each roll as STEM_XX.mid and STEM_XX.png (and STEM_XX.wav when ``wav``)."""
    from mguv import plots
    from mguv.data.roll import roll_to_midi, write_midi

    os.makedirs(out, exist_ok=True)
    paths = []
    for i, roll in enumerate(rolls):
        path = os.path.join(out, f"{stem}_{i:02d}.mid")
        write_midi(roll, rep, path)
        plots.piano_rolls(roll[None], os.path.join(out, f"{stem}_{i:02d}.png"), [titles[i]], rep)
        if wav:
            from mguv.synth import write_wav

            write_wav(roll_to_midi(roll, rep), os.path.join(out, f"{stem}_{i:02d}.wav"))
        paths.append(path)
    return paths


def build_parser():
    p = ArgumentParser(prog="python -m mguv.generate", description=__doc__.split("\n")[0])
    p.add_argument("run", help="run directory (or a SavedModel directory)")
    p.add_argument("--num", type=int, default=8, help="number of prior samples")
    p.add_argument("--temperature", type=float, default=1.0,
                   help="sampling temperature; 0 decodes greedily")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="output folder (default RUN/generated)")
    p.add_argument("--interpolate", nargs=2, metavar=("A.mid", "B.mid"),
                   help="decode the latent path between the first segments of two files")
    p.add_argument("--steps", type=int, default=8, help="points on the interpolation path")
    p.add_argument("--wav", action="store_true",
                   help="also render each MIDI file to WAV (FluidSynth if installed, else sine waves)")
    return p


@cli_entry
def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.num < 1 or args.steps < 2:
        raise UsageError("--num must be at least 1 and --steps at least 2")
    if args.temperature < 0:
        raise UsageError("--temperature must be >= 0")
    generator = SavedModelGenerator(args.run)
    out = args.out or os.path.join(args.run, "generated")
    if args.interpolate:
        a, b = (generator.first_segment(p) for p in args.interpolate)
        rolls = generator.interpolate(a, b, args.steps, args.temperature, args.seed)
        titles = [f"{k}/{args.steps - 1}" for k in range(args.steps)]
        paths = _write(rolls, generator.rep, out, "interp", titles, args.wav)
        from mguv import plots

        plots.piano_rolls(rolls, os.path.join(out, "interpolation.png"), titles, generator.rep,
                          cols=min(args.steps, 8))
    else:
        rolls = generator.sample(args.num, args.temperature, args.seed)
        paths = _write(rolls, generator.rep, out, "sample", [f"sample {i}" for i in range(args.num)],
                       args.wav)
    kinds = "MIDI files, WAVs and piano-roll PNGs" if args.wav else "MIDI files and piano-roll PNGs"
    print(f"wrote {len(paths)} {kinds} to {out}")
    return 0


if __name__ == "__main__":
    main()
