"""Parse a corpus once, in parallel with a progress bar, and cache the note lists on disk.

The cache is one compressed ``.npz`` per source (no pickle) holding every file's notes and meter,
keyed by the SHA-1 of every file's contents, ``steps_per_beat`` and the parser version. A second
run with the same files reads the cache and parses nothing; editing, adding or removing a file
makes a new key.
"""

import concurrent.futures
import glob
import hashlib
import multiprocessing
import os
import sys
import threading

import numpy as np
from tqdm.auto import tqdm

from mguv.data.parse import PARSER_VERSION, parse_score
from mguv.data.types import Meter, ParsedSource
from mguv.io import atomic_path


def default_cache_dir():
    """``$MGUV_CACHE_DIR``, else ``~/.cache/mguv``."""
    return os.environ.get("MGUV_CACHE_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "mguv")


def content_key(items, fields):
    """A short hex key for a cache file: ``fields`` (a string of the settings that change the
    result) plus every item's name and the SHA-1 of its contents."""
    digest = hashlib.sha1(fields.encode())
    for item in items:
        digest.update(item.name.encode())
        digest.update(hashlib.sha1(item.read()).digest())
    return digest.hexdigest()[:20]


def _cache_key(items, steps_per_beat):
    return content_key(items, f"v{PARSER_VERSION}:spb{steps_per_beat}")


def _parse_job(args):
    return parse_score(*args)


def _start_method():
    """How worker processes start. Forked workers start at once with this process's modules already
    imported, which spawned ones must import again (about 1 s of a 5 s parallel Nottingham parse on
    2 cores). Forking a process that runs other threads (TensorFlow's, a Jupyter kernel's) is unsafe,
    and so is forking on macOS: then workers are spawned. tqdm's idle monitor thread is harmless."""
    from tqdm._monitor import TMonitor

    threads = [t for t in threading.enumerate()
               if t is not threading.main_thread() and not isinstance(t, TMonitor)]
    safe = sys.platform.startswith("linux") and "tensorflow" not in sys.modules and not threads
    return "fork" if safe else "spawn"


def run_jobs(fn, jobs, workers, desc, progress):
    """``[fn(job) for job in jobs]`` on ``workers`` processes, with a tqdm bar on stderr.

    ``fn`` must be a module-level function that does not need TensorFlow: workers are spawned
    when the parent may already hold TensorFlow's threads (``_start_method``).
    """
    bar = tqdm(total=len(jobs), desc=desc, unit="file", disable=not progress, file=sys.stderr)
    results = []
    if workers <= 1 or len(jobs) < 2 * workers:
        for job in jobs:
            results.append(fn(job))
            bar.update()
    else:
        ctx = multiprocessing.get_context(_start_method())
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=ctx) as pool:
            for result in pool.map(fn, jobs, chunksize=max(1, len(jobs) // (workers * 16))):
                results.append(result)
                bar.update()
    bar.close()
    return results


def _parse_all(items, steps_per_beat, workers, desc, progress):
    jobs = [(it.name, it.path, it.data if it.path is None else None, steps_per_beat) for it in items]
    return run_jobs(_parse_job, jobs, workers, desc, progress)


def parse_source(source, steps_per_beat, cache_dir=None, workers=None, progress=True, shard=None):
    """Returns the ``ParsedSource`` for ``source`` (a ``types.Source``), from cache when possible.

    Args:
      source: the files to parse.
      steps_per_beat: grid resolution in steps per quarter note.
      cache_dir: where ``notes-<key>.npz`` lives; None for ``default_cache_dir()``, "" to disable.
      workers: parser processes; None for all cores.
      progress: show a tqdm progress bar on stderr.
      shard: (index, count) to parse only files index, index + count, ... into the shard file
        ``notes-<key>.shard-<index>-of-<count>.npz`` (``python -m mguv.preprocess``). Without it, a
        complete set of shard files is read and merged when there is no whole-source cache.
    """
    cache_dir = default_cache_dir() if cache_dir is None else cache_dir
    key = _cache_key(source.items, steps_per_beat)
    path = os.path.join(cache_dir, f"notes-{key}.npz") if cache_dir else None
    if shard is not None:
        index, count = shard
        path = path and _shard_path(path, index, count)
        positions = list(range(index, len(source.items), count))
    else:
        positions = list(range(len(source.items)))
    if path and os.path.exists(path):
        try:
            return _load([path], source.label)
        except (OSError, ValueError, KeyError):
            pass  # A damaged cache file is re-parsed and rewritten below.
    shards = _complete_shards(path) if path and shard is None else None
    if shards:
        return _load(shards, source.label)
    items = [source.items[i] for i in positions]
    results = _parse_all(items, steps_per_beat, workers or os.cpu_count() or 1,
                         f"parsing {source.label}", progress)
    parsed = ParsedSource(source.label, [], [], [])
    for position, item, (file_notes, meter, fallback, reason) in zip(positions, items, results):
        if file_notes is None:
            parsed.bad.append((item.name, reason))
            parsed.bad_index.append(position)
        else:
            parsed.names.append(item.name)
            parsed.notes.append(file_notes)
            parsed.meters.append(meter)
            parsed.index.append(position)
            if fallback:
                parsed.fallbacks.append((item.name, fallback))
    if path:
        _save(path, parsed)
    return parsed


def _shard_path(path, index, count):
    return path[: -len(".npz")] + f".shard-{index:05d}-of-{count:05d}.npz"


def _complete_shards(path):
    """The shard files of ``path`` if one complete set exists (all of 0..count-1), else None."""
    found = sorted(glob.glob(path[: -len(".npz")] + ".shard-*-of-*.npz"))
    by_count = {}
    for f in found:
        index, count = (int(v) for v in f[: -len(".npz")].rsplit(".shard-", 1)[1].split("-of-"))
        by_count.setdefault(count, set()).add(index)
    for count, indices in by_count.items():
        if indices == set(range(count)):
            return [_shard_path(path, i, count) for i in range(count)]
    return None


def _save(path, parsed):
    offsets = np.cumsum([0] + [len(n) for n in parsed.notes])
    signatures = [s for m in parsed.meters for s in m.time_signatures]
    signature_offsets = np.cumsum([0] + [len(m.time_signatures) for m in parsed.meters])
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(
                f,
                names=np.asarray(parsed.names, dtype=str),
                index=np.asarray(parsed.index, dtype=np.int64),
                notes=np.concatenate(parsed.notes or [np.zeros((0, 3), np.int32)]).astype(np.int32),
                offsets=offsets.astype(np.int64),
                bad_names=np.asarray([b[0] for b in parsed.bad], dtype=str),
                bad_index=np.asarray(parsed.bad_index, dtype=np.int64),
                bad_reasons=np.asarray([b[1] for b in parsed.bad], dtype=str),
                time_signatures=np.asarray(signatures, np.int64).reshape(-1, 3),
                time_signature_offsets=signature_offsets.astype(np.int64),
                tempo=np.asarray([m.tempo for m in parsed.meters], np.float64),
                first_downbeat=np.asarray([m.first_downbeat_step for m in parsed.meters], np.int64),
                fallback_names=np.asarray([f[0] for f in parsed.fallbacks], dtype=str),
                fallback_reasons=np.asarray([f[1] for f in parsed.fallbacks], dtype=str),
            )


def _load(paths, label):
    """Reads one cache file, or merges shard files back into source order."""
    files, bad, fallbacks = [], [], []
    for path in paths:
        with np.load(path, allow_pickle=False) as z:
            offsets, notes = z["offsets"], z["notes"]
            files += zip(z["index"].tolist(), (str(n) for n in z["names"]),
                         (notes[a:b] for a, b in zip(offsets[:-1], offsets[1:])), _meters(z))
            bad += zip(z["bad_index"].tolist(), (str(n) for n in z["bad_names"]),
                       (str(r) for r in z["bad_reasons"]))
            fallbacks += zip((str(n) for n in z["fallback_names"]),
                             (str(r) for r in z["fallback_reasons"]))
    files.sort(key=lambda f: f[0])
    bad.sort(key=lambda b: b[0])
    return ParsedSource(label=label, names=[f[1] for f in files], notes=[f[2] for f in files],
                        bad=[(b[1], b[2]) for b in bad], from_cache=True,
                        meters=[f[3] for f in files], fallbacks=fallbacks)


def _meters(z):
    """The ``Meter`` of every file in one cache file, in its order."""
    signatures = [tuple(s) for s in z["time_signatures"].tolist()]
    offsets = z["time_signature_offsets"].tolist()
    return [Meter(tuple(signatures[a:b]), tempo, downbeat)
            for a, b, tempo, downbeat in zip(offsets[:-1], offsets[1:], z["tempo"].tolist(),
                                             z["first_downbeat"].tolist())]
