"""``TrainedModel``: a small facade over a trained VAE's latent space (in the spirit of MusicVAE's).

It works from the exported SavedModel alone (no Keras model classes), and from a run directory it
also knows the run's data, so attribute vectors need no arguments::

    from mguv.latent import TrainedModel
    m = TrainedModel.from_run("runs/demo")          # a run directory, or any SavedModel directory
    rolls = m.sample(8, temperature=0.8, seed=1)    # [8, steps, pitches] in {0, 1}
    z = m.encode(rolls)                             # posterior means mu [8, latent]
    path = m.interpolate(rolls[0], rolls[1], 8)     # decoded slerp path [8, steps, pitches]
    v = m.attribute_vector("note_density")          # mu(top quartile) - mu(bottom quartile)
    denser = m.sample(8, seed=1, shift=1.5 * v)     # the same 8 draws, moved along v

Attribute vectors (symbolic runs only): the mean mu of the examples in the top quartile of an
attribute (see ``mguv.attributes``) minus the mean mu of the bottom quartile, unnormalized, so a
shift of ``k * v`` moves z by k times the distance between those two group means.
"""

import os

import numpy as np

from mguv import attributes as attrs
from mguv.errors import UsageError
from mguv.generate import SavedModelGenerator, saved_model_dir, slerp

ENCODE_BATCH = 256
MAX_ATTRIBUTE_EXAMPLES = 5000  # encoding more changes the vectors little and costs seconds
INTERPOLATIONS = ("slerp", "lerp")


def lerp(a, b, t):
    """Linear interpolation between latent vectors a, b [latent] at fractions t [k] -> [k, latent]."""
    a, b, t = np.asarray(a, np.float64), np.asarray(b, np.float64), np.asarray(t, np.float64)[:, None]
    return ((1 - t) * a + t * b).astype(np.float32)


def _run_root(path):
    """The run directory that holds ``path`` (a run, or its saved_model/), or None for a bare
    SavedModel."""
    for root in (path, os.path.dirname(os.path.abspath(saved_model_dir(path)))):
        if os.path.isfile(os.path.join(root, "config.json")):
            return root
    return None


class TrainedModel:
    """Encode, decode, sample, interpolate and shift along attribute vectors.

    Attributes:
      generator: the ``SavedModelGenerator`` doing the work.
      rep: the representation (``rep.mode`` is "symbolic" or "audio").
      latent_shape: shape of one z, e.g. (32,) or (352, 16).
      run_dir: the run directory, or None for a bare SavedModel.
      attribute_summaries: {attribute: {"top_quartile", "bottom_quartile", "examples"}} for each
        attribute vector computed so far from the model's own data.
    """

    def __init__(self, generator, config=None, data_specs=None, genre=None, run_dir=None, cache_dir=None,
                 progress=False):
        """Use ``from_run``; this takes a loaded generator (or any object with its interface).

        Args:
          config: the run's ``Config`` (its split decides which examples are "training").
          data_specs: ``--data`` specs of the examples ``attribute_vector`` uses by default; None
            with a config means the config's own, with no config means none (pass ``data=``).
          cache_dir, progress: the parse cache, and whether loading the data shows progress bars.
        """
        self.generator = generator
        self.config = config
        self.data_specs = None if data_specs is None else list(data_specs)
        self.genre = genre
        self.run_dir = run_dir
        self.cache_dir = cache_dir
        self.progress = progress
        self.attribute_summaries = {}
        self._examples = None
        self._vectors = {}

    @classmethod
    def from_run(cls, path, data_specs=None, cache_dir=None, progress=False):
        """Loads a run directory (SavedModel + config.json + its data specs) or a bare SavedModel.

        Args:
          path: a run directory made by train.py, its ``saved_model/``, or any exported SavedModel.
          data_specs: ``--data`` specs for attribute vectors instead of the run's own; needed for a
            bare SavedModel unless ``attribute_vector`` gets ``data=``.
          cache_dir: the parse cache (None: ``$MGUV_CACHE_DIR`` or ~/.cache/mguv).
          progress: show progress bars when the data has to be parsed.

        Raises:
          UsageError: no SavedModel at ``path``, or an unreadable config.json.
        """
        path = os.fspath(path)
        generator = SavedModelGenerator(path)
        root = _run_root(path)
        config, genre, run_specs = None, None, None
        if root is not None:
            from mguv.training.run import read_run_config

            config, run_specs, genre = read_run_config(root)
        if data_specs is not None:
            run_specs, genre = list(data_specs), None
        return cls(generator, config=config, data_specs=run_specs, genre=genre, run_dir=root,
                   cache_dir=cache_dir, progress=progress)

    # ------------------------------------------------------------------------------ the model

    @property
    def rep(self):
        return self.generator.rep

    @property
    def latent_shape(self):
        shape = self.generator.latent_shape
        return None if shape is None else tuple(shape)

    @property
    def converter(self):
        return self.generator.converter

    def encode(self, examples, batch_size=ENCODE_BATCH):
        """examples [n, *example shape] (rolls or waveforms) -> posterior means mu float32 [n, *latent]."""
        examples = np.asarray(examples, np.float32)
        if examples.shape[1:] != tuple(self.rep.shape):
            raise UsageError(f"examples of shape {examples.shape[1:]} do not fit this model's "
                             f"{tuple(self.rep.shape)}")
        if len(examples) == 0:
            return np.zeros((0,) + self.latent_shape, np.float32)
        return np.concatenate([self.generator.encode(examples[i:i + batch_size])
                               for i in range(0, len(examples), batch_size)])

    def decode(self, z, temperature=0.0, seed=0):
        """z [n, *latent] -> examples. Rolls: greedy at temperature 0 (the default), else Bernoulli
        sampling at ``temperature`` seeded by ``seed``; waveforms ignore both."""
        return self.generator.decode(np.asarray(z, np.float32), temperature, seed)

    def prior(self, n, seed=0):
        """n draws z ~ N(0, I), float32 [n, *latent]; the draws ``sample`` decodes for this seed."""
        return np.random.default_rng(seed).standard_normal((n,) + self.latent_shape).astype(np.float32)

    def sample(self, n, temperature=1.0, seed=0, shift=None):
        """n prior samples -> examples [n, *example shape].

        Rolls: z ~ N(0, I), then Bernoulli sampling at ``temperature`` (0 = greedy). Waveforms:
        z ~ N(0, temperature^2 I), decoded to the mean waveform. ``shift`` (float [*latent], e.g.
        ``1.5 * attribute_vector(...)``) is added to every z; the same seed gives the same draws
        with and without it.
        """
        if n < 1:
            raise UsageError(f"sample: n must be at least 1, not {n}")
        if temperature < 0:
            raise UsageError(f"sample: temperature must be >= 0, not {temperature}")
        if self.latent_shape is None:  # lstm, lstm_attention, vq_vae: sampled inside the SavedModel
            if shift is not None:
                raise UsageError(f"a {self.generator.family} model has no latent space to shift")
            return self.generator.sample(n, temperature, seed)
        z = self.prior(n, seed)
        if self.rep.mode == "audio":
            z = z * np.float32(temperature if temperature > 0 else 1.0)
        if shift is not None:
            z = z + np.asarray(shift, np.float32).reshape(self.latent_shape)
        return self.decode(z, temperature, seed)

    def interpolate(self, a, b, steps=8, method="slerp", temperature=0.0, seed=0):
        """Decodes ``steps`` evenly spaced points on the latent path from example a to example b.

        Args:
          a, b: two examples [*example shape] (a roll, or a waveform clip).
          method: "slerp" (spherical, the default: intermediate points keep the norm typical of
            the prior) or "lerp" (straight line, whose midpoints have a smaller norm).

        Returns examples [steps, *example shape]; the first decodes mu(a), the last mu(b).
        """
        if steps < 2:
            raise UsageError(f"interpolate: steps must be at least 2, not {steps}")
        za, zb = self.encode(np.stack([a, b]))
        path = self.latent_path(za, zb, steps, method)
        return self.decode(path, temperature, seed)

    def latent_path(self, za, zb, steps, method="slerp"):
        """``steps`` points from za to zb (each [*latent]) -> float32 [steps, *latent]."""
        if method not in INTERPOLATIONS:
            raise UsageError(f"unknown interpolation {method!r}; choose from {', '.join(INTERPOLATIONS)}")
        za, zb = np.asarray(za), np.asarray(zb)
        fn = slerp if method == "slerp" else lerp
        return fn(za.reshape(-1), zb.reshape(-1), np.linspace(0.0, 1.0, steps)).reshape((steps,) + za.shape)

    # --------------------------------------------------------------------- data and attributes

    def _require_rolls(self, what):
        if self.rep.mode != "symbolic":
            raise UsageError(f"{what} are defined on piano-rolls (note density, pitch, polyphony, "
                             f"rhythm); this is an {self.rep.mode} model")

    def attributes(self, name, rolls):
        """The attribute ``name`` (see ``mguv.attributes.ATTRIBUTES``) of rolls [n, steps, pitches]
        -> float64 [n], NaN where a roll is empty."""
        self._require_rolls("attributes")
        return attrs.compute(name, rolls, self.rep)

    def examples(self, split="train"):
        """The model's own data: examples [n, *example shape] of the run's ``split``.

        ``split`` is "train", "val" or "all". For a run, the split is rebuilt exactly as training
        made it (``mguv.training.run.prepare_data``; parsing is cached). With ``data_specs`` but no
        run config, every example of those specs counts as "train" and "all".
        """
        if split not in ("train", "val", "all"):
            raise UsageError(f"unknown split {split!r}; choose from train, val, all")
        if self._examples is None:
            if self.data_specs is None:
                raise UsageError("this SavedModel has no run directory around it, so its data is unknown: "
                                 "pass data specs (--data SPEC, or from_run(path, data_specs=[...])) "
                                 "or explicit examples (data=...)")
            if self.config is not None:
                from mguv.training.run import prepare_data

                segments, train_idx, val_idx = prepare_data(self.config, self.data_specs, self.cache_dir,
                                                            progress=self.progress, genre=self.genre)
                self._examples = {"all": segments.x, "train": segments.x[train_idx],
                                  "val": segments.x[val_idx]}
            else:
                x = self.converter.load(self.data_specs, cache_dir=self.cache_dir, progress=self.progress).x
                self._examples = {"all": x, "train": x, "val": x}
        return self._examples[split]

    def attribute_vector(self, name, data=None, max_examples=MAX_ATTRIBUTE_EXAMPLES):
        """The latent direction of attribute ``name``: float32 [*latent].

        It is mean(mu | top quartile of the attribute) - mean(mu | bottom quartile), over ``data``
        (rolls [n, steps, pitches]) or, by default, the run's training examples (at most
        ``max_examples``, spread evenly). Vectors from the model's own data are cached, and their
        quartile means are kept in ``attribute_summaries[name]``.

        Raises:
          UsageError: an audio model, an unknown attribute, no data, or data where the attribute
            does not vary.
        """
        self._require_rolls("attribute vectors")
        attrs.check_name(name)
        if data is None and name in self._vectors:
            return self._vectors[name].copy()
        own = data is None
        rolls = np.asarray(self.examples("train") if own else data)
        if max_examples and len(rolls) > max_examples:
            from mguv.metrics_eval import spread_indices

            rolls = rolls[spread_indices(len(rolls), max_examples)]
        values = self.attributes(name, rolls)
        vector, high, low = attrs.quartile_difference(self.encode(rolls), values)
        if own:
            self._vectors[name] = vector
            self.attribute_summaries[name] = {"top_quartile": high, "bottom_quartile": low,
                                              "examples": int(np.isfinite(values).sum())}
        return vector.copy()

    def attribute_shift(self, amounts):
        """The latent shift for {attribute: k}: the sum of k * attribute_vector(attribute), [*latent]."""
        shift = np.zeros(self.latent_shape, np.float32)
        for name, k in dict(amounts).items():
            shift += np.float32(k) * self.attribute_vector(name).reshape(self.latent_shape)
        return shift
