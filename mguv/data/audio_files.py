"""Audio files: find them (folders, single files, GTZAN-style genre filters) and decode one file
into fixed-length, normalized mono clips.

A spec is a folder, searched recursively for ``AUDIO_EXTENSIONS``, or a single audio file.

This module must not import TensorFlow: it runs in decoder worker processes.
"""

import io
import os
import warnings

import numpy as np

from mguv.data.corpus import scan_folder
from mguv.data.types import Item, Source
from mguv import errors
from mguv.errors import UsageError

AUDIO_EXTENSIONS = (".wav", ".au", ".flac", ".ogg", ".mp3")

PEAK = 0.95  # "peak" normalization target.
RMS = 0.1  # "rms" normalization target (about -20 dBFS).
SILENCE = 1e-4  # A clip whose peak is below this (-80 dBFS, ~3 LSB of 16-bit PCM) is silent.


def error_reason(err):
    """One line (at most 200 characters) saying why a file could not be decoded or rendered."""
    return errors.error_reason(err, empty="not a readable audio file")


def normalize(clip, normalization):
    """Scales one clip float32 [samples]: "peak" to peak ``PEAK``, "rms" to RMS ``RMS`` clipped to
    [-1, 1], "none" unchanged. A silent clip is returned unchanged."""
    if normalization == "peak":
        peak = np.max(np.abs(clip))
        return clip * (PEAK / peak) if peak > 0 else clip
    if normalization == "rms":
        rms = np.sqrt(np.mean(np.square(clip, dtype=np.float64)))
        return np.clip(clip * (RMS / rms), -1.0, 1.0) if rms > 0 else clip
    return clip


def cut_clips(audio, rep, with_lengths=False):
    """Cuts mono audio float32 [samples] at ``rep.sample_rate`` into clips for ``rep``.

    Takes up to ``rep.clips_per_file`` consecutive clips of ``rep.clip_samples`` from the start,
    zero-pads the last one if the audio ends inside it, drops silent clips and normalizes the rest.

    Returns:
      (clips float32 [k, clip_samples], None) with 1 <= k <= clips_per_file, or (None, reason).
      With ``with_lengths``, the first item is (clips, lengths int32 [k]): the samples of each clip
      that come from the file; the rest of a clip (the padding of a short file) is exact zeros.
    """
    if len(audio) == 0:
        return None, "no audio samples"
    n = rep.clip_samples
    k = min(rep.clips_per_file, -(-len(audio) // n))
    clips = np.zeros((k, n), np.float32)
    clips.reshape(-1)[:min(len(audio), k * n)] = audio[:k * n]
    lengths = np.clip(len(audio) - n * np.arange(k), 0, n).astype(np.int32)
    keep = np.max(np.abs(clips), axis=1) >= SILENCE
    clips, lengths = clips[keep], lengths[keep]
    if len(clips) == 0:
        return None, f"silent in the first {k * n / rep.sample_rate:g} s (peak below -80 dBFS)"
    clips = np.stack([normalize(c, rep.normalization) for c in clips]).astype(np.float32)
    return ((clips, lengths) if with_lengths else clips), None


def valid_lengths(clips):
    """The valid length of each clip read back from the data: 1 + the index of its last non-zero
    sample (0 for an all-zero clip). clips [n, samples] or [n, samples, 1] -> int32 [n].

    Padding is exact zeros, so this equals the length the cache records unless the audio itself
    ends in digital silence (which is then treated as padding too)."""
    clips = np.asarray(clips).reshape(len(clips), -1)
    nonzero = clips != 0
    last = clips.shape[1] - np.argmax(nonzero[:, ::-1], axis=1)
    return np.where(nonzero.any(axis=1), last, 0).astype(np.int32)


def container_reason(name, head):
    """Why the first bytes ``head`` (at least 12) of file ``name`` are not the container its
    extension names, or None when they are. libsndfile reads headerless bytes in a ``.au`` file as
    8 kHz u-law, so without this check any file so named (a text file) becomes a full-scale clip."""
    ext = os.path.splitext(name)[1].lower()
    ok = {
        ".wav": head[:4] in (b"RIFF", b"RIFX", b"RF64", b"BW64") and head[8:12] in (b"WAVE", b"BW64"),
        ".au": head[:4] == b".snd",
        ".flac": head[:4] == b"fLaC" or head[:3] == b"ID3",
        ".ogg": head[:4] == b"OggS",
        ".mp3": head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0),
    }.get(ext, True)
    return None if ok else f"its first bytes are not the header of the {ext[1:].upper()} container (not audio, or misnamed)"


def decode_file(name, path, data, rep, with_lengths=False):
    """Decodes one audio file into normalized clips; never raises.

    Args:
      name: file name (for messages only).
      path: file path, or None when ``data`` holds the bytes.
      data: file bytes, or None to read ``path``.
      rep: an ``AudioClip`` representation (sample rate in Hz, clip length in samples, ...).

    Returns:
      (clips float32 [k, clip_samples] in [-1, 1], None), or (None, reason) for an unreadable,
      empty or silent file. The audio is mixed down to mono and resampled to ``rep.sample_rate``.
      ``with_lengths`` gives (clips, valid lengths int32 [k]) as the first item (``cut_clips``).
    """
    import librosa

    # Only what the clips need is decoded (long files stay cheap); the margin keeps the
    # resampler's edge effect out of the last clip.
    seconds = rep.clips_per_file * rep.clip_samples / rep.sample_rate + 0.1
    try:
        if data is None:
            with open(path, "rb") as f:
                head = f.read(12)
        else:
            head = bytes(data[:12])
        reason = container_reason(name, head)
        if reason:
            return None, reason
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # librosa's audioread fallback warns on every bad file.
            audio, _ = librosa.load(path if data is None else io.BytesIO(data), sr=rep.sample_rate,
                                    mono=True, duration=seconds)
    except Exception as err:  # Corrupt files raise anything from EOFError to NoBackendError.
        return None, error_reason(err)
    if not np.all(np.isfinite(audio)):
        return None, "non-finite samples"
    return cut_clips(audio, rep, with_lengths)


def _component_match(relpath, genre):
    parts = [p.lower() for p in relpath.replace(os.sep, "/").split("/")]
    return genre in parts[:-1] or parts[-1].startswith(genre + ".")


def _audio_source(spec, genre):
    if not os.path.exists(spec):
        raise UsageError(f"--data {spec}: no such file or folder "
                         "(leave --data out for the rendered Bach chorales)")
    if os.path.isfile(spec):
        if not spec.lower().endswith(AUDIO_EXTENSIONS):
            raise UsageError(f"--data {spec}: not an audio file ({', '.join(AUDIO_EXTENSIONS)})")
        items = [Item(os.path.basename(spec), path=spec)]
        root = os.path.dirname(os.path.abspath(spec))
    else:
        items = scan_folder(spec, AUDIO_EXTENSIONS)
        if not items:
            raise UsageError(f"--data {spec}: no audio files ({', '.join(AUDIO_EXTENSIONS)}) in this folder")
        root = os.path.abspath(spec)
    if genre:
        # The spec's own folder name counts too, so "--data genres/jazz --genre jazz" works.
        base = os.path.basename(root)
        kept = [it for it in items if _component_match(os.path.join(base, it.name), genre.lower())]
        if not kept:
            genres = sorted({os.path.basename(os.path.dirname(it.path)) for it in items
                             if os.path.dirname(os.path.abspath(it.path)) != root})
            known = f"genres here: {', '.join(genres)}" if genres else "no genre subfolders here"
            raise UsageError(f"--data {spec}: no files for --genre {genre} ({known})")
        items = kept
    return Source(spec, tuple(items))


def resolve_audio(specs, genre=None):
    """Turns ``--data`` specs into ``types.Source``s of audio files, in sorted, deterministic order.

    Args:
      specs: folders (searched recursively for ``AUDIO_EXTENSIONS``) or single audio files.
      genre: keep only files with a path component equal to it (GTZAN's ``genres/jazz/...``) or a
        name starting with ``<genre>.`` (GTZAN's ``jazz.00001.wav``); case-insensitive.

    Raises:
      UsageError: a path does not exist, a folder holds no audio, or the genre matches nothing.
    """
    return [_audio_source(spec, genre) for spec in specs]
