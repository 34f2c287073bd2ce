#!/usr/bin/env python
"""Fuzz campaigns: hostile and broken MIDI and audio files through the corpus loaders.

    python benchmarks/robustness.py                          # 10,000 MIDI + 1,200 audio files, ~10 min
    python benchmarks/robustness.py --midi 2000 --audio 300  # smaller

MIDI: mutants of the Nottingham files (``--data``; byte flips, truncations, a changed division,
huge delta times, garbage inserted, chunk lengths corrupted, tracks duplicated), plus crafted
extremes (a 37-byte file with a note 10 million ticks long at 1 tick per quarter note, a file of
more notes than the limit, zero-length and header-only files, ...). Audio: short WAV/FLAC/OGG files
made here, mutated (truncated, header fields zeroed or huge, bytes flipped), random bytes and text
under audio extensions, empty files.

Each chunk of files is loaded the way training loads a corpus (``mguv.data.corpus.load_segments``,
``mguv.data.audio_cache.load_clips``; two workers, no cache) in a process of its own under a
memory cap (``--memory-gb`` of address space), with a timeout. A crash is a chunk whose process
fails (an exception escaping, a MemoryError, a signal); a hang is one that times out. Every file
must land in exactly one of used / skipped (with a reason) / empty.

Writes docs/results/robustness.json and docs/results/robustness.md.
"""

import argparse
import collections
import io
import json
import os
import platform
import random
import re
import resource
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPO)

from mguv.errors import UsageError, cli_entry  # noqa: E402

DEFAULT_DATA = os.path.join(REPO, "..", "shared", "data", "nottingham")
CHUNK = 500
AUDIO_CLIP_SECONDS = 5


# -- MIDI ---------------------------------------------------------------------------------------
def _vlq(n):
    out = [n & 0x7F]
    n >>= 7
    while n:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    return bytes(reversed(out))


def _midi(tracks, division=480, fmt=None):
    body = b"".join(b"MTrk" + len(t).to_bytes(4, "big") + t for t in tracks)
    fmt = (0 if len(tracks) == 1 else 1) if fmt is None else fmt
    return b"MThd" + (6).to_bytes(4, "big") + fmt.to_bytes(2, "big") + len(tracks).to_bytes(2, "big") + \
        division.to_bytes(2, "big") + body


END = b"\x00\xff\x2f\x00"


def crafted_midi():
    """{name: bytes}: the extremes a fuzzer rarely reaches by chance."""
    many = b"".join(b"\x00\x90\x3c\x40\x01\x80\x3c\x00" for _ in range((1 << 20) + 10))
    return {
        "long_note_37_bytes.mid": _midi([b"\x00\x90\x3c\x40" + _vlq(9_999_990) + b"\x80\x3c\x00" + END], division=1),
        "long_note_max_delta.mid": _midi([b"\x00\x90\x3c\x40" + _vlq(0x0FFFFFFF) + b"\x80\x3c\x00" + END]),
        "many_long_notes.mid": _midi([b"".join(b"\x00\x90" + bytes([p, 64]) for p in range(21, 109))
                                      + _vlq(0x0FFFFFFF) + b"".join(b"\x00\x80" + bytes([p, 0]) for p in range(21, 109))
                                      + END], division=1),
        "more_notes_than_the_limit.mid": _midi([many + END]),
        "note_without_off.mid": _midi([b"\x00\x90\x3c\x40" + _vlq(480) + b"\xff\x2f\x00"]),
        "empty.mid": b"",
        "header_only.mid": _midi([]),
        "empty_track.mid": _midi([END]),
        "division_zero.mid": _midi([b"\x00\x90\x3c\x40\x83\x60\x80\x3c\x00" + END], division=0),
        "smpte_division.mid": _midi([b"\x00\x90\x3c\x40\x83\x60\x80\x3c\x00" + END], division=0xE728),
        "claims_65535_tracks.mid": _midi([b"\x00\x90\x3c\x40\x83\x60\x80\x3c\x00" + END])[:10] + b"\xff\xff" +
        _midi([b"\x00\x90\x3c\x40\x83\x60\x80\x3c\x00" + END])[12:],
        "track_length_huge.mid": b"MThd\x00\x00\x00\x06\x00\x00\x00\x01\x01\xe0MTrk\x7f\xff\xff\xff" + END,
        "format_2.mid": _midi([b"\x00\x90\x3c\x40\x83\x60\x80\x3c\x00" + END] * 3, fmt=2),
        "tempo_zero.mid": _midi([b"\x00\xff\x51\x03\x00\x00\x00\x00\x90\x3c\x40\x83\x60\x80\x3c\x00" + END]),
        "time_signature_2_pow_255.mid": _midi([b"\x00\xff\x58\x04\x04\xff\x18\x08\x00\x90\x3c\x40\x83\x60\x80\x3c\x00"
                                               + END]),
        "time_signature_zero.mid": _midi([b"\x00\xff\x58\x04\x00\x00\x18\x08\x00\x90\x3c\x40\x83\x60\x80\x3c\x00"
                                          + END]),
        "running_status_garbage.mid": _midi([b"\x00\x3c\x40" * 100 + END]),
        "text_named_mid.mid": b"This is not a MIDI file.\n" * 50,
    }


def mutate_midi(data, rng):
    """One random corruption of MIDI bytes."""
    data = bytearray(data)
    op = rng.randrange(8)
    if op == 0:  # flip a few bytes
        for _ in range(rng.randint(1, 10)):
            data[rng.randrange(len(data))] = rng.randrange(256)
    elif op == 1:  # truncate
        data = data[:rng.randrange(len(data))]
    elif op == 2:  # a corrupted division (ticks per quarter), as a flipped header would give
        data[12:14] = rng.choice([1, 2, 3, 7, 16, rng.randrange(1, 65536)]).to_bytes(2, "big")
    elif op == 3:  # a huge delta time inserted after a track header
        at = data.find(b"MTrk", 14) if rng.random() < 0.5 else data.find(b"MTrk")
        if at >= 0:
            data[at + 8:at + 8] = _vlq(rng.randrange(1 << 20, 1 << 28)) + b"\xff\x01\x00"
    elif op == 4:  # garbage inserted somewhere
        at = rng.randrange(len(data))
        data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    elif op == 5:  # a chunk length corrupted
        at = data.find(b"MTrk")
        if at >= 0:
            data[at + 4:at + 8] = rng.randrange(1 << 32).to_bytes(4, "big")
    elif op == 6:  # a range zeroed
        a = rng.randrange(len(data))
        data[a:a + rng.randint(1, 256)] = bytes(min(256, len(data) - a))
    else:  # a track duplicated many times (a file much longer than its tune)
        at = data.find(b"MTrk")
        if at >= 0:
            data += bytes(data[at:]) * rng.randint(2, 40)
    return bytes(data)


# -- audio --------------------------------------------------------------------------------------
def audio_seeds(rng):
    """{name: bytes}: short valid WAV, FLAC and OGG files (tones and noise)."""
    import numpy as np
    import soundfile as sf

    seeds = {}
    for i in range(12):
        rate = rng.choice([8000, 16000, 22050, 44100])
        seconds = rng.choice([0.5, 2, 7])
        t = np.arange(int(rate * seconds)) / rate
        audio = 0.3 * np.sin(2 * np.pi * rng.uniform(100, 1000) * t) + 0.05 * np.random.default_rng(i).standard_normal(len(t))
        fmt = ["WAV", "FLAC", "OGG"][i % 3]
        buf = io.BytesIO()
        sf.write(buf, audio.astype("float32"), rate, format=fmt, subtype={"WAV": "PCM_16", "FLAC": "PCM_16",
                                                                             "OGG": "VORBIS"}[fmt])
        seeds[f"seed{i}.{fmt.lower()}"] = buf.getvalue()
    return seeds


def mutate_audio(name, data, rng):
    """(name, bytes) of one corrupted audio file."""
    data = bytearray(data)
    op = rng.randrange(7)
    if op == 0:
        data = data[:rng.randrange(len(data))]
    elif op == 1:
        for _ in range(rng.randint(1, 10)):
            data[rng.randrange(min(len(data), 64))] = rng.randrange(256)
    elif op == 2 and name.endswith(".wav"):  # sample rate, channels or bit depth zeroed or huge
        field = rng.choice([(22, 2), (24, 4), (34, 2), (40, 4), (4, 4)])
        data[field[0]:sum(field)] = rng.choice([0, (1 << (8 * field[1])) - 1]).to_bytes(field[1], "little")
    elif op == 3:
        return name.rsplit(".", 1)[0] + rng.choice([".wav", ".au", ".flac", ".ogg", ".mp3"]), bytes(data)
    elif op == 4:
        return f"{rng.randrange(1 << 30)}.{rng.choice(['wav', 'au', 'flac', 'ogg', 'mp3'])}", \
            bytes(rng.randrange(256) for _ in range(rng.randint(0, 4096)))
    elif op == 5:
        return name.rsplit(".", 1)[0] + ".au", b"These are my liner notes.\n" * rng.randint(1, 400)
    else:
        data = b""
    return name, bytes(data)


# -- running a chunk ----------------------------------------------------------------------------
def worker(kind, folder):
    """Loads one chunk as training would; prints a JSON line of counts and peak memory."""
    from mguv import representation
    from mguv.data import audio_cache, corpus

    files = sorted(os.listdir(folder))
    if kind in ("midi", "crafted"):
        data = corpus.load_segments([folder], representation.PianoRoll(), cache_dir="", workers=2, progress=False)
        empty = data.report["empty_files"]
        source = data.report["sources"][folder]
        used, skipped = source["used"], source["bad"]
    else:
        data = audio_cache.load_clips([folder], representation.AudioClip(clip_samples=3000 * AUDIO_CLIP_SECONDS),
                                      cache_dir="", workers=2, progress=False)
        empty = []
        source = data.report["sources"][folder]
        used, skipped = source["decoded"], source["bad"]
    outcome = {b["file"]: b["reason"] for b in data.report["bad_files"]}
    outcome.update({e["file"]: "empty: " + e["reason"] for e in empty})
    print(json.dumps({
        "files": len(files), "used": used, "skipped": skipped, "empty": len(empty),
        "outcome": outcome,
        "peak_rss_mb": peak_mb(),
        "peak_child_rss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }))


def peak_mb():
    """This process's peak resident memory (VmHWM; ru_maxrss would carry a forking parent's over exec)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024


def run_chunk(kind, folder, memory_gb, timeout):
    def cap():
        limit = int(memory_gb * (1 << 30))
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    start = time.time()
    try:
        done = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", kind, folder],
                              capture_output=True, text=True, timeout=timeout, preexec_fn=cap,
                              env={**os.environ, "PYTHONPATH": REPO})
    except subprocess.TimeoutExpired:
        return {"hang": True, "seconds": timeout}
    if done.returncode != 0:
        return {"crash": done.stderr.strip().splitlines()[-1][:300] if done.stderr.strip() else f"exit {done.returncode}",
                "seconds": round(time.time() - start, 1)}
    return {**json.loads(done.stdout.strip().splitlines()[-1]), "seconds": round(time.time() - start, 1)}


def reason_kind(reason):
    """A reason's family, for the table: numbers replaced by N, cut before any parenthesis."""
    return re.sub(r"\d[\d,.]*", "N", reason).split("(")[0].strip()[:90] or "?"


def campaign(kind, files, work, memory_gb, timeout, controls):
    """Writes ``files`` ({name: bytes}) in chunks under ``work`` and loads each chunk. Every chunk
    also holds the unmutated ``controls``, so that it has a usable file: a loader stops with an
    error (by design) when a whole corpus is unusable."""
    names = sorted(files)
    chunks = []
    for c, start in enumerate(range(0, len(names), CHUNK)):
        folder = os.path.join(work, kind, f"chunk{c:03d}")
        os.makedirs(folder)
        chunk = {name: files[name] for name in names[start:start + CHUNK]}
        chunk.update({f"control_{name}": data for name, data in controls.items()})
        for name, data in chunk.items():
            with open(os.path.join(folder, name), "wb") as f:
                f.write(data)
        result = run_chunk(kind, folder, memory_gb, timeout)
        print(f"{kind} chunk {c}: {({k: v for k, v in result.items() if k != 'outcome'})}", file=sys.stderr)
        chunks.append(result)
    ok = [c for c in chunks if "outcome" in c]
    reasons = collections.Counter(reason_kind(r) for c in ok for r in c["outcome"].values())
    outcome = {name: r for c in ok for name, r in c["outcome"].items()}
    return {
        "inputs": len(names) + len(chunks) * len(controls), "controls_per_chunk": len(controls), "chunks": len(chunks),
        "crashes": [c["crash"] for c in chunks if "crash" in c], "hangs": sum(1 for c in chunks if c.get("hang")),
        "used": sum(c["used"] for c in ok), "skipped": sum(c["skipped"] for c in ok),
        "empty": sum(c["empty"] for c in ok),
        "counts_add_up": all(c["used"] + c["skipped"] + c["empty"] == c["files"] for c in ok),
        "peak_rss_mb": round(max([max(c["peak_rss_mb"], c["peak_child_rss_mb"]) for c in ok] or [0]), 1),
        "seconds": round(sum(c["seconds"] for c in chunks), 1),
        "reasons": dict(reasons.most_common(15)),
        "outcome_of": outcome,
    }


def markdown(result):
    lines = ["# Robustness: fuzzed MIDI and audio through the corpus loaders", "",
             f"Made by `{result['command']}` on {result['date']} ({result['machine']}); "
             f"{result['total_seconds'] / 60:.1f} minutes. Chunks of {CHUNK} files, each loaded as training loads a "
             f"corpus (two workers, no cache) in a process of its own under a {result['memory_gb']:g} GB "
             f"address-space cap and a {result['timeout']} s timeout. Each chunk also holds two unmutated seed "
             "files (counted as inputs), so it has a usable file: the loaders stop with an error, by design, when a "
             "whole corpus is unusable.", "",
             "| campaign | inputs | crashes | hangs | peak memory (MB) | used | skipped | empty | counts add up | seconds |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    for name, c in result["campaigns"].items():
        lines.append(f"| {name} | {c['inputs']:,} | {len(c['crashes'])} | {c['hangs']} | {c['peak_rss_mb']:,.0f} | "
                     f"{c['used']:,} | {c['skipped']:,} | {c['empty']:,} | {'yes' if c['counts_add_up'] else '**no**'} "
                     f"| {c['seconds']:.0f} |")
    lines += ["", "Peak memory is the largest resident set of a chunk's process or of one of its parser workers.", ""]
    for name, c in result["campaigns"].items():
        lines += [f"## {name}: why files were skipped or empty (most common)", "", "| reason | files |", "|---|---:|"]
        lines += [f"| {r} | {n:,} |" for r, n in c["reasons"].items()]
        if c["crashes"]:
            lines += ["", "Crashes:", *[f"- `{m}`" for m in c["crashes"]]]
        lines.append("")
    lines += ["## The crafted MIDI extremes", "", "| file | outcome |", "|---|---|"]
    for name, outcome in result["crafted"].items():
        lines.append(f"| {name} | {outcome} |")
    return "\n".join(lines) + "\n"


@cli_entry
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default=DEFAULT_DATA, help="Nottingham folder: the seeds of the MIDI mutants")
    p.add_argument("--midi", type=int, default=10000, help="mutated MIDI files (the crafted ones come on top)")
    p.add_argument("--audio", type=int, default=1200, help="audio files")
    p.add_argument("--memory-gb", type=float, default=6.0, help="address-space cap of each chunk's process")
    p.add_argument("--timeout", type=int, default=600, help="seconds a chunk may take before it counts as a hang")
    p.add_argument("--work", default="/tmp/mguv-robustness", help="where the fuzzed files go (emptied first)")
    p.add_argument("--out", default="docs/results", help="where robustness.json/.md go")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--worker", nargs=2, metavar=("KIND", "FOLDER"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker(*args.worker)
        return 0
    if not os.path.isdir(args.data):
        raise UsageError(f"--data {args.data}: no such folder (the Nottingham MIDI files seed the mutants)")
    start = time.time()
    rng = random.Random(args.seed)
    seeds = []
    for root, _, names in sorted(os.walk(args.data)):
        seeds += [os.path.join(root, n) for n in sorted(names) if n.lower().endswith((".mid", ".midi"))]
    if not seeds:
        raise UsageError(f"--data {args.data}: no MIDI files to mutate")
    shutil.rmtree(args.work, ignore_errors=True)
    midi = {}
    for i in range(args.midi):
        with open(seeds[i % len(seeds)], "rb") as f:
            midi[f"m{i:05d}.mid"] = mutate_midi(f.read(), rng)
    crafted = crafted_midi()
    audio_base = audio_seeds(rng)
    audio = {}
    for i in range(args.audio):
        name, data = rng.choice(sorted(audio_base.items()))
        if i < len(audio_base):  # the unmutated seeds are in too: some files must be usable
            name, data = list(audio_base.items())[i]
        else:
            name, data = mutate_audio(name, data, rng)
        audio[f"a{i:05d}_{name}"] = data
    midi_controls = {}
    for path in seeds[:2]:
        with open(path, "rb") as f:
            midi_controls[os.path.basename(path)] = f.read()
    audio_controls = dict(list(audio_base.items())[:2])
    campaigns = {"MIDI mutants": campaign("midi", midi, args.work, args.memory_gb, args.timeout, midi_controls)}
    campaigns["MIDI crafted extremes"] = campaign("crafted", crafted, args.work, args.memory_gb, args.timeout,
                                                  midi_controls)
    campaigns["audio"] = campaign("audio", audio, args.work, args.memory_gb, args.timeout, audio_controls)
    crafted_outcome = campaigns["MIDI crafted extremes"].pop("outcome_of")
    for c in campaigns.values():
        c.pop("outcome_of", None)
    result = {
        "command": "python benchmarks/robustness.py" + "".join(
            f" --{k} {v}" for k, v in (("midi", args.midi), ("audio", args.audio), ("memory-gb", args.memory_gb))
            if v != p.get_default(k.replace("-", "_"))),
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores",
        "memory_gb": args.memory_gb, "timeout": args.timeout, "campaigns": campaigns,
        "crafted": {name: crafted_outcome.get(name, "used") for name in sorted(crafted)},
        "total_seconds": round(time.time() - start, 1),
    }
    from mguv.io import write_json, write_text

    os.makedirs(args.out, exist_ok=True)
    write_json(os.path.join(args.out, "robustness.json"), result)
    write_text(os.path.join(args.out, "robustness.md"), markdown(result))
    print(markdown(result))
    shutil.rmtree(args.work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    main()
