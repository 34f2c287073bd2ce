"""Timing, memory and machine helpers shared by the ``benchmarks/perf_*.py`` sections.

A row is one measurement: the median of its repeats, the spread (min and max of the repeats, or
the interquartile range of per-step times), and, when it has one, the ratio to a reference row
measured in the same run. Rates are medians of per-repeat rates.
"""

import multiprocessing
import os
import platform
import resource
import time

import numpy as np


def timed(fn):
    """(seconds of wall-clock time, fn())."""
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def row(name, values, unit, spread="min-max", reference=None, note=None):
    """A result row from per-repeat values (already in ``unit``, e.g. files/s).

    ``spread`` is "min-max" (for a few repeats) or "iqr" (interquartile range, for per-step times).
    """
    v = np.asarray(values, np.float64)
    lo, hi = (np.min(v), np.max(v)) if spread == "min-max" else np.percentile(v, [25, 75])
    out = {"name": name, "value": float(np.median(v)), "unit": unit, "spread": [float(lo), float(hi)],
           "spread_kind": spread, "repeats": int(len(v)), "values": [float(x) for x in v]}
    if reference is not None:
        out["reference"] = reference["name"]
        out["ratio"] = out["value"] / reference["value"] if reference["value"] else None
    if note:
        out["note"] = note
    return out


def peak_rss_mb():
    """Peak resident set size of this process so far, in MB (10^6 bytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def children_peak_rss_mb():
    """Largest peak RSS of any finished child process (e.g. a parser worker), in MB."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024 / 1e6


def load():
    """The 1, 5 and 15-minute load averages (runnable processes; 2 means both cores busy)."""
    return [round(x, 2) for x in os.getloadavg()]


def folder_mb(path):
    """The size of every file under ``path``, in MB (1e6 bytes)."""
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs) / 1e6


def machine():
    """What the numbers were measured on."""
    model = platform.processor()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        with open("/proc/meminfo") as f:
            mem = int(f.readline().split()[1]) * 1024 / 1e9
    except (OSError, ValueError, IndexError):
        mem = None
    return {"cpu": model, "cores": os.cpu_count(), "memory_gb": round(mem, 1) if mem else None,
            "python": platform.python_version(), "platform": platform.platform()}


def _burn(n):
    s = 0
    for i in range(n):
        s += i * i
    return s


def parallel_ceiling(workers=2, n=3_000_000, repeats=3):
    """The speed-up two processes get on pure-Python work right now: the best a parallel parse
    could do on this machine at this load (1.0 when other jobs hold the other core).

    Returns (ratio, serial seconds, parallel seconds), medians over ``repeats``.
    """
    ctx = multiprocessing.get_context("spawn")
    serial, parallel = [], []
    with ctx.Pool(workers) as pool:
        pool.map(_burn, [1000] * workers)  # started and warm: only the work is timed
        for _ in range(repeats):
            serial.append(timed(lambda: [_burn(n) for _ in range(workers)])[0])
            parallel.append(timed(lambda: pool.map(_burn, [n] * workers, chunksize=1))[0])
    s, p = float(np.median(serial)), float(np.median(parallel))
    return s / p, s, p


def matmul_gflops(size=1024, repeats=5, gflop=20):
    """fp32 matmul GFLOP/s TensorFlow reaches here: [size, size] @ [size, size], ``repeats`` rates of
    about ``gflop`` GFLOP each."""
    import tensorflow as tf

    a = tf.random.normal([size, size])
    b = tf.random.normal([size, size])
    f = tf.function(lambda a, b: tf.matmul(a, b))
    f(a, b).numpy()
    per_call = 2 * size ** 3
    inner = max(1, int(gflop * 1e9 // per_call))
    rates = []
    for _ in range(repeats):
        seconds, _ = timed(lambda: [f(a, b) for _ in range(inner)][-1].numpy())
        rates.append(per_call * inner / seconds / 1e9)
    return rates
