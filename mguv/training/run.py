"""Train a config on a corpus into a run folder (laid out in ``mguv.run_dir``).

Training only fits: the data comes from ``mguv.data.prepare``, the run folder's files from
``mguv.run_dir``, the figures and samples from ``mguv.reporting``, the SavedModel from
``mguv.export``; what a family offers (which metric picks the best epoch, a second stage) the
model says itself (``mguv.models.base.MusicModel``).
"""

import math
import os
import shutil
import sys
import time

from mguv.cli import log
from mguv.data.converters import converter_for
from mguv.data.prepare import prepare_data
from mguv.errors import RunFailed, UsageError
from mguv.io import atomic_path, unwritable_parent, write_json
from mguv.run_dir import RunPaths, clear_run, config_differences, write_run_files


def _check_out(paths, overwrite, config, data_specs):
    """Checks ``--out`` before anything is loaded or removed; returns True when the run resumes (an
    interrupted run of the same settings, and no ``--overwrite``). Nothing is deleted here: an
    ``--overwrite`` clears the old run only when the new one is about to start."""
    if os.path.exists(paths.root) and not os.path.isdir(paths.root):
        raise UsageError(f"--out {paths.root} exists and is not a folder")
    blocked = unwritable_parent(paths.root)
    if blocked:
        raise UsageError(f"--out {paths.root}: {blocked} is not a writable folder")
    resuming = os.path.isdir(paths.backup) and not overwrite
    if os.path.exists(paths.model) and not resuming and not overwrite:
        raise UsageError(f"--out {paths.root} already holds a trained model; choose another "
                         "--out or pass --overwrite")
    if resuming:
        changed = config_differences(paths.root, config, data_specs)
        if changed:
            shown = "; ".join(changed[:6]) + (f"; and {len(changed) - 6} more" if len(changed) > 6 else "")
            raise UsageError(f"--out {paths.root} is an interrupted run with other settings ({shown}); rerun "
                             "with its settings to resume it, or pass --overwrite to start over")
    return resuming


def _finite(model):
    """True when every weight of ``model`` is finite."""
    import numpy as np

    return all(np.isfinite(np.asarray(w)).all() for w in model.weights)


def _worker_dir(out):
    """Where a non-chief worker keeps its own files (backups for resuming): outside the run
    directory, at a path that is the same on a rerun (so it resumes) but private to this user (in
    the mguv cache folder, mode 0700), not a predictable name in a shared /tmp."""
    import hashlib

    from mguv.data.cache import default_cache_dir
    from mguv.training.distribute import task

    digest = hashlib.sha1(os.path.abspath(out).encode()).hexdigest()[:12]
    kind, index = task()
    workers = os.path.join(default_cache_dir(), "workers")
    os.makedirs(workers, mode=0o700, exist_ok=True)
    os.chmod(workers, 0o700)
    return os.path.join(workers, f"{digest}-{kind}-{index}")


def _diverged(model, paths, epochs):
    """Ends a run whose loss or weights went non-finite: nothing non-finite is exported, the backup
    of the diverged state is dropped (a rerun must not resume from it), and the best checkpoint is
    kept; the model is restored from it when there is one. Raises ``RunFailed``."""
    from mguv.training.callbacks import BestWeights

    shutil.rmtree(paths.backup, ignore_errors=True)
    where = f"in epoch {max(epochs, 1)}"
    advice = "lower the learning rate (--set learning_rate=...) and rerun with --overwrite"
    if os.path.exists(paths.best_weights):
        model.load_weights(paths.best_weights)
        record = BestWeights.read_record(paths.best_record) or {}
        if _finite(model):
            raise RunFailed(f"training diverged {where} (non-finite loss); nothing exported; the last good "
                            f"checkpoint {paths.best_weights} (epoch {record.get('epoch', '?')}) is kept and "
                            f"was restored into the model; {advice}")
    raise RunFailed(f"training diverged {where} (non-finite loss) before any good checkpoint; nothing "
                    f"exported; {advice}")


def _load_init(model, init):
    """Loads the weights of the run folder ``init`` into ``model``: its model.keras, or the
    SavedModel of a shipped model (``mguv.pretrained``). A model of other shapes is a
    ``UsageError``."""
    from mguv.errors import first_line
    from mguv.export import restore_weights
    from mguv.run_dir import RunPaths, saved_model_dir

    import warnings

    paths = RunPaths(init)
    try:
        with warnings.catch_warnings():  # the uncompiled model takes no optimizer state, by design
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            if os.path.exists(paths.model):
                model.load_weights(paths.model)
            else:
                restore_weights(model, saved_model_dir(init))
    except Exception as err:  # Keras raises ValueError, KeyError, ... for weights of other shapes
        raise UsageError(f"--init {init}: its weights cannot be loaded into this model (other model sizes, "
                         f"or a damaged folder): {first_line(err)[:200]}") from None
    log(f"starting from the weights of {init}")


def _first_batch(n, batch_size, replicas):
    """The batch size to use for ``n`` examples: ``batch_size``, unless the data is smaller and
    several replicas would get a first batch of unequal parts (Keras builds distributed models from
    the first batch and cannot), in which case the largest multiple of ``replicas`` that fits."""
    if replicas <= 1 or n >= batch_size:
        return batch_size
    return max(replicas, n - n % replicas)


def train(config, data_specs, out, overwrite=False, cache_dir=None, workers=None, num_samples=8,
          verbose=None, progress=True, callbacks=(), genre=None, strategy=None, prior_callbacks=None, init=None):
    """Trains ``config`` on ``data_specs`` into ``out``; rerunning an interrupted run resumes it.

    ``data_specs`` may be empty for the mode's built-in corpus (Bach chorales; rendered to audio in
    audio mode); ``genre`` filters a GTZAN-style audio folder.

    Args:
      verbose: Keras fit verbosity; None = a progress bar on a terminal, one line per epoch otherwise.
      callbacks: extra Keras callbacks (e.g. from a notebook), run after the standard ones.
      prior_callbacks: extra callbacks of stage two of a two-stage family (vq_vae's code prior);
        None = ``callbacks`` again.
      init: a finished run folder (or a shipped model's, ``mguv.pretrained.path``) whose weights
        (model.keras, or the SavedModel of a shipped model) the model starts from, with a fresh
        optimizer (fine-tuning); the model must have the same shapes. A resumed run continues
        from its own last epoch instead.
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
    data_specs = list(data_specs)
    if num_samples < 0:
        raise UsageError(f"--samples {num_samples}: must be 0 or more")
    # A non-chief worker's folder holds only its own backups: it resumes whatever its chief does.
    resuming = _check_out(paths, overwrite and chief, config, data_specs) if chief else os.path.isdir(paths.backup)
    rep, t = config.representation, config.train

    import keras
    import tensorflow as tf

    strategy = strategy or tf.distribute.get_strategy()
    replicas = strategy.num_replicas_in_sync
    keras.utils.set_random_seed(t.seed)
    with strategy.scope():  # first, so a bad model setting fails before the data is loaded
        model = config.build_model()
    if init:  # the weights only, before compile: fine-tuning starts a fresh optimizer at its own rate
        _load_init(model, init)
    with strategy.scope():
        model.compile(optimizer=config.train.build_optimizer(), jit_compile=t.jit_compile)
    converter = converter_for(rep)
    segments, train_idx, val_idx = prepare_data(config, data_specs, cache_dir, workers, progress, genre)
    log(converter.describe(segments.report))
    log(f"  split by {t.split}: {len(train_idx)} train / {len(val_idx)} validation examples")

    from mguv.export import export_saved_model
    from mguv.reporting import write_run_report
    from mguv.training.callbacks import BestWeights, LivePlots

    if chief and not resuming and os.path.isdir(paths.root):
        clear_run(paths)  # everything checked: an --overwrite (or an unfinished, untrained folder) starts clean
    for d in (paths.root, paths.plots, paths.samples, os.path.dirname(paths.best_weights)):
        os.makedirs(d, exist_ok=True)
    write_run_files(paths, config, data_specs, genre, segments, train_idx, val_idx)

    # batch_size is the global batch; each of the N replicas gets batch_size / N.
    train_ds = converter.dataset(segments.x[train_idx], _first_batch(len(train_idx), t.batch_size, replicas),
                                 shuffle=True, seed=t.seed, transpose=t.transpose, crop_seconds=t.crop_seconds)
    val_ds = converter.dataset(segments.x[val_idx], _first_batch(len(val_idx), t.batch_size, replicas))
    log(f"model {config.name}: {model.count_params():,} parameters"
        + (f"; {replicas} replicas ({type(strategy).__name__})" if replicas > 1 else "")
        + ("; resuming from the last completed epoch" if resuming else ""))
    # A model whose validation loss cannot pick an epoch (a GAN's) says so with monitor = None.
    monitored = [
        BestWeights(paths.best_weights, model.monitor, paths.best_record, resume=resuming),
        keras.callbacks.EarlyStopping(model.monitor, patience=t.early_stopping_patience, mode="min",
                                      restore_best_weights=True),
        keras.callbacks.ReduceLROnPlateau(model.monitor, factor=0.5, patience=t.reduce_lr_patience, mode="min",
                                          min_lr=1e-5),
    ] if model.monitor else []
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
    if not _finite(model) or not all(math.isfinite(v) for v in history.history.get("loss", [0.0])[-1:]):
        _diverged(model, paths, len(history.history.get("loss", [])))
    if os.path.exists(paths.best_weights):
        model.load_weights(paths.best_weights)
    prior_val = {}
    if model.has_prior_stage:  # two stages (vq_vae): fit the prior over the codes
        from mguv.training.prior import train_prior

        prior_val = train_prior(model, config, segments.x[train_idx], segments.x[val_idx], paths,
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
    write_run_report(model, rep, segments.x[val_idx], paths, num_samples, t.seed)
    shutil.rmtree(paths.backup, ignore_errors=True)

    summary = {"chief": True, "replicas": replicas, "segments": len(segments), "train_segments": int(len(train_idx)),
               "val_segments": int(len(val_idx)), "train_seconds": round(train_seconds, 1),
               "epochs_run": len(history.history.get("loss", [])),
               "params": int(model.count_params()), "init": init, "val": {k: float(v) for k, v in val.items()}}
    write_json(paths.summary, summary)
    shown = "".join(f", {k} {val[k]:.3f}" for k in ("f1", "snr_db", "mr_stft", "perplexity", "prior_nll")
                    if k in val)
    log(f"done in {train_seconds:.0f}s: val loss {val['loss']:.2f}{shown}; run in {paths.root}")
    return summary
