"""Training-throughput section of ``benchmarks/perf.py``.

For one config, every variant starts from the same weights and trains on the same batches in the
same order: the plain reference (``perf_reference``: functional model, ``compile``/``fit`` on numpy
arrays) and mguv's own training path (``config.build_model()`` + ``config.train.build_optimizer()``
+ the converter's tf.data pipeline + ``fit``), as shipped and with the options being measured (XLA,
an unrolled LSTM loop). They train in turns, a chunk of steps each, so a change in machine load hits
all of them alike. Throughput is the batch size over the median step time (first step, which traces
or compiles, left out). After the last step one judge (an mguv model with the optimizer step set to
the same value, so the noise and beta match) scores every variant's weights on the same validation
batches.
"""

import math
import os
import time

import keras
import numpy as np

from perf_common import matmul_gflops, peak_rss_mb, row
from perf_ingest import link_folder, nottingham_files, synth_audio
from perf_reference import (BetaWarmup, conv_losses, copy_weights, lstm_losses, plain_conv_vae,
                            plain_lstm_vae)


class StepTimer(keras.callbacks.Callback):
    """Wall-clock seconds of every training step (batch begin to batch end)."""

    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_train_batch_begin(self, batch, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def symbolic_data(config, data_dir, workdir, cache_dir, n_train, n_val, limit=None):
    """(x_train [n_train, steps, pitches], x_val, description): Nottingham segments split by file
    (the training default), in a fixed shuffled order; random rolls when there is no data."""
    from mguv.data.corpus import load_segments
    from mguv.data.split import train_val_indices

    rng = np.random.default_rng(0)
    files = nottingham_files(data_dir, limit) if data_dir else []
    if not files:
        x = rng.random((n_train + n_val,) + config.representation.shape) < 0.05
        return x[:n_train], x[n_train:], "random rolls (5% of cells on): no Nottingham data"
    folder = os.path.join(workdir, "train-nottingham")
    if not os.path.isdir(folder):
        link_folder(files, folder)
    segments = load_segments([folder], config.representation, cache_dir=cache_dir, progress=False)
    train, val = train_val_indices(segments, config.train.val_fraction, "file", config.train.seed)
    train = rng.permutation(train)
    return (np.resize(segments.x[train], (n_train,) + segments.x.shape[1:]), segments.x[val[:n_val]],
            f"Nottingham, {len(files)} files: {len(train)} train / {len(val)} validation segments (by file)")


def audio_data(config, n_train, n_val):
    """Synthetic 3 kHz clips (``perf_ingest.synth_audio``, peak-normalized) [n, samples, 1]."""
    rep = config.representation
    clips = [synth_audio(rep.clip_seconds, rep.sample_rate, seed=1000 + i)[:rep.clip_samples]
             for i in range(n_train + n_val)]
    x = np.stack([c * (0.95 / np.max(np.abs(c))) for c in clips])[..., None].astype(np.float32)
    return x[:n_train], x[n_train:], f"synthetic harmonic notes, {rep.clip_seconds:g} s at {rep.sample_rate} Hz"


def training_flops(plain, batch):
    """Matmul/convolution FLOPs of one training step, counted from the plain model's layers:
    3 x the forward pass (the backward pass costs about twice the forward); elementwise ops and the
    STFTs are left out. LSTMs: 2 (in + units) 4 units per step per example."""
    steps = plain.inputs[0].shape[1]

    def lstm(layer):
        kernel, recurrent = layer.cell.kernel.shape, layer.cell.recurrent_kernel.shape
        return 2 * steps * (kernel[0] + recurrent[0]) * kernel[1]

    forward = 0
    for layer in plain.layers:
        if isinstance(layer, keras.layers.Bidirectional):
            forward += lstm(layer.forward_layer) + lstm(layer.backward_layer)
        elif isinstance(layer, keras.layers.LSTM):
            forward += lstm(layer)
        elif isinstance(layer, keras.layers.Conv1DTranspose):
            k, out_ch, in_ch = layer.kernel.shape
            forward += 2 * k * in_ch * out_ch * layer.output.shape[1] // layer.strides[0]
        elif isinstance(layer, keras.layers.Conv1D):
            k, in_ch, out_ch = layer.kernel.shape
            forward += 2 * k * in_ch * out_ch * layer.output.shape[1]
        elif isinstance(layer, keras.layers.Dense):
            positions = math.prod(layer.output.shape[1:-1])
            forward += 2 * layer.kernel.shape[0] * layer.kernel.shape[1] * positions
    return 3 * forward * batch


def _mguv_model(config, jit, unroll):
    model = config.build_model()
    if unroll:
        for layer in model._flatten_layers():
            if isinstance(layer, keras.layers.LSTM):
                layer.unroll = True
    model.compile(optimizer=config.train.build_optimizer(), jit_compile=jit)
    return model


VARIANTS = {  # name -> (jit_compile, unroll LSTM loops); "plain" is the reference
    "mguv": (None, False),  # as shipped: the config's own jit_compile setting
    "mguv + XLA": (True, False),
    "mguv + unrolled LSTMs": (None, True),
    # Not in the default run: compiling the unrolled loops with XLA took 1.5 to 3 minutes here.
    "mguv + XLA + unrolled LSTMs": (True, True),
}


def train_section(config_name, steps, chunk, variants, data_dir=None, workdir=None, cache_dir=None,
                  n_val=512, limit=None, calibration=(3, 20)):
    """Results of the training section for one config (see the module docstring).

    ``calibration``: (repeats, GFLOP per repeat) of the fp32 matmul measured before and after.
    """
    from mguv import configs
    from mguv.data.converters import converter_for

    config = configs.get(config_name)
    t, rep = config.train, config.representation
    batch = t.batch_size
    if rep.mode == "symbolic":
        x_train, x_val, data = symbolic_data(config, data_dir, workdir, cache_dir, steps * batch, n_val, limit)
        plain, beta, targets = plain_lstm_vae(config)
        losses = lstm_losses(config, beta)
    else:
        x_train, x_val, data = audio_data(config, steps * batch, n_val)
        plain, beta, targets = plain_conv_vae(config)
        losses = conv_losses(beta)
    x_train = x_train.astype(np.float32)
    converter = converter_for(rep)

    peak_before = max(matmul_gflops(repeats=calibration[0], gflop=calibration[1]))
    models = {}
    for name in variants:
        jit, unroll = VARIANTS[name]
        models[name] = _mguv_model(config, t.jit_compile if jit is None else jit, unroll)
    first = next(iter(models.values()))
    start_weights = first.get_weights()
    for m in models.values():
        m.set_weights(start_weights)
    params = {"mguv": int(first.count_params()), "plain": int(plain.count_params()),
              "weights_matched": copy_weights(first, plain, source_is_mguv=True)}
    plain.compile(optimizer=t.build_optimizer(), loss=losses)
    timers = {name: StepTimer() for name in ["plain", *models]}
    beta_cb = BetaWarmup(beta, t.beta, t.beta_warmup_steps)

    def fit(name, xs):
        if name == "plain":
            plain.fit(xs, targets(xs), batch_size=batch, epochs=1, shuffle=False, verbose=0,
                      callbacks=[beta_cb, timers[name]])
        else:
            models[name].fit(converter.dataset(xs, batch), epochs=1, shuffle=False, verbose=0,
                             callbacks=[timers[name]])

    order = list(timers)
    rounds = {name: [] for name in order}  # per variant: the median step time of each turn
    for c, begin in enumerate(range(0, steps * batch, chunk * batch)):
        for name in order[c % len(order):] + order[:c % len(order)]:
            done = len(timers[name].seconds)
            fit(name, x_train[begin:begin + chunk * batch])
            turn = timers[name].seconds[max(done, 1):]  # the very first step traces: left out
            if turn:
                rounds[name].append(float(np.median(turn)))
    peak_after = max(matmul_gflops(repeats=calibration[0], gflop=calibration[1]))

    judge = config.build_model()
    judge.compile(optimizer=t.build_optimizer())
    val_ds = converter.dataset(x_val.astype(np.float32), batch)

    def val_loss(weights_from, at_step):
        if weights_from is plain:
            copy_weights(plain, judge, source_is_mguv=False)
        else:
            judge.set_weights(weights_from if isinstance(weights_from, list) else weights_from.get_weights())
        judge.optimizer.iterations.assign(at_step)
        return float(judge.evaluate(val_ds, verbose=0, return_dict=True)["loss"])

    flops = training_flops(plain, batch)
    peak = max(peak_before, peak_after)
    rows, val = [], {"step 0 (all)": val_loss(start_weights, 0)}
    reference = None
    for name, timer in timers.items():
        per_step = timer.seconds[1:] or timer.seconds
        r = row(f"{config_name}: {'plain reference' if name == 'plain' else name}",
                [batch / s for s in per_step], "segments/s" if rep.mode == "symbolic" else "clips/s",
                spread="iqr", reference=reference)
        r["first_step_s"] = round(timer.seconds[0], 2)
        if name != "plain":  # against the reference's turn next to it: robust to load that comes and goes
            pairs = [p / v for p, v in zip(rounds["plain"][-len(rounds[name]):], rounds[name])]
            r["paired_ratio"] = float(np.median(pairs)) if pairs else None
        r["val_loss"] = val[name] = val_loss(plain if name == "plain" else models[name], steps)
        r["flop_utilisation"] = flops * r["value"] / batch / (peak * 1e9)
        reference = reference or r
        rows.append(r)
    tuned = next(r for r in rows if r["name"].endswith(": mguv"))
    return {
        "config": config_name, "data": data, "batch_size": batch, "steps": steps, "chunk": chunk,
        "params": params, "rows": rows, "val_loss": val, "val_examples": int(len(x_val)),
        "speedup": tuned["ratio"],
        "val_loss_rel_diff": abs(tuned["val_loss"] - rows[0]["val_loss"]) / abs(rows[0]["val_loss"]),
        "flops_per_step": flops, "matmul_gflops": [peak_before, peak_after],
        "flop_utilisation": tuned["flop_utilisation"], "peak_rss_mb": round(peak_rss_mb(), 1),
    }
