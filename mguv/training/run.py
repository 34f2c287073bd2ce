"""Train a config on a corpus into a run folder (laid out in ``mguv.run_dir``).

Training only fits: the data comes from ``mguv.data.prepare``, the run folder's files from
``mguv.run_dir``, the figures and samples from ``mguv.reporting``, the SavedModel from
``mguv.export``; what a family offers (which metric picks the best epoch, a second stage) the
model says itself (``mguv.models.base.MusicModel``).
"""

import os
import shutil
import sys
import time

from mguv.cli import log
from mguv.data.converters import converter_for
from mguv.data.prepare import prepare_data
from mguv.errors import UsageError
from mguv.io import atomic_path, write_json
from mguv.run_dir import RunPaths, write_run_files


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
    from mguv.reporting import write_run_report
    from mguv.training.callbacks import BestWeights, LivePlots

    for d in (paths.root, paths.plots, paths.samples, os.path.dirname(paths.best_weights)):
        os.makedirs(d, exist_ok=True)
    write_run_files(paths, config, data_specs, genre, segments, train_idx, val_idx)

    import tensorflow as tf

    strategy = strategy or tf.distribute.get_strategy()
    replicas = strategy.num_replicas_in_sync
    keras.utils.set_random_seed(t.seed)
    # batch_size is the global batch; each of the N replicas gets batch_size / N.
    train_ds = converter.dataset(segments.x[train_idx], _first_batch(len(train_idx), t.batch_size, replicas),
                                 shuffle=True, seed=t.seed, transpose=t.transpose)
    val_ds = converter.dataset(segments.x[val_idx], _first_batch(len(val_idx), t.batch_size, replicas))
    with strategy.scope():
        model = config.build_model()
        model.compile(optimizer=config.train.build_optimizer(), jit_compile=t.jit_compile)
    log(f"model {config.name}: {model.count_params():,} parameters"
        + (f"; {replicas} replicas ({type(strategy).__name__})" if replicas > 1 else "")
        + ("; resuming from the last completed epoch" if resuming else ""))
    # A model whose validation loss cannot pick an epoch (a GAN's) says so with monitor = None.
    monitored = [
        BestWeights(paths.best_weights, model.monitor),
        keras.callbacks.EarlyStopping(model.monitor, patience=t.early_stopping_patience, restore_best_weights=True),
        keras.callbacks.ReduceLROnPlateau(model.monitor, factor=0.5, patience=t.reduce_lr_patience, min_lr=1e-5),
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
    if model.stop_training and not history.history:
        raise UsageError("training stopped before the first epoch finished (NaN loss?)")
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
               "params": int(model.count_params()), "val": {k: float(v) for k, v in val.items()}}
    write_json(paths.summary, summary)
    shown = "".join(f", {k} {val[k]:.3f}" for k in ("f1", "snr_db", "mr_stft", "perplexity", "prior_nll")
                    if k in val)
    log(f"done in {train_seconds:.0f}s: val loss {val['loss']:.2f}{shown}; run in {paths.root}")
    return summary
