"""Train a config on a corpus into a run directory.

RUN/
  config.json          resolved config + data specs
  representation.json  the representation (generation reads it back)
  data.json            corpus report: per-source segments, skipped files, split
  checkpoints/best.weights.h5, backup/ (BackupAndRestore; removed when a run completes)
  model.keras          the best weights, full model
  history.csv, logs/   CSVLogger, TensorBoard
  plots/               loss.png, reconstructions.png, samples.png (piano-rolls or waveforms)
  samples/             prior samples (*.mid or *.wav)
  saved_model/         TF SavedModel (see mguv.export)
  prior/               two-stage families (vq_vae): the code prior's history.csv, checkpoints and
                       model.keras (model.keras and saved_model/ above hold both stages)
"""

import dataclasses
import json
import os
import shutil
import sys
import time

import numpy as np

from mguv.data.converters import converter_for
from mguv.data.split import train_val_indices
from mguv.errors import UsageError
from mguv.io import atomic_path, write_json


@dataclasses.dataclass(frozen=True)
class RunPaths:
    """Every path inside a run directory."""

    root: str

    @property
    def config(self):
        return os.path.join(self.root, "config.json")

    @property
    def representation(self):
        return os.path.join(self.root, "representation.json")

    @property
    def data(self):
        return os.path.join(self.root, "data.json")

    @property
    def best_weights(self):
        return os.path.join(self.root, "checkpoints", "best.weights.h5")

    @property
    def backup(self):
        return os.path.join(self.root, "backup")

    @property
    def model(self):
        return os.path.join(self.root, "model.keras")

    @property
    def history(self):
        return os.path.join(self.root, "history.csv")

    @property
    def logs(self):
        return os.path.join(self.root, "logs")

    @property
    def plots(self):
        return os.path.join(self.root, "plots")

    @property
    def samples(self):
        return os.path.join(self.root, "samples")

    @property
    def saved_model(self):
        return os.path.join(self.root, "saved_model")


def read_run_config(run_dir):
    """(config, data specs, genre) from ``RUN/config.json``; an unreadable file is a ``UsageError``."""
    from mguv import configs

    path = RunPaths(os.fspath(run_dir)).config
    try:
        with open(path) as f:
            saved = json.load(f)
        config = configs.from_dict(saved["config"])
        return config, [str(s) for s in saved.get("data", [])], saved.get("genre")
    except (OSError, ValueError, KeyError, TypeError) as err:
        text = str(err).strip() or type(err).__name__
        raise UsageError(f"{path} is unreadable: {text.splitlines()[0]}") from None


def log(message):
    print(message, file=sys.stderr, flush=True)


def prepare_data(config, data_specs, cache_dir=None, workers=None, progress=True, genre=None):
    """Loads the corpus with the config's converter and splits it.

    Returns (data, train_idx, val_idx); ``data.x`` holds every example ([n, *representation.shape]).
    """
    t = config.train
    segments = converter_for(config.representation).load(data_specs, cache_dir=cache_dir, workers=workers,
                                                          progress=progress, genre=genre)
    train_idx, val_idx = train_val_indices(segments, t.val_fraction, t.split, t.seed)
    if len(val_idx) == 0 or len(train_idx) == 0:
        if t.split == "file":
            log("  only one usable file: splitting by example instead of by file")
            train_idx, val_idx = train_val_indices(segments, t.val_fraction, "segment", t.seed)
        if len(val_idx) == 0 or len(train_idx) == 0:
            raise UsageError(f"--data {' '.join(data_specs) or '(default)'}: {len(segments)} example(s) "
                             "is too few to hold out a validation split")
    return segments, train_idx, val_idx


def _check_out(paths, overwrite):
    resuming = os.path.isdir(paths.backup)
    if os.path.exists(paths.model) and not resuming:
        if not overwrite:
            raise UsageError(f"--out {paths.root} already holds a trained model; choose another "
                             "--out or pass --overwrite")
        for p in (paths.history, paths.best_weights):
            if os.path.exists(p):
                os.remove(p)
    if os.path.exists(paths.root) and not os.path.isdir(paths.root):
        raise UsageError(f"--out {paths.root} exists and is not a folder")
    return resuming


def _worker_dir(out):
    """Where a non-chief worker keeps its own files (backups for resuming): outside the run directory."""
    import hashlib
    import tempfile

    from mguv.training.distribute import task

    digest = hashlib.sha1(os.path.abspath(out).encode()).hexdigest()[:12]
    kind, index = task()
    return os.path.join(tempfile.gettempdir(), "mguv-workers", f"{digest}-{kind}-{index}")


def _first_batch(n, batch_size, replicas):
    """The batch size to use for ``n`` examples: ``batch_size``, unless the data is smaller and
    several replicas would get a first batch of unequal parts (Keras builds distributed models from
    the first batch and cannot), in which case the largest multiple of ``replicas`` that fits."""
    if replicas <= 1 or n >= batch_size:
        return batch_size
    return max(replicas, n - n % replicas)


def train(config, data_specs, out, overwrite=False, cache_dir=None, workers=None, num_samples=8,
          verbose=None, progress=True, callbacks=(), genre=None, strategy=None, prior_callbacks=None):
    """Trains ``config`` on ``data_specs`` into ``out``; rerunning an interrupted run resumes it.

    ``data_specs`` may be empty for the mode's built-in corpus (Bach chorales; rendered to audio in
    audio mode); ``genre`` filters a GTZAN-style audio folder.

    Args:
      verbose: Keras fit verbosity; None = a progress bar on a terminal, one line per epoch otherwise.
      callbacks: extra Keras callbacks (e.g. from a notebook), run after the standard ones.
      prior_callbacks: extra callbacks of stage two of a two-stage family (vq_vae's code prior);
        None = ``callbacks`` again.
      strategy: a ``tf.distribute.Strategy`` (see ``mguv.training.distribute``); None = default.
        Under several workers only the chief writes ``out``; the others keep their checkpoints
        in a temporary folder of their own.

    Returns a summary dict (segments, train seconds, final validation metrics).
    """
    if verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2
    from mguv.training.distribute import is_chief

    chief = is_chief()
    paths = RunPaths(out if chief else _worker_dir(out))
    resuming = _check_out(paths, overwrite or not chief)
    rep, t = config.representation, config.train
    data_specs = list(data_specs)
    converter = converter_for(rep)
    segments, train_idx, val_idx = prepare_data(config, data_specs, cache_dir, workers, progress, genre)
    log(converter.describe(segments.report))
    log(f"  split by {t.split}: {len(train_idx)} train / {len(val_idx)} validation examples")

    import keras

    from mguv.export import export_saved_model
    from mguv.models.factory import build_model, build_optimizer
    from mguv.training.callbacks import BestWeights, LivePlots

    for d in (paths.root, paths.plots, paths.samples, os.path.dirname(paths.best_weights)):
        os.makedirs(d, exist_ok=True)
    write_json(paths.config, {"config": config.to_dict(), "data": data_specs, "genre": genre})
    with atomic_path(paths.representation) as tmp:
        with open(tmp, "w") as f:
            f.write(rep.to_json())
    val_files = sorted({segments.files[i] for i in np.unique(segments.file_id[val_idx])})
    write_json(paths.data, {**segments.report, "split": {
        "by": t.split, "seed": t.seed, "train_segments": int(len(train_idx)),
        "val_segments": int(len(val_idx)), "val_files": [f"{s}/{n}" for s, n in val_files]}})

    import tensorflow as tf

    strategy = strategy or tf.distribute.get_strategy()
    replicas = strategy.num_replicas_in_sync
    keras.utils.set_random_seed(t.seed)
    # batch_size is the global batch; each of the N replicas gets batch_size / N.
    train_ds = converter.dataset(segments.x[train_idx], _first_batch(len(train_idx), t.batch_size, replicas),
                                 shuffle=True, seed=t.seed, transpose=t.transpose)
    val_ds = converter.dataset(segments.x[val_idx], _first_batch(len(val_idx), t.batch_size, replicas))
    with strategy.scope():
        model = build_model(config)
        model.compile(optimizer=build_optimizer(t), jit_compile=t.jit_compile)
    log(f"model {config.name}: {model.count_params():,} parameters"
        + (f"; {replicas} replicas ({type(strategy).__name__})" if replicas > 1 else "")
        + ("; resuming from the last completed epoch" if resuming else ""))
    # A model whose validation loss cannot pick an epoch (a GAN's) says so with monitor = None.
    monitored = [
        BestWeights(paths.best_weights),
        keras.callbacks.EarlyStopping(patience=t.early_stopping_patience, restore_best_weights=True),
        keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=t.reduce_lr_patience, min_lr=1e-5),
    ] if getattr(model, "monitor", "val_loss") else []
    standard = [
        keras.callbacks.BackupAndRestore(paths.backup, double_checkpoint=True),
        *monitored,
        keras.callbacks.CSVLogger(paths.history, append=True),
        keras.callbacks.TensorBoard(paths.logs),
        keras.callbacks.TerminateOnNaN(),
        LivePlots(paths.history, os.path.join(paths.plots, "loss.png")),
        *callbacks,
    ]
    start = time.time()
    try:
        history = model.fit(train_ds, validation_data=val_ds, epochs=t.epochs, callbacks=standard, shuffle=False,
                            verbose=verbose)
    except KeyboardInterrupt:
        log(f"interrupted: rerun the same command to resume {paths.root} from its last completed epoch")
        raise
    if model.stop_training and not history.history:
        raise UsageError("training stopped before the first epoch finished (NaN loss?)")
    if os.path.exists(paths.best_weights):
        model.load_weights(paths.best_weights)
    prior_val = {}
    if getattr(model, "prior", None) is not None:  # two stages (vq_vae): fit the prior over the codes
        from mguv.training.prior import train_prior

        prior_val = train_prior(model, config, segments.x[train_idx], segments.x[val_idx], paths.root,
                                strategy, callbacks if prior_callbacks is None else prior_callbacks, verbose)
    train_seconds = time.time() - start  # both stages

    val = {**model.evaluate(val_ds, verbose=0, return_dict=True), **prior_val}  # every worker takes part
    if not chief:
        shutil.rmtree(paths.root, ignore_errors=True)
        log("done (worker): the chief writes the run directory")
        return {"chief": False, "val": {k: float(v) for k, v in val.items()}}
    with atomic_path(paths.model) as tmp:
        model.save(tmp)
    export_saved_model(model, rep, paths.saved_model)
    _write_figures_and_samples(model, converter, segments.x[val_idx], paths, num_samples, t.seed)
    shutil.rmtree(paths.backup, ignore_errors=True)

    summary = {"chief": True, "replicas": replicas, "segments": len(segments), "train_segments": int(len(train_idx)),
               "val_segments": int(len(val_idx)), "train_seconds": round(train_seconds, 1),
               "epochs_run": len(history.history.get("loss", [])),
               "params": int(model.count_params()), "val": {k: float(v) for k, v in val.items()}}
    write_json(os.path.join(paths.root, "summary.json"), summary)
    shown = "".join(f", {k} {val[k]:.3f}" for k in ("f1", "snr_db", "mr_stft", "perplexity", "prior_nll")
                    if k in val)
    log(f"done in {train_seconds:.0f}s: val loss {val['loss']:.2f}{shown}; run in {paths.root}")
    return summary


def _write_figures_and_samples(model, converter, val_x, paths, num_samples, seed):
    """Reconstructions of four validation examples (for a model that reconstructs), and prior
    samples as files + a figure."""
    from mguv import plots

    plots.loss_curves(plots.read_history(paths.history), os.path.join(paths.plots, "loss.png"))
    x = np.asarray(val_x[:4], np.float32)
    pairs = _reconstructions(model, x)
    if pairs is not None:
        teacher, free = (np.asarray(p) for p in pairs)
        examples, titles = [], []
        names = getattr(model, "reconstruction_titles", converter.reconstruction_titles)
        for i in range(len(x)):
            examples += [x[i], teacher[i], free[i]]
            titles += [f"{names[0]} {i}", names[1], names[2]]
        converter.plot_examples(examples, os.path.join(paths.plots, "reconstructions.png"), titles, cols=3)

    samples = _prior_samples(model, converter.rep, num_samples, seed)
    for i, example in enumerate(samples):
        converter.write(example, os.path.join(paths.samples, f"sample_{i:02d}{converter.extension}"))
    converter.plot_examples(samples, os.path.join(paths.plots, "samples.png"),
                            [f"sample {i}" for i in range(len(samples))])


def _reconstructions(model, x):
    """(teacher-forced, free-running) predictions [n, *example] for x, or None for a model that
    does not reconstruct (a GAN). VAEs decode the posterior mean; other families say what they
    show through ``reconstructions`` and ``reconstruction_titles``."""
    from mguv.models.vae import VAE

    if not isinstance(model, VAE):
        return model.reconstructions(x) if hasattr(model, "reconstructions") else None
    teacher = model.decoder.prediction(model(x, training=False))
    mean, _ = model.encode(x)
    _, free = model.decoder.generate(mean)
    return teacher, free


def _prior_samples(model, rep, num, seed):
    """``num`` samples at temperature 1 -> numpy [num, *example]: from z ~ N(0, I) for the families
    with a latent, from the model's own ``sample`` for the others."""
    from mguv.models.vae import VAE

    if getattr(model, "sample_input", "z") == "num":
        return np.asarray(model.sample(num, 1.0, [seed, 0])[1])
    generator = model.decoder if isinstance(model, VAE) else model
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((num,) + tuple(model.latent_shape)).astype("float32")
    noise = rng.random((num,) + rep.shape).astype("float32")
    _, samples = generator.generate(z, noise=noise, temperature=1.0)
    return np.asarray(samples)
