"""Audio corpora -> fixed-length mono clips, decoded once and cached.

Each file is decoded once, in parallel with a progress bar, into up to ``clips_per_file`` clips and
cached as one ``.npz`` of 16-bit PCM per source (no pickle) keyed by the SHA-1 of every file's contents, the
representation fields that affect decoding and ``DECODER_VERSION``. A second run decodes nothing.
With no spec the corpus is the rendered Bach chorales (``mguv.data.audio_render``).

This module must not import TensorFlow: it runs in decoder worker processes.
"""

import os

import numpy as np

from mguv.data.audio_files import decode_file, resolve_audio
from mguv.data.audio_render import rendered_bach_source
from mguv.data.cache import content_key, default_cache_dir, run_jobs
from mguv.data.corpus import describe_sources
from mguv.data.types import Clips, DecodedSource
from mguv.errors import UsageError
from mguv.io import atomic_path

# Bump when decoding changes, so old caches are not reused.
DECODER_VERSION = 3  # 2: a file whose first bytes are not its container is skipped; 3: valid lengths

# Clips are cached as 16-bit PCM: the same resolution as the WAV/FLAC files they come from (its
# -96 dBFS quantization noise is below theirs), half the size of float32, and, unlike float16, a
# uniform step that does not favour near-silent samples over the loud ones that carry the music.
# The .npz is not compressed: deflate saves under 1% on PCM audio and makes loading slower.
_PCM_SCALE = 32767.0


def _to_pcm(clips):
    return np.rint(np.clip(clips, -1.0, 1.0) * _PCM_SCALE).astype(np.int16)


def _decode_job(args):
    decoded, reason = decode_file(*args, with_lengths=True)
    return (None, None, reason) if decoded is None else (_to_pcm(decoded[0]), decoded[1], None)


def _cache_key(items, rep):
    return content_key(items, f"v{DECODER_VERSION}:sr{rep.sample_rate}:n{rep.clip_samples}:"
                              f"k{rep.clips_per_file}:{rep.normalization}")


def decode_source(source, rep, cache_dir=None, workers=None, progress=True):
    """Returns the ``DecodedSource`` for ``source`` (a ``types.Source``), from cache when possible.

    Args:
      source: the audio files.
      rep: an ``AudioClip`` representation.
      cache_dir: where ``clips-<key>.npz`` lives; None for ``default_cache_dir()``, "" to disable.
      workers: decoder processes; None for all cores.
      progress: show a tqdm progress bar on stderr.
    """
    cache_dir = default_cache_dir() if cache_dir is None else cache_dir
    path = os.path.join(cache_dir, f"clips-{_cache_key(source.items, rep)}.npz") if cache_dir else None
    if path and os.path.exists(path):
        try:
            return _load(path, source.label)
        except (OSError, ValueError, KeyError):
            pass  # A damaged cache file is decoded again and rewritten below.
    jobs = [(it.name, it.path, it.data if it.path is None else None, rep) for it in source.items]
    results = run_jobs(_decode_job, jobs, workers or os.cpu_count() or 1,
                        f"decoding {source.label}", progress)
    decoded = DecodedSource(source.label, [], [], [])
    for item, (pcm, lengths, reason) in zip(source.items, results):
        if pcm is None:
            decoded.bad.append((item.name, reason))
        else:
            decoded.names.append(item.name)
            decoded.pcm.append(pcm)
            decoded.lengths.append(lengths)
    if path:
        _save(path, decoded, rep.clip_samples)
    return decoded


def _save(path, decoded, clip_samples):
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(
                f,
                names=np.asarray(decoded.names, dtype=str),
                pcm=np.concatenate(decoded.pcm or [np.zeros((0, clip_samples), np.int16)]),
                offsets=np.cumsum([0] + [len(p) for p in decoded.pcm]).astype(np.int64),
                lengths=np.concatenate(decoded.lengths or [np.zeros(0, np.int32)]).astype(np.int32),
                bad_names=np.asarray([b[0] for b in decoded.bad], dtype=str),
                bad_reasons=np.asarray([b[1] for b in decoded.bad], dtype=str),
            )


def _load(path, label):
    with np.load(path, allow_pickle=False) as z:
        offsets, pcm, lengths = z["offsets"], z["pcm"], z["lengths"]
        return DecodedSource(
            label=label,
            names=[str(n) for n in z["names"]],
            pcm=[pcm[a:b] for a, b in zip(offsets[:-1], offsets[1:])],
            bad=list(zip((str(n) for n in z["bad_names"]), (str(r) for r in z["bad_reasons"]))),
            from_cache=True,
            lengths=[lengths[a:b] for a, b in zip(offsets[:-1], offsets[1:])],
        )


def load_clips(specs, rep, genre=None, cache_dir=None, workers=None, progress=True):
    """Resolves, decodes (cached) and clips an audio corpus for representation ``rep``.

    Args:
      specs: folders or audio files; None or [] for the rendered Bach chorales.
      rep: an ``AudioClip`` representation.
      genre: a GTZAN-style genre filter (see ``audio_files.resolve_audio``).
      cache_dir: None for ``default_cache_dir()``, "" to disable the clip cache.
      workers: decoder (and renderer) processes; None for all cores.
      progress: show tqdm progress bars on stderr.

    Returns:
      ``types.Clips``: x float32 [num_clips, clip_samples] in [-1, 1], file ids, files, the report
      and each clip's valid length in samples (the rest is zero padding).

    Raises:
      UsageError: a spec is bad, or no file in the whole corpus yields a clip.
    """
    if specs:
        sources = resolve_audio(specs, genre)
    elif genre:
        raise UsageError(f"--genre {genre} needs --data with a genre-labelled audio folder (e.g. GTZAN)")
    else:
        sources = [rendered_bach_source(rep, cache_dir=cache_dir, workers=workers, progress=progress)]
    pcm, lengths, file_id, files = [], [], [], []
    report = {"sources": {}, "bad_files": [], "sample_rate": rep.sample_rate,
              "clip_seconds": rep.clip_seconds}
    for source in sources:
        decoded = decode_source(source, rep, cache_dir=cache_dir, workers=workers, progress=progress)
        for name, clips, valid in zip(decoded.names, decoded.pcm, decoded.lengths):
            pcm.append(clips)
            lengths.append(valid)
            file_id.append(np.full(len(clips), len(files)))
            files.append((source.label, name))
        report["sources"][source.label] = {
            "files": len(source.items), "decoded": len(decoded.names), "bad": len(decoded.bad),
            "clips": sum(len(c) for c in decoded.pcm), "from_cache": decoded.from_cache,
        }
        report["bad_files"] += [{"source": source.label, "file": n, "reason": r} for n, r in decoded.bad]
    if not pcm:
        named = " ".join(specs) if specs else "(rendered bach)"
        raise UsageError(f"--data {named}: no usable audio (every file was unreadable, empty or silent)")
    # Always dequantized, so a first run and a cached run give identical arrays.
    x = np.concatenate(pcm).astype(np.float32) / _PCM_SCALE
    report["clips"] = len(x)
    report["padded_clips"] = int(np.sum(np.concatenate(lengths) < rep.clip_samples))
    return Clips(x, np.concatenate(file_id), files, report, np.concatenate(lengths).astype(np.int32))


def describe(report):
    """One line per source plus totals, for the console."""
    lines = describe_sources(report, unit="clips", done="decoded")
    minutes = report["clips"] * report["clip_seconds"] / 60
    padded = report.get("padded_clips", 0)
    lines.append(f"  {report['clips']} clips of {report['clip_seconds']:g} s at {report['sample_rate']} Hz "
                 f"({minutes:.1f} min of audio" + (f"; {padded} zero-padded after a short file's end, "
                                                   "masked out of losses and metrics)" if padded else ")"))
    return "\n".join(lines)
