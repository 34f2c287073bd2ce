"""Ingestion sections of ``benchmarks/perf.py``: MIDI (Nottingham) and audio. No TensorFlow here.

MIDI: the first parse, one process against a process pool (``mguv.data.cache.parse_source``, cache
off), with the pool's workers forked (now) and spawned (before); one epoch's data (every segment in
memory) from the cache against the naive way, parsing every file again with pretty_midi
(``load_segments`` without a cache, one process), and from the note-list cache alone (before the
segment cache); peak memory and the cache's size on disk.

Audio: clips decoded from 22,050 Hz WAV files (like GTZAN's), mixed to mono, resampled to 3 kHz and
cut into 30 s clips (``mguv.data.audio_cache.decode_source``, parallel), the first time and from the
cache. The WAVs are synthesized here (harmonic notes with decaying envelopes), so no audio data is
needed.
"""

import glob
import os

import numpy as np

from perf_common import children_peak_rss_mb, peak_rss_mb, row, timed

AUDIO_RATE = 22050  # Hz, GTZAN's rate


def link_folder(files, folder):
    """A folder of symlinks to ``files`` (so a corpus spec can name exactly these files)."""
    os.makedirs(folder, exist_ok=True)
    for f in files:
        os.symlink(os.path.abspath(f), os.path.join(folder, os.path.basename(f)))
    return folder


def nottingham_files(data_dir, limit=None):
    """The top-level *.mid files of a Nottingham copy (melody and chords together), sorted; with
    ``limit``, that many spread evenly over the corpus."""
    files = sorted(glob.glob(os.path.join(data_dir, "*.mid")))
    if limit and len(files) > limit:
        files = [files[i] for i in np.linspace(0, len(files) - 1, limit).astype(int)]
    return files


def midi_section(data_dir, workdir, cache_dir, repeats, limit=None):
    """Results of the MIDI ingestion section (see the module docstring)."""
    from unittest import mock

    from mguv.data import cache, corpus, segment_cache
    from mguv.data.cache import parse_source
    from mguv.representation import PianoRoll

    files = nottingham_files(data_dir, limit)
    if not files:
        return {"skipped": f"no *.mid files in {data_dir}"}
    folder = link_folder(files, os.path.join(workdir, "nottingham"))
    rep = PianoRoll()
    source = corpus.resolve([folder])[0]
    n = len(source.items)
    workers = os.cpu_count() or 1

    def first_parse(w):
        return parse_source(source, rep.steps_per_beat, cache_dir="", workers=w, progress=False)

    serial, parallel, spawned = [], [], []
    for _ in range(repeats):  # in turns, so a change in machine load hits all alike
        serial.append(n / timed(lambda: first_parse(1))[0])
        parallel.append(n / timed(lambda: first_parse(workers))[0])
        with mock.patch.object(cache, "_start_method", return_value="spawn"):  # as before the change
            spawned.append(n / timed(lambda: first_parse(workers))[0])
    single = row("first parse, 1 process", serial, "files/s")
    spawn = row(f"first parse, {workers} spawned processes (before: every worker imports again)", spawned,
                "files/s", reference=single)
    pool = row(f"first parse, {workers} processes", parallel, "files/s", reference=single)
    pool["method"] = cache._start_method()

    def epoch(cache):
        return corpus.load_segments([folder], rep, cache_dir=cache, workers=1, progress=False)

    seconds, cached = timed(lambda: corpus.load_segments([folder], rep, cache_dir=cache_dir, workers=workers,
                                                         progress=False))
    write = row("first parse + cache write (all processes)", [n / seconds], "files/s")
    naive_times, cached_times = [], []
    for i in range(max(repeats, 3)):
        if i < max(1, repeats - 1):  # the naive epoch is slow: one repeat fewer
            t, naive = timed(lambda: epoch(""))
            naive_times.append(t)
        t, again = timed(lambda: epoch(cache_dir))
        cached_times.append(t)
    if not all(again.report["sources"][s]["from_cache"] for s in again.report["sources"]):
        raise RuntimeError("the cached epoch did not read the cache")
    notes_only = []
    with mock.patch.object(segment_cache, "path_for", return_value=None):  # the parse cache alone
        for _ in range(max(repeats, 3)):
            notes_only.append(timed(lambda: epoch(cache_dir))[0])
    naive_row = row("epoch, re-parsing every file with pretty_midi", naive_times, "s")
    notes_row = row("epoch, from the parse cache only (note lists; rasterized again)", notes_only, "s")
    cached_row = row("epoch, from the cache (note lists + segments)", cached_times, "s")
    for r in (notes_row, cached_row):
        r["reference"], r["ratio"] = naive_row["name"], naive_row["value"] / r["value"]
    sizes = {kind: sum(os.path.getsize(f) for f in glob.glob(os.path.join(cache_dir, f"{kind}-*.npz"))) / 1e6
             for kind in ("notes", "segments")}
    return {
        "files": n, "segments": int(len(cached.x)), "workers": workers,
        "identical_segments": bool(np.array_equal(naive.x, again.x) and np.array_equal(cached.x, again.x)),
        "rows": [single, spawn, pool, write, naive_row, notes_row, cached_row],
        "start_method_gain": pool["value"] / spawn["value"],
        "segment_cache_gain": notes_row["value"] / cached_row["value"],
        "parallel_speedup": pool["ratio"], "cached_epoch_speedup": cached_row["ratio"],
        "cache_mb": round(sum(sizes.values()), 3), "parse_cache_mb": round(sizes["notes"], 3),
        "segment_cache_mb": round(sizes["segments"], 3), "peak_rss_mb": round(peak_rss_mb(), 1),
        "worker_peak_rss_mb": round(children_peak_rss_mb(), 1),
    }


def synth_audio(seconds, rate, seed):
    """Mono float32 [seconds * rate] in [-0.5, 0.5]: harmonic notes (random pitches, one every
    quarter second, decaying over a second), a stand-in for music when no recordings are at hand."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    audio = np.zeros_like(t)
    for start in np.arange(0.0, seconds, 0.25):
        freq = 110.0 * 2 ** (rng.integers(0, 36) / 12)
        i = int(start * rate)
        span = t[i:i + rate] - start
        audio[i:i + len(span)] += np.exp(-4.0 * span) * sum(np.sin(2 * np.pi * k * freq * span) / k
                                                            for k in (1, 2, 3))
    return (0.5 * audio / np.max(np.abs(audio))).astype(np.float32)


def synth_wav(path, seconds, rate, seed):
    """Writes ``synth_audio`` as a 16-bit mono WAV at ``rate`` Hz."""
    import soundfile

    soundfile.write(path, synth_audio(seconds, rate, seed), rate, subtype="PCM_16")
    return path


def audio_section(workdir, repeats, num_files):
    """Results of the audio ingestion section (see the module docstring)."""
    from mguv.data.audio_cache import decode_source
    from mguv.data.audio_files import resolve_audio
    from mguv.representation import AudioClip

    rep = AudioClip()  # 3 kHz, 30 s clips, one per file
    folder = os.path.join(workdir, "wav")
    os.makedirs(folder, exist_ok=True)
    for i in range(num_files):
        synth_wav(os.path.join(folder, f"tune{i:03d}.wav"), rep.clip_seconds + 0.5, AUDIO_RATE, seed=i)
    source = resolve_audio([folder])[0]
    warm = os.path.join(workdir, "audio-cache")
    first, cached = [], []
    for i in range(repeats):
        cold = os.path.join(workdir, f"audio-cold-{i}")
        t, decoded = timed(lambda: decode_source(source, rep, cache_dir=cold, progress=False))
        first.append(sum(len(c) for c in decoded.pcm) / t)
    decode_source(source, rep, cache_dir=warm, progress=False)
    for _ in range(max(repeats, 3)):
        t, again = timed(lambda: decode_source(source, rep, cache_dir=warm, progress=False))
        if not again.from_cache:
            raise RuntimeError("the cached audio did not come from the cache")
        cached.append(sum(len(c) for c in again.pcm) / t)
    clips = sum(len(c) for c in again.pcm)
    first_row = row(f"first decode + resample {AUDIO_RATE} -> {rep.sample_rate} Hz "
                    f"({os.cpu_count()} processes)", first, "clips/s")
    cached_row = row("from the clip cache", cached, "clips/s", reference=first_row)
    seconds_per_clip = rep.clip_seconds
    return {
        "files": num_files, "clips": clips, "source_rate": AUDIO_RATE, "sample_rate": rep.sample_rate,
        "clip_seconds": seconds_per_clip, "rows": [first_row, cached_row],
        "first_x_real_time": first_row["value"] * seconds_per_clip,
        "cached_x_real_time": cached_row["value"] * seconds_per_clip,
        "cache_mb": round(sum(os.path.getsize(f) for f in glob.glob(os.path.join(warm, "clips-*.npz"))) / 1e6, 3),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }
