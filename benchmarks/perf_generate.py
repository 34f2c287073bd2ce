"""Generation section of ``benchmarks/perf.py``.

Symbolic: 2-bar samples/s of greedy free-running decoding with the LSTM decoder at batch 1 and 256,
these four timed in turns:
  - the reference, a Python loop that calls the decoder one step at a time: ``generate`` run
    eagerly, so its loop calls the LSTM cells and the output layer from Python once per step,
    carrying the state;
  - in-graph: ``LstmDecoder.generate`` inside one ``tf.function``, and the same compiled with XLA;
  - the SavedModel's ``decode``, loaded in this process (warm);
then, for scale, the naive loop that re-runs the teacher-forced decoder over the whole sequence at
every step (``perf_reference.naive_prefix_generate``), and cold starts (``perf_cold.py`` in a fresh
process: Python start, imports, load, first sample, MIDI file written) in turns with and without
``mguv.generate.fast_start``.
The model has its initial (untrained) weights: the cost of decoding does not depend on them.

Audio: output samples per second (kHz) of the conv decoder's ``generate`` (the SavedModel's
``decode``), against real time at the representation's sample rate.
"""

import json
import os
import subprocess
import sys
import time

import numpy as np

from perf_common import folder_mb, peak_rss_mb, row, timed
from perf_reference import naive_prefix_generate

HERE = os.path.dirname(os.path.abspath(__file__))


def _in_turns(methods, batch, repeats):
    """Samples/s of every method (name -> fn returning the decoded batch), ``repeats`` rounds of one
    call each, in turns: a change in machine load hits all of them alike."""
    rates = {name: [] for name in methods}
    for _ in range(repeats):
        for name, fn in methods.items():
            rates[name].append(batch / timed(lambda: np.asarray(fn()))[0])
    return rates


def cold_starts(saved_model, workdir, repeats, baseline=False):
    """Seconds from launching a fresh Python to the first MIDI file written, and its phases.
    ``baseline``: without ``mguv.generate.fast_start``."""
    out = []
    for i in range(repeats):
        midi = os.path.join(workdir, f"cold-{i}{'-baseline' if baseline else ''}.mid")
        launched = time.time()
        done = subprocess.run([sys.executable, os.path.join(HERE, "perf_cold.py"), saved_model, midi]
                              + (["--baseline"] if baseline else []), capture_output=True, text=True, timeout=300)
        if done.returncode != 0 or not os.path.exists(midi):
            raise RuntimeError(f"cold start failed: {done.stderr[-2000:]}")
        stamps = json.loads(done.stdout.strip().splitlines()[-1])
        out.append({"total_s": stamps["written"] - launched,
                    "python_start_s": stamps["start"] - launched,
                    "imports_s": stamps["imported"] - stamps["start"],
                    "load_s": stamps["loaded"] - stamps["imported"],
                    "first_sample_s": stamps["sampled"] - stamps["loaded"],
                    "write_midi_s": stamps["written"] - stamps["sampled"]})
    return out


def _after_imports(run):
    return run["total_s"] - run["python_start_s"] - run["imports_s"]


def symbolic_generation(config_name, workdir, repeats, cold_repeats, naive="all", xla=True, baseline=True):
    """Results of the symbolic generation section. ``naive``: at which batch sizes to run the naive
    loop ("all", "b1" or "none"); ``xla``: also time the decoder compiled with XLA; ``baseline``:
    also time cold starts without ``mguv.generate.fast_start``."""
    import tensorflow as tf

    from mguv import configs
    from mguv.export import export_saved_model

    config = configs.get(config_name)
    model = config.build_model()
    decoder = model.decoder
    path = os.path.join(workdir, "saved_model")
    export_s, _ = timed(lambda: export_saved_model(model, config.representation, path))
    module = tf.saved_model.load(path)
    spec = [tf.TensorSpec([None, model.latent_dim], tf.float32)]
    in_graph = tf.function(lambda z: decoder.generate(z)[1], input_signature=spec)
    fused = tf.function(lambda z: decoder.generate(z)[1], input_signature=spec, jit_compile=True)
    rows, checks, first_call = [], {}, {}
    for batch in (1, 256):
        z = tf.constant(np.random.default_rng(batch).standard_normal((batch, model.latent_dim)), tf.float32)
        methods = {"Python step loop (eager generate)": lambda: decoder.generate(z)[1],
                   "in-graph (tf.function)": lambda: in_graph(z),
                   "SavedModel decode, warm": lambda: module.decode(z)}
        if xla:
            methods["in-graph, XLA"] = lambda: fused(z)
        outputs = {}
        for name, fn in methods.items():  # the first calls trace (and compile)
            first_call[f"b{batch} {name}"], outputs[name] = timed(lambda: np.asarray(fn()))
        graph_roll = outputs["in-graph (tf.function)"]
        checks[f"b{batch} step loop"] = float(np.mean(outputs["Python step loop (eager generate)"] == graph_roll))
        checks[f"b{batch} SavedModel"] = float(np.mean((outputs["SavedModel decode, warm"] > 0.5) == graph_roll))
        if xla:
            checks[f"b{batch} XLA"] = float(np.mean(outputs["in-graph, XLA"] == graph_roll))
        rates = _in_turns(methods, batch, max(repeats, 5) if batch == 256 else max(repeats, 3))
        loop = row(f"b{batch}: Python step loop (eager generate)", rates.pop("Python step loop (eager generate)"),
                   "samples/s")
        timed_rows = {name: row(f"b{batch}: {name}", values, "samples/s", reference=loop)
                      for name, values in rates.items()}
        rows += [loop, *timed_rows.values()]
        if naive == "all" or (naive == "b1" and batch == 1):
            seconds, naive_roll = timed(lambda: naive_prefix_generate(decoder, z))
            slow = row(f"b{batch}: naive loop (teacher-forced decoder over the prefix, every step)",
                       [batch / seconds], "samples/s")
            graph = timed_rows["in-graph (tf.function)"]
            graph["ratio_vs_naive_loop"] = graph["value"] / slow["value"]
            rows.append(slow)
            checks[f"b{batch} naive loop"] = float(np.mean(naive_roll == graph_roll))

    colds, bases = [], []
    for _ in range(cold_repeats):  # in turns with the baseline (no fast_start)
        colds += cold_starts(path, workdir, 1)
        if baseline:
            bases += cold_starts(path, workdir, 1, baseline=True)
    cold_rows = []
    for name, runs in (("SavedModel cold start to the first MIDI file, without fast_start", bases),
                       ("SavedModel cold start to the first MIDI file", colds)):
        if runs:
            r = row(name, [c["total_s"] for c in runs], "s")
            r["phases_median_s"] = {k: float(np.median([c[k] for c in runs])) for k in runs[0]}
            # What mguv controls: everything after the imports, which vary most with the load.
            r["after_imports_s"] = float(np.median([_after_imports(c) for c in runs]))
            cold_rows.append(r)
    cold = cold_rows[-1]
    if bases:
        cold["reference"], cold["ratio"] = cold_rows[0]["name"], cold_rows[0]["value"] / cold["value"]
    size = folder_mb(path)
    by_name = {r["name"]: r for r in rows}
    return {
        "config": config_name, "rows": rows + cold_rows, "checks": checks,
        "first_call_s": {k: round(v, 3) for k, v in first_call.items()},
        "export_s": round(export_s, 2), "saved_model_mb": round(size, 2), "cold_starts": colds,
        "b256_in_graph": by_name["b256: in-graph (tf.function)"]["value"],
        "b256_vs_step_loop": by_name["b256: in-graph (tf.function)"]["ratio"],
        "cold_start_s": cold["value"], "cold_start_gain": cold.get("ratio"),
        "after_imports_gain": float(np.median([_after_imports(b) / _after_imports(c)  # per pair of neighbours
                                               for b, c in zip(bases, colds)])) if bases else None,
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def audio_generation(config_name, repeats):
    """Results of the audio decode section."""
    import tensorflow as tf

    from mguv import configs

    config = configs.get(config_name)
    rep = config.representation
    model = config.build_model()
    decode = tf.function(lambda z: model.decoder.generate(z)[0])
    rows, first_call = [], {}
    for batch in (1, 8):
        z = tf.random.normal((batch,) + tuple(model.latent_shape), seed=batch)
        first_call[f"b{batch}"], wave = timed(lambda: decode(z).numpy())
        samples = batch * wave.shape[1]
        r = row(f"b{batch}: decode", [samples / timed(lambda: decode(z).numpy())[0] / 1e3
                                      for _ in range(max(repeats, 5))], "kHz")
        r["x_real_time"] = r["value"] * 1e3 / rep.sample_rate
        rows.append(r)
    best = max(rows, key=lambda r: r["value"])
    return {"config": config_name, "sample_rate": rep.sample_rate, "rows": rows,
            "first_call_s": {k: round(v, 3) for k, v in first_call.items()},
            "best_khz": best["value"], "best_batch": best["name"].split(":")[0],
            "x_real_time": best["x_real_time"], "peak_rss_mb": round(peak_rss_mb(), 1)}
