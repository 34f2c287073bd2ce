"""``python -m mguv.generate RUN``: write MIDI (symbolic runs) or WAV (audio runs) from a SavedModel.

Only the SavedModel and its representation are used (no Keras model classes), so the same code
works on a SavedModel copied anywhere; the mode is read from the representation:

    python -m mguv.generate RUN --num 8 --temperature 0.8 --seed 1 --out samples/
    python -m mguv.generate RUN --interpolate a.mid b.mid --steps 8     # or a.wav b.wav
    python -m mguv.generate RUN --attribute note_density=+1.5         # samples moved along a vector

``--attribute NAME=K`` (symbolic runs) adds K times the attribute vector of NAME (``mguv.latent``:
the mean latent code of the run's training examples in the attribute's top quartile minus that of
its bottom quartile) to every sampled z, and prints the attribute before and after. The vectors
need data: a run's own data specs (config.json), or ``--data`` for a bare SavedModel.
"""

import json
import os
import sys

import numpy as np

from mguv import representation as representations
from mguv.data.converters import converter_for
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
      rep: the representation the model was trained with (``rep.mode`` is symbolic or audio).
      family: the model family (lstm_vae, hier_vae, lstm, lstm_attention, vq_vae, wgan, ...).
      latent_shape: shape of one z, e.g. (64,) or (352, 16); None for a family without a
        continuous latent (lstm, lstm_attention, vq_vae), which can only sample.
      converter: writes examples as MIDI or WAV.
    """

    def __init__(self, path):
        path = saved_model_dir(path)  # Fail on a bad path before the slow TensorFlow import.
        quiet_tensorflow()
        import tensorflow as tf

        self.module = tf.saved_model.load(path)
        info = json.loads(self.module.representation().numpy())
        latent_dim = info.pop("latent_dim")
        latent_shape = info.pop("latent_shape", [latent_dim])
        self.latent_shape = None if latent_dim is None else tuple(latent_shape)
        self.family = info.pop("family", "lstm_vae")
        self.sample_input = info.pop("sample_input", "z")
        self.model_info = {k: info.pop(k) for k in ("codes_shape", "codebook_size") if k in info}
        self.rep = representations.from_dict(info)
        self.converter = converter_for(self.rep)

    @property
    def latent_dim(self):
        return None if self.latent_shape is None else int(np.prod(self.latent_shape))

    def _require(self, what, encoder=False):
        """A ``UsageError`` unless the model has a continuous latent space (and an encoder)."""
        if self.latent_shape is None or (encoder and not hasattr(self.module, "encode")):
            raise UsageError(f"a {self.family} model has no {what}; --interpolate and --attribute need "
                             "one (plain sampling works: python -m mguv.generate RUN --num N)")

    def sample(self, n, temperature=1.0, seed=0):
        """n prior samples -> examples [n, *example shape] (rolls in {0, 1}, or waveforms).

        Symbolic: z ~ N(0, I), then Bernoulli sampling at ``temperature`` (0 = greedy); families
        without a latent (lstm, lstm_attention, vq_vae) sample inside the SavedModel at
        ``temperature`` (0 = greedy).
        Audio: z ~ N(0, temperature^2 I), decoded to the mean waveform.
        """
        if self.sample_input == "num":
            out = self.module.sample(np.int32(n), np.float32(temperature), np.asarray([seed, 0], np.int32))
            return out["roll"].numpy()
        z = np.random.default_rng(seed).standard_normal((n,) + self.latent_shape).astype(np.float32)
        if self.rep.mode == "audio":
            return self.decode(z * np.float32(temperature if temperature > 0 else 1.0))
        return self.decode(z, temperature, seed)

    def decode(self, z, temperature=0.0, seed=0):
        """z [n, *latent] -> examples; for rolls, temperature 0 decodes greedily."""
        self._require("latent space to decode")
        z = np.asarray(z, np.float32)
        if self.rep.mode == "audio":
            return self.module.decode(z).numpy()
        if temperature <= 0:
            return (self.module.decode(z).numpy() > 0.5).astype(np.float32)
        out = self.module.sample(z, np.float32(temperature), np.asarray([seed, 0], np.int32))
        return out["roll"].numpy()

    def encode(self, examples):
        """examples [n, *example shape] -> posterior means [n, *latent]."""
        self._require("encoder", encoder=True)
        return self.module.encode(np.asarray(examples, np.float32))["mean"].numpy()

    def first_segment(self, path):
        """The first example (non-silent segment, or clip) of a file, float32 [*example shape]."""
        if not os.path.isfile(path):
            raise UsageError(f"{path}: no such file")
        return self.converter.read_example(path)

    def interpolate(self, a, b, steps, temperature=0.0, seed=0):
        """Decodes ``steps`` points on the slerp path between examples a and b -> [steps, *example]."""
        za, zb = self.encode(np.stack([a, b]))
        path = slerp(za.reshape(-1), zb.reshape(-1), np.linspace(0.0, 1.0, steps))
        return self.decode(path.reshape((steps,) + za.shape), temperature, seed)


def fast_start(path):
    """Turns TensorFlow's graph optimizer (grappler) off in this process when ``path`` holds a
    symbolic SavedModel. Its pass over the unrolled decoder costs more on the first call than it
    saves (about 0.4 s of a 5 s cold start on a 2-core CPU; ``benchmarks/perf.py``), and later calls
    run as fast without it. Process-wide, so only ``python -m mguv.generate`` calls it, not ``main``;
    audio decoders (convolutions, which grappler fuses) keep it.
    """
    try:  # The asset export.py writes; read directly, since importing the export module loads Keras.
        with open(os.path.join(saved_model_dir(path), "assets", "representation.json")) as f:
            symbolic = json.load(f).get("mode", "symbolic") == "symbolic"
    except (OSError, ValueError, UsageError):
        return
    if symbolic:
        quiet_tensorflow()
        import tensorflow as tf

        tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})


def _write(generator, examples, out, stem, titles, wav=False):
    """Writes STEM_XX.mid or .wav with a STEM_XX.png each, and a grid of all in STEM.png.

    ``wav`` also renders MIDI to STEM_XX.wav (symbolic mode)."""
    from mguv.data.roll import roll_to_midi

    conv = generator.converter
    os.makedirs(out, exist_ok=True)
    paths = []
    for i, example in enumerate(examples):
        path = os.path.join(out, f"{stem}_{i:02d}{conv.extension}")
        conv.write(example, path)
        conv.plot_examples(example[None], os.path.join(out, f"{stem}_{i:02d}.png"), [titles[i]])
        if wav and generator.rep.mode == "symbolic":
            from mguv.synth import write_wav

            write_wav(roll_to_midi(example, generator.rep), os.path.join(out, f"{stem}_{i:02d}.wav"))
        paths.append(path)
    conv.plot_examples(examples, os.path.join(out, f"{stem}.png"), titles, cols=min(len(examples), 4))
    return paths


def build_parser():
    p = ArgumentParser(prog="python -m mguv.generate", description=__doc__.split("\n")[0])
    p.add_argument("run", help="run directory (or a SavedModel directory)")
    p.add_argument("--num", type=int, default=8, help="number of prior samples")
    p.add_argument("--temperature", type=float, default=1.0,
                   help="sampling temperature; 0 decodes greedily")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="output folder (default RUN/generated)")
    p.add_argument("--interpolate", nargs=2, metavar=("A", "B"),
                   help="decode the latent path between the first segments (or clips) of two files")
    p.add_argument("--steps", type=int, default=8, help="points on the interpolation path")
    p.add_argument("--wav", action="store_true",
                   help="symbolic runs: also render each MIDI file to WAV (FluidSynth if installed, "
                        "else sine waves); audio runs always write WAV")
    p.add_argument("--attribute", action="append", default=[], metavar="NAME=K",
                   help="shift samples by K times an attribute vector (repeatable); NAME is one of "
                        "note_density, mean_pitch, polyphony, rhythmic_activity; K=1 moves z by the "
                        "difference between the mean codes of the top and bottom quartiles")
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


def _shifted_samples(args, amounts):
    """Samples with the attribute shift applied; prints each attribute before and after the shift."""
    from mguv.latent import TrainedModel

    model = TrainedModel.from_run(args.run, data_specs=args.data, cache_dir=args.cache_dir,
                                  progress=sys.stderr.isatty())
    shift = model.attribute_shift(amounts)
    plain = model.sample(args.num, args.temperature, args.seed)
    rolls = model.sample(args.num, args.temperature, args.seed, shift=shift)
    for name, k in amounts.items():
        s = model.attribute_summaries[name]
        before = np.nanmean(model.attributes(name, plain)) if len(plain) else np.nan
        after = np.nanmean(model.attributes(name, rolls)) if len(rolls) else np.nan
        print(f"{name} {k:+g}: vector from {s['examples']} training examples (quartile means "
              f"{s['bottom_quartile']:.3g} -> {s['top_quartile']:.3g}); samples {before:.3g} -> {after:.3g}")
    return model.generator, rolls


@cli_entry
def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.num < 1 or args.steps < 2:
        raise UsageError("--num must be at least 1 and --steps at least 2")
    if args.temperature < 0:
        raise UsageError("--temperature must be >= 0")
    amounts = parse_attributes(args.attribute)
    if amounts and args.interpolate:
        raise UsageError("--attribute shifts prior samples; it cannot be combined with --interpolate")
    if args.data and not amounts:
        raise UsageError("--data is only used with --attribute")
    out = args.out or os.path.join(args.run, "generated")
    if amounts:
        generator, rolls = _shifted_samples(args, amounts)
        shown = ", ".join(f"{n} {k:+g}" for n, k in amounts.items())
        paths = _write(generator, rolls, out, "sample", [f"sample {i} ({shown})" for i in range(args.num)],
                       args.wav)
    elif args.interpolate:
        generator = SavedModelGenerator(args.run)
        a, b = (generator.first_segment(p) for p in args.interpolate)
        rolls = generator.interpolate(a, b, args.steps, args.temperature, args.seed)
        titles = [f"{k}/{args.steps - 1}" for k in range(args.steps)]
        paths = _write(generator, rolls, out, "interp", titles, args.wav)
    else:
        generator = SavedModelGenerator(args.run)
        rolls = generator.sample(args.num, args.temperature, args.seed)
        paths = _write(generator, rolls, out, "sample", [f"sample {i}" for i in range(args.num)], args.wav)
    kind = "WAV" if generator.rep.mode == "audio" else "MIDI"
    extra = " (+ rendered WAVs)" if args.wav and generator.rep.mode == "symbolic" else ""
    print(f"wrote {len(paths)} {kind} files{extra} and PNGs to {out}")
    return 0


if __name__ == "__main__":
    # Only a process of its own gets fast_start: it changes TensorFlow's settings process-wide.
    fast_start(build_parser().parse_args().run)
    main()
