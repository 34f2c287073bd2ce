"""``TrainedModel``: the one facade over a trained model (in the spirit of MusicVAE's).

It works from the exported SavedModel alone (no Keras model classes), so it loads fast and works on
a SavedModel copied anywhere; the mode, family and latent shape come from the representation the
SavedModel carries. From a run directory it also knows the run's config and data, so attribute
vectors need no arguments::

    from mguv.trained_model import TrainedModel
    m = TrainedModel.from_run("runs/demo")          # a run directory, or any SavedModel directory
    m = TrainedModel.from_pretrained("bach-2bar")   # or a model shipped with mguv (mguv.pretrained)
    rolls = m.sample(8, temperature=0.8, seed=1)    # [8, steps, pitches] in {0, 1}
    z = m.encode(rolls)                             # posterior means mu [8, latent]
    path = m.interpolate(rolls[0], rolls[1], 8)     # decoded slerp path [8, steps, pitches]
    v = m.attribute_vector("note_density")          # mu(top quartile) - mu(bottom quartile)
    denser = m.sample(8, seed=1, shift=1.5 * v)     # the same 8 draws, moved along v
    m.write(denser, "out", "dense", [f"dense {i}" for i in range(8)])   # MIDI (or WAV) + PNGs

``python -m mguv.generate`` is a thin shell over this class; the arithmetic on latent codes (slerp,
lerp, attribute vectors) is plain numpy in ``mguv.latent``.
"""

import json
import os

import numpy as np

from mguv import attributes as attrs
from mguv import latent
from mguv import representation as representations
from mguv.data.converters import converter_for
from mguv.errors import UsageError, first_line
from mguv.run_dir import read_run_config, run_root, saved_model_dir

ENCODE_BATCH = 256
MAX_ATTRIBUTE_EXAMPLES = 5000  # encoding more changes the vectors little and costs seconds


class TrainedModel:
    """Sample, encode, decode, interpolate and shift along attribute vectors through a SavedModel.

    Attributes:
      module: the loaded SavedModel (endpoints ``encode``, ``decode``, ``sample``; see mguv.export).
      rep: the representation the model was trained with (``rep.mode`` is "symbolic" or "audio").
      family: the model family (lstm_vae, hier_vae, lstm, lstm_attention, vq_vae, wgan, conv_vae, ...).
      latent_shape: shape of one z, e.g. (64,) or (352, 16); None for a family without a
        continuous latent (lstm, lstm_attention, vq_vae), which can only sample.
      latent_dim: the number of values in one z (None without a latent).
      model_info: what else the SavedModel says about itself (vq_vae: "codes_shape", "codebook_size";
        a VAE with a learned prior over its latent: "prior": "learned").
      run_dir: the run directory, or None for a bare SavedModel.
      config, data_specs, genre: the run's ``Config`` and ``--data`` specs (None for a bare
        SavedModel), read from RUN/config.json when first asked for.
      attribute_summaries: {attribute: {"top_quartile", "bottom_quartile", "examples"}} for each
        attribute vector computed so far from the model's own data.
    """

    def __init__(self, module, rep, latent_shape=None, family="lstm_vae", sample_input="z", model_info=None,
                 run_dir=None, config=None, data_specs=None, genre=None, cache_dir=None, progress=False):
        """Use ``from_run``; this takes a loaded SavedModel (or any object with its endpoints).

        Args:
          sample_input: what the SavedModel's ``sample`` takes: "z" (latent codes) or "num" (a count).
          run_dir: the run around the SavedModel; its config.json gives ``config`` and
            ``data_specs`` unless they are passed here.
          data_specs: ``--data`` specs of the examples ``attribute_vector`` uses by default, with
            their ``genre``; None means the run's own, and with no run none (pass ``data=``).
          cache_dir, progress: the parse cache, and whether loading the data shows progress bars.
        """
        self.module = module
        self.rep = rep
        self.latent_shape = None if latent_shape is None else tuple(latent_shape)
        self.family = family
        self.sample_input = sample_input
        self.model_info = dict(model_info or {})
        self.run_dir = run_dir
        self._config = config
        self._data_specs = None if data_specs is None else list(data_specs)
        self._genre = genre
        self._saved_run = None
        self.cache_dir = cache_dir
        self.progress = progress
        self.attribute_summaries = {}
        self._converter = converter_for(rep)
        self._examples = None
        self._vectors = {}

    @classmethod
    def from_pretrained(cls, name, data_specs=None, cache_dir=None, progress=False):
        """Loads a model shipped with mguv (``mguv.pretrained``; e.g. "bach-2bar", or
        "pretrained:bach-2bar"); its attribute vectors come from the Bach chorales it was trained on.

        Raises:
          UsageError: an unknown name (the message lists the names), or one not installed here.
        """
        from mguv import pretrained

        return cls.from_run(pretrained.path(pretrained.name_of(name)), data_specs=data_specs, cache_dir=cache_dir, progress=progress)

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
          UsageError: no SavedModel at ``path``. RUN/config.json is read when the run's config or
            data is first needed, and an unreadable one is a ``UsageError`` then.
        """
        path = os.fspath(path)
        saved = saved_model_dir(path)  # Fail on a bad path before the slow TensorFlow import.
        from mguv.cli import quiet_tensorflow

        quiet_tensorflow()
        import tensorflow as tf

        try:
            module = tf.saved_model.load(saved)
            info = json.loads(module.representation().numpy())
        except Exception as err:  # missing variables, a damaged graph, a foreign SavedModel
            raise UsageError(f"{saved} cannot be loaded as an mguv SavedModel (damaged, incomplete, or not "
                             f"exported by mguv?): {first_line(err)[:200]}") from None
        latent_dim = info.pop("latent_dim")
        latent_shape = info.pop("latent_shape", [latent_dim])
        family, sample_input = info.pop("family", "lstm_vae"), info.pop("sample_input", "z")
        model_info = {k: info.pop(k) for k in ("codes_shape", "codebook_size", "prior") if k in info}
        return cls(module, representations.from_dict(info), None if latent_dim is None else latent_shape,
                   family, sample_input, model_info, run_dir=run_root(path), data_specs=data_specs,
                   cache_dir=cache_dir, progress=progress)

    # ------------------------------------------------------------------------------ the model

    @property
    def latent_dim(self):
        return None if self.latent_shape is None else int(np.prod(self.latent_shape))

    def _require(self, what, encoder=False):
        """A ``UsageError`` unless the model has a continuous latent space (and an encoder)."""
        if self.latent_shape is None or (encoder and not hasattr(self.module, "encode")):
            raise UsageError(f"a {self.family} model has no {what}; --interpolate and --attribute need "
                             "one (plain sampling works: python -m mguv.generate RUN --num N)")

    def encode(self, examples, batch_size=ENCODE_BATCH):
        """examples [n, *example shape] (rolls or waveforms) -> posterior means mu float32 [n, *latent]."""
        examples = np.asarray(examples, np.float32)
        if examples.shape[1:] != tuple(self.rep.shape):
            raise UsageError(f"examples of shape {examples.shape[1:]} do not fit this model's "
                             f"{tuple(self.rep.shape)}")
        self._require("encoder", encoder=True)
        if len(examples) == 0:
            return np.zeros((0,) + self.latent_shape, np.float32)
        return np.concatenate([self.module.encode(examples[i:i + batch_size])["mean"].numpy()
                               for i in range(0, len(examples), batch_size)])

    def decode(self, z, temperature=0.0, seed=0):
        """z [n, *latent] -> examples. Rolls: greedy at temperature 0 (the default), else Bernoulli
        sampling at ``temperature`` seeded by ``seed``; waveforms ignore both."""
        self._require("latent space to decode")
        z = np.asarray(z, np.float32)
        if self.rep.mode == "audio":
            return self.module.decode(z).numpy()
        if temperature <= 0:
            return (self.module.decode(z).numpy() > 0.5).astype(np.float32)
        # A model whose sample() draws from its learned prior samples from z with decode_sample().
        sampler = getattr(self.module, "decode_sample", None) or self.module.sample
        out = sampler(z, np.float32(temperature), np.asarray([seed, 0], np.int32))
        return out["roll"].numpy()

    def prior(self, n, seed=0):
        """n draws z ~ N(0, I), float32 [n, *latent]; the draws ``sample`` decodes for this seed."""
        self._require("latent space to draw from")
        return np.random.default_rng(seed).standard_normal((n,) + self.latent_shape).astype(np.float32)

    def sample(self, n, temperature=1.0, seed=0, shift=None, prior=None):
        """n prior samples -> examples [n, *example shape] (rolls in {0, 1}, or waveforms).

        Rolls: z ~ N(0, I), then Bernoulli sampling at ``temperature`` (0 = greedy); families
        without a latent (lstm, lstm_attention, vq_vae) sample inside the SavedModel at
        ``temperature`` (0 = greedy). Waveforms: z ~ N(0, temperature^2 I), decoded to the mean
        waveform. A model with a learned prior over its latent (``model_info["prior"]``) draws z
        from it inside the SavedModel instead: for rolls at its own spread (then the cells at
        ``temperature``), for waveforms with its spread scaled by ``temperature``.
        ``prior="normal"`` draws z ~ N(0, I) all the same (to compare). ``shift`` (float
        [*latent], e.g. ``1.5 * attribute_vector(...)``) is added to every z drawn (from N(0, I), or
        from the learned prior); the same seed gives the same draws with and without it.
        """
        if n < 1:
            raise UsageError(f"sample: n must be at least 1, not {n}")
        if temperature < 0:
            raise UsageError(f"sample: temperature must be >= 0, not {temperature}")
        if prior not in (None, "learned", "normal"):
            raise UsageError(f"sample: prior must be 'learned' or 'normal', not {prior!r}")
        if prior == "normal":
            self._require("latent space to draw from")
        elif prior == "learned" and self.sample_input != "num":
            raise UsageError(f"this {self.family} model has no learned prior; sample with prior='normal'")
        if self.sample_input == "num" and prior != "normal":  # drawn inside the SavedModel
            if shift is not None and self.latent_shape is None:
                raise UsageError(f"a {self.family} model has no latent space to shift")
            out = self.module.sample(np.int32(n), np.float32(temperature), np.asarray([seed, 0], np.int32))
            if shift is not None:  # the learned prior's draws, moved along the shift
                z = out["z"].numpy() + np.asarray(shift, np.float32).reshape(self.latent_shape)
                return self.decode(z, temperature if self.rep.mode == "symbolic" else 0.0, seed)
            return out["wave" if self.rep.mode == "audio" else "roll"].numpy()
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
          temperature, seed: as for ``decode``.

        Returns examples [steps, *example shape]; the first decodes mu(a), the last mu(b).
        """
        if steps < 2:
            raise UsageError(f"interpolate: steps must be at least 2, not {steps}")
        za, zb = self.encode(np.stack([a, b]))
        return self.decode(self.latent_path(za, zb, steps, method), temperature, seed)

    def latent_path(self, za, zb, steps, method="slerp"):
        """``steps`` points from za to zb (each [*latent]) -> float32 [steps, *latent]
        (``mguv.latent.latent_path``)."""
        return latent.latent_path(za, zb, steps, method)

    # --------------------------------------------------------------------------------- files

    def read_example(self, path):
        """The first example (non-silent segment, or clip) of a file, float32 [*example shape]."""
        if not os.path.isfile(path):
            raise UsageError(f"{path}: no such file")
        return self._converter.read_example(path)

    def write(self, examples, out, stem, titles, wav=False, tempo=None):
        """Writes OUT/STEM_XX.mid (or .wav) with a STEM_XX.png each, and a grid of all in STEM.png;
        ``wav`` also renders MIDI to STEM_XX.wav (symbolic). ``tempo`` (quarter notes per minute,
        symbolic only) replaces the representation's tempo in the files written: the same notes,
        stretched in time. Returns the MIDI/WAV paths (``mguv.reporting.write_examples``)."""
        import dataclasses

        from mguv.reporting import write_examples

        rep = self.rep
        if tempo is not None:
            if rep.mode != "symbolic":
                raise UsageError(f"a tempo applies to symbolic models; this is an {rep.mode} model")
            if not 0 < tempo < np.inf:
                raise UsageError(f"tempo must be positive, not {tempo}")
            rep = dataclasses.replace(rep, tempo=float(tempo))
        return write_examples(rep, examples, out, stem, titles, wav)

    def plot(self, examples, path, titles, cols=4):
        """Draws examples [n, *example shape] into one PNG (``mguv.reporting.plot_examples``)."""
        from mguv.reporting import plot_examples

        plot_examples(self.rep, examples, path, titles, cols)

    # --------------------------------------------------------------------- data and attributes

    def _run(self, i):
        """Item i of the run's (config, data specs, genre), read once; all None for a bare SavedModel."""
        if self._saved_run is None:
            self._saved_run = (None, None, None) if self.run_dir is None else read_run_config(self.run_dir)
        return self._saved_run[i]

    @property
    def config(self):
        return self._config if self._config is not None else self._run(0)

    @property
    def data_specs(self):
        return self._data_specs if self._data_specs is not None else self._run(1)

    @property
    def genre(self):
        return self._genre if self._data_specs is not None else self._run(2)

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
        made it (``mguv.data.prepare.prepare_data``; parsing is cached). With ``data_specs`` but no
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
                from mguv.data.prepare import prepare_data

                data, train_idx, val_idx = prepare_data(self.config, self.data_specs, self.cache_dir,
                                                        progress=self.progress, genre=self.genre)
                self._examples = {"all": data.x, "train": data.x[train_idx], "val": data.x[val_idx]}
            else:
                x = self._converter.load(self.data_specs, cache_dir=self.cache_dir, progress=self.progress).x
                self._examples = {"all": x, "train": x, "val": x}
        return self._examples[split]

    def attribute_vector(self, name, data=None, max_examples=MAX_ATTRIBUTE_EXAMPLES):
        """The latent direction of attribute ``name``: float32 [*latent].

        It is mean(mu | top quartile of the attribute) - mean(mu | bottom quartile)
        (``mguv.latent.quartile_difference``), over ``data`` (rolls [n, steps, pitches]) or, by
        default, the run's training examples (at most ``max_examples``, spread evenly). Vectors
        from the model's own data are cached, and their quartile means are kept in
        ``attribute_summaries[name]``.

        Raises:
          UsageError: an audio model, an unknown attribute, a model without an encoder, no data,
            or data where the attribute does not vary.
        """
        self._require_rolls("attribute vectors")
        attrs.check_name(name)
        self._require("encoder", encoder=True)  # before loading any data
        if data is None and name in self._vectors:
            return self._vectors[name].copy()
        own = data is None
        rolls = np.asarray(self.examples("train") if own else data)
        if max_examples and len(rolls) > max_examples:
            from mguv.metrics_eval import spread_indices

            rolls = rolls[spread_indices(len(rolls), max_examples)]
        values = self.attributes(name, rolls)
        vector, high, low = latent.quartile_difference(self.encode(rolls), values)
        if own:
            self._vectors[name] = vector
            self.attribute_summaries[name] = {"top_quartile": high, "bottom_quartile": low,
                                              "examples": int(np.isfinite(values).sum())}
        return vector.copy()

    def attribute_shift(self, amounts):
        """The latent shift for {attribute: k}: the sum of k * attribute_vector(attribute), [*latent]."""
        self._require("latent space to shift")
        shift = np.zeros(self.latent_shape, np.float32)
        for name, k in dict(amounts).items():
            shift += np.float32(k) * self.attribute_vector(name).reshape(self.latent_shape)
        return shift
