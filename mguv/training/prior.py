"""Stage two of a two-stage model: fit the prior over the trained model's codes or latents.

The trained model turns every example into a sequence (``model.encode_all``: the VQ-VAE's code
indices, or a sequence VAE's posterior means); its ``prior`` (a ``CodePrior`` or a
``LatentPrior``) is then trained on them with ``fit()`` and the standard callbacks, in
``RUN/prior/``:

  prior/history.csv, prior/checkpoints/best.weights.h5, prior/backup/ (while it runs),
  prior/model.keras (the prior alone; RUN/model.keras and the SavedModel hold both stages)
"""

import os
import shutil

def train_prior(model, config, train_x, val_x, paths, strategy, callbacks=(), verbose=2):
    """Trains ``model.prior`` on the codes of ``train_x`` (validated on ``val_x``) into
    ``paths.prior`` (``paths``: the run's ``RunPaths``); keeps its best weights. Returns its validation metrics, prefixed ``prior_`` (e.g. ``prior_nll``, nats per
    segment), and ``prior_epochs``, the epochs it ran."""
    import keras
    import tensorflow as tf

    from mguv import plots
    from mguv.cli import log
    from mguv.data.pipeline import with_data_sharding
    from mguv.io import atomic_path
    from mguv.training.callbacks import BestWeights

    m, t = config.model, config.train
    stage = paths.prior
    best, history, backup = stage.best_weights, stage.history, stage.backup
    if not os.path.isdir(backup):  # a fresh stage two (not a resumed one) starts a fresh log
        for path in (history, best):
            if os.path.exists(path):
                os.remove(path)
    os.makedirs(os.path.dirname(best), exist_ok=True)
    train_codes, val_codes = model.encode_all(train_x), model.encode_all(val_x)

    def dataset(codes, shuffle):
        ds = tf.data.Dataset.from_tensor_slices(codes)
        if shuffle:
            ds = ds.shuffle(len(codes), seed=t.seed, reshuffle_each_iteration=True)
        return with_data_sharding(ds.batch(t.batch_size).prefetch(tf.data.AUTOTUNE))

    prior = model.prior
    with strategy.scope():
        prior.compile(optimizer=keras.optimizers.Adam(m.prior_learning_rate, clipnorm=1.0))
    log(f"stage two: the prior ({prior.count_params():,} parameters) on {len(train_codes)} sequences of "
        f"shape {tuple(train_codes.shape[1:])}")
    fitted = prior.fit(dataset(train_codes, True), validation_data=dataset(val_codes, False), epochs=m.prior_epochs,
              verbose=verbose, shuffle=False, callbacks=[
                  keras.callbacks.BackupAndRestore(backup, double_checkpoint=True),
                  BestWeights(best),
                  keras.callbacks.EarlyStopping(patience=t.early_stopping_patience, restore_best_weights=True),
                  keras.callbacks.CSVLogger(history, append=True),
                  keras.callbacks.TerminateOnNaN(),
                  *callbacks,
              ])
    if os.path.exists(best):
        prior.load_weights(best)
    plots.loss_curves(plots.read_history(history), os.path.join(paths.plots, "prior_loss.png"),
                      terms=("loss",))
    shutil.rmtree(backup, ignore_errors=True)
    with atomic_path(stage.model) as tmp:
        prior.save(tmp)
    val = prior.evaluate(dataset(val_codes, False), verbose=0, return_dict=True)
    return {**{f"prior_{k}": float(v) for k, v in val.items()}, "prior_epochs": len(fitted.history.get("loss", []))}
