"""Audio corpora: folders of recordings (or the rendered Bach chorales) -> fixed-length mono clips.

A spec is a folder, searched recursively for ``AUDIO_EXTENSIONS``, or a single audio file. With no
spec the corpus is the Bach chorales shipped inside music21, rendered to WAV once (FluidSynth when
installed, else sine waves) and kept in the cache folder.

Each file is decoded once, in parallel with a progress bar, into up to ``clips_per_file`` clips and
cached as one ``.npz`` of 16-bit PCM per source (no pickle) keyed by the SHA-1 of every file's contents, the
representation fields that affect decoding and ``DECODER_VERSION``. A second run decodes nothing.

Everything above ``make_audio_dataset`` must not import TensorFlow: it runs in worker processes.
"""

import dataclasses
import io
import os
import sys
import warnings

import numpy as np

from mguv.data.cache import content_key, default_cache_dir, run_jobs
from mguv.data.corpus import Item, Source, scan_folder
from mguv.errors import UsageError
from mguv.io import atomic_path

AUDIO_EXTENSIONS = (".wav", ".au", ".flac", ".ogg", ".mp3")

# Bump when decoding changes, so old caches are not reused.
DECODER_VERSION = 1

PEAK = 0.95  # "peak" normalization target.
RMS = 0.1  # "rms" normalization target (about -20 dBFS).
SILENCE = 1e-4  # A clip whose peak is below this (-80 dBFS, ~3 LSB of 16-bit PCM) is silent.

# Clips are cached as 16-bit PCM: the same resolution as the WAV/FLAC files they come from (its
# -96 dBFS quantization noise is below theirs), half the size of float32, and, unlike float16, a
# uniform step that does not favour near-silent samples over the loud ones that carry the music.
# The .npz is not compressed: deflate saves under 1% on PCM audio and makes loading slower.
_PCM_SCALE = 32767.0

BACH_STEPS_PER_BEAT = 4
BACH_TEMPO = 100.0  # quarter notes per minute
BACH_PROGRAM = 0  # General MIDI acoustic grand piano
# FluidSynth does not run below 8 kHz, so chorales are rendered at 22.05 kHz (or the target rate,
# if higher) and resampled to the representation's rate.
RENDER_RATE = 22050
# How many chorales the first run renders; None = all 413. That is about 105 CPU-seconds with
# FluidSynth (half parse + synthesis, half resampling), under 2 minutes on 2 cores, once.
DEFAULT_BACH_FILES = None


def _reason(err):
    text = str(err).splitlines()[0] if str(err).strip() else "not a readable audio file"
    return f"{type(err).__name__}: {text}"[:200]


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


def cut_clips(audio, rep):
    """Cuts mono audio float32 [samples] at ``rep.sample_rate`` into clips for ``rep``.

    Takes up to ``rep.clips_per_file`` consecutive clips of ``rep.clip_samples`` from the start,
    zero-pads the last one if the audio ends inside it, drops silent clips and normalizes the rest.

    Returns:
      (clips float32 [k, clip_samples], None) with 1 <= k <= clips_per_file, or (None, reason).
    """
    if len(audio) == 0:
        return None, "no audio samples"
    n = rep.clip_samples
    k = min(rep.clips_per_file, -(-len(audio) // n))
    clips = np.zeros((k, n), np.float32)
    clips.reshape(-1)[:min(len(audio), k * n)] = audio[:k * n]
    clips = clips[np.max(np.abs(clips), axis=1) >= SILENCE]
    if len(clips) == 0:
        return None, f"silent in the first {k * n / rep.sample_rate:g} s (peak below -80 dBFS)"
    return np.stack([normalize(c, rep.normalization) for c in clips]).astype(np.float32), None


def decode_file(name, path, data, rep):
    """Decodes one audio file into normalized clips; never raises.

    Args:
      name: file name (for messages only).
      path: file path, or None when ``data`` holds the bytes.
      data: file bytes, or None to read ``path``.
      rep: an ``AudioClip`` representation (sample rate in Hz, clip length in samples, ...).

    Returns:
      (clips float32 [k, clip_samples] in [-1, 1], None), or (None, reason) for an unreadable,
      empty or silent file. The audio is mixed down to mono and resampled to ``rep.sample_rate``.
    """
    import librosa

    # Only what the clips need is decoded (long files stay cheap); the margin keeps the
    # resampler's edge effect out of the last clip.
    seconds = rep.clips_per_file * rep.clip_samples / rep.sample_rate + 0.1
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # librosa's audioread fallback warns on every bad file.
            audio, _ = librosa.load(path if data is None else io.BytesIO(data), sr=rep.sample_rate,
                                    mono=True, duration=seconds)
    except Exception as err:  # Corrupt files raise anything from EOFError to NoBackendError.
        return None, _reason(err)
    if not np.all(np.isfinite(audio)):
        return None, "non-finite samples"
    return cut_clips(audio, rep)


# ---------------------------------------------------------------------------------------- sources

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
    """Turns ``--data`` specs into ``corpus.Source``s of audio files, in sorted, deterministic order.

    Args:
      specs: folders (searched recursively for ``AUDIO_EXTENSIONS``) or single audio files.
      genre: keep only files with a path component equal to it (GTZAN's ``genres/jazz/...``) or a
        name starting with ``<genre>.`` (GTZAN's ``jazz.00001.wav``); case-insensitive.

    Raises:
      UsageError: a path does not exist, a folder holds no audio, or the genre matches nothing.
    """
    return [_audio_source(spec, genre) for spec in specs]


# ------------------------------------------------------------------------ rendered Bach chorales

def _wav_name(name):
    """``bwv1.6.mxl`` -> ``bwv1.6-mxl.wav``: three chorales exist both as .mxl and .krn."""
    stem, ext = os.path.splitext(name)
    return f"{stem}-{ext[1:]}.wav"


def _render_job(args):
    """Renders one chorale to a 16-bit WAV; returns None, or the reason it failed."""
    name, path, out_path, render_rate, sample_rate, quiet = args
    from mguv import synth
    from mguv.data.parse import parse_file

    notes, reason = parse_file(name, path, None, BACH_STEPS_PER_BEAT)
    if notes is None:
        return reason
    try:
        import librosa
        import pretty_midi
        import soundfile

        synth._warned = synth._warned or quiet  # The parent has already said "sine waves".
        pm = pretty_midi.PrettyMIDI(initial_tempo=BACH_TEMPO)
        inst = pretty_midi.Instrument(program=BACH_PROGRAM)
        dt = 60.0 / (BACH_TEMPO * BACH_STEPS_PER_BEAT)
        # Voices in unison are one key on a piano: exact duplicates are played once.
        for pitch, start, end in np.unique(notes, axis=0):
            inst.notes.append(pretty_midi.Note(80, int(pitch), start * dt, end * dt))
        pm.instruments.append(inst)
        audio = synth.midi_to_audio(pm, render_rate)
        if sample_rate != render_rate:
            audio = librosa.resample(audio, orig_sr=render_rate, target_sr=sample_rate, res_type="soxr_hq")
        with atomic_path(out_path) as tmp:
            soundfile.write(tmp, np.clip(audio, -1.0, 1.0), sample_rate, subtype="PCM_16", format="WAV")
    except Exception as err:  # One chorale that fails to render is reported, not fatal.
        return _reason(err)
    return None


def rendered_bach_source(rep, max_files=DEFAULT_BACH_FILES, cache_dir=None, workers=None, progress=True):
    """The Bach chorales from music21 as WAVs at ``rep.sample_rate`` Hz, rendering what is missing.

    Each chorale is played at 100 quarter notes per minute on General MIDI piano, rendered with
    FluidSynth at 22,050 Hz (sine waves with a warning when FluidSynth is missing), resampled and
    written as 16-bit mono WAV to ``<cache_dir>/rendered-bach-<fluidsynth|sine>-<sample_rate>/``.
    Files already there are not rendered again.

    Args:
      rep: an ``AudioClip``; only ``sample_rate`` matters here.
      max_files: the first this many chorales (in music21's sorted order); None for all 413.
      cache_dir: None or "" for ``default_cache_dir()`` (the WAVs must live somewhere).
      workers: rendering processes; None for all cores.
      progress: show a tqdm progress bar on stderr.

    Returns:
      ``Source("bach (rendered)", items)`` over the rendered WAVs.
    """
    from mguv import synth
    from mguv.data.corpus import resolve

    try:
        chorales = resolve(["bach"])[0].items[:max_files]
    except ImportError:
        raise UsageError("the default audio corpus (rendered Bach chorales) needs music21; "
                         "pip install music21, or pass --data with audio files") from None
    synth_name = "fluidsynth" if synth.has_fluidsynth() else "sine"
    folder = os.path.join(cache_dir or default_cache_dir(),
                          f"rendered-bach-{synth_name}-{rep.sample_rate}")
    wavs = [os.path.join(folder, _wav_name(c.name)) for c in chorales]
    jobs = [(c.name, c.path, wav, max(RENDER_RATE, rep.sample_rate), rep.sample_rate,
             synth_name == "sine") for c, wav in zip(chorales, wavs) if not os.path.exists(wav)]
    if jobs:
        if synth_name == "sine":
            print("warning: FluidSynth not available; rendering the Bach chorales with sine waves "
                  "(pip install pyfluidsynth and apt-get install fluidsynth for a piano)", file=sys.stderr)
        results = run_jobs(_render_job, jobs, workers or os.cpu_count() or 1, "rendering bach", progress)
        failed = [(job[0], reason) for job, reason in zip(jobs, results) if reason]
        if failed:
            print(f"warning: {len(failed)} chorales could not be rendered "
                  f"(first: {failed[0][0]}: {failed[0][1]})", file=sys.stderr)
    items = [Item(os.path.basename(w), path=w) for w in wavs if os.path.exists(w)]
    if not items:
        raise UsageError("no Bach chorale could be rendered to audio; pass --data with audio files")
    return Source("bach (rendered)", tuple(items))


# --------------------------------------------------------------------------- decoding and caching

@dataclasses.dataclass
class DecodedSource:
    """The decoded files of one source.

    Attributes:
      label: the source as the user named it.
      names: names of the files that yielded clips, in source order.
      pcm: one int16 array [k, clip_samples] (16-bit PCM, full scale 32767) per decoded file.
      bad: (name, reason) for every file that was skipped.
      from_cache: whether this came from the cache without decoding.
    """

    label: str
    names: list
    pcm: list
    bad: list
    from_cache: bool = False


def _to_pcm(clips):
    return np.rint(np.clip(clips, -1.0, 1.0) * _PCM_SCALE).astype(np.int16)


def _decode_job(args):
    clips, reason = decode_file(*args)
    return (None, reason) if clips is None else (_to_pcm(clips), None)


def _cache_key(items, rep):
    return content_key(items, f"v{DECODER_VERSION}:sr{rep.sample_rate}:n{rep.clip_samples}:"
                              f"k{rep.clips_per_file}:{rep.normalization}")


def decode_source(source, rep, cache_dir=None, workers=None, progress=True):
    """Returns the ``DecodedSource`` for ``source`` (a ``corpus.Source``), from cache when possible.

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
    for item, (pcm, reason) in zip(source.items, results):
        if pcm is None:
            decoded.bad.append((item.name, reason))
        else:
            decoded.names.append(item.name)
            decoded.pcm.append(pcm)
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
                bad_names=np.asarray([b[0] for b in decoded.bad], dtype=str),
                bad_reasons=np.asarray([b[1] for b in decoded.bad], dtype=str),
            )


def _load(path, label):
    with np.load(path, allow_pickle=False) as z:
        offsets, pcm = z["offsets"], z["pcm"]
        return DecodedSource(
            label=label,
            names=[str(n) for n in z["names"]],
            pcm=[pcm[a:b] for a, b in zip(offsets[:-1], offsets[1:])],
            bad=list(zip((str(n) for n in z["bad_names"]), (str(r) for r in z["bad_reasons"]))),
            from_cache=True,
        )


@dataclasses.dataclass
class Clips:
    """Audio clips of a whole corpus.

    Attributes:
      x: float32 [num_clips, clip_samples] in [-1, 1], mono at the representation's sample rate.
      file_id: int [num_clips], index into ``files``.
      files: (source label, file name) per usable file.
      report: counts for the user (per-source files/decoded/bad/clips/from_cache, bad files).
    """

    x: np.ndarray
    file_id: np.ndarray
    files: list
    report: dict

    def __len__(self):
        return len(self.x)


def load_clips(specs, rep, genre=None, cache_dir=None, workers=None, progress=True):
    """Resolves, decodes (cached) and clips an audio corpus for representation ``rep``.

    Args:
      specs: folders or audio files; None or [] for the rendered Bach chorales.
      rep: an ``AudioClip`` representation.
      genre: a GTZAN-style genre filter (see ``resolve_audio``).
      cache_dir: None for ``default_cache_dir()``, "" to disable the clip cache.
      workers: decoder (and renderer) processes; None for all cores.
      progress: show tqdm progress bars on stderr.

    Raises:
      UsageError: a spec is bad, or no file in the whole corpus yields a clip.
    """
    if specs:
        sources = resolve_audio(specs, genre)
    elif genre:
        raise UsageError(f"--genre {genre} needs --data with a genre-labelled audio folder (e.g. GTZAN)")
    else:
        sources = [rendered_bach_source(rep, cache_dir=cache_dir, workers=workers, progress=progress)]
    pcm, file_id, files = [], [], []
    report = {"sources": {}, "bad_files": [], "sample_rate": rep.sample_rate,
              "clip_seconds": rep.clip_seconds}
    for source in sources:
        decoded = decode_source(source, rep, cache_dir=cache_dir, workers=workers, progress=progress)
        for name, clips in zip(decoded.names, decoded.pcm):
            pcm.append(clips)
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
    return Clips(x, np.concatenate(file_id), files, report)


def describe(report):
    """One line per source plus totals, for the console."""
    from mguv.data.corpus import describe_sources

    lines = describe_sources(report, unit="clips", done="decoded")
    minutes = report["clips"] * report["clip_seconds"] / 60
    lines.append(f"  {report['clips']} clips of {report['clip_seconds']:g} s at {report['sample_rate']} Hz "
                 f"({minutes:.1f} min of audio)")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------- tf.data

def make_audio_dataset(x, batch_size, shuffle=False, seed=0, drop_remainder=False):
    """Batches clips into a ``tf.data.Dataset`` of float32 [batch, clip_samples, 1] in [-1, 1].

    Args:
      x: float array [num_clips, clip_samples].
      batch_size: clips per batch.
      shuffle: reshuffle every epoch (seeded).
      seed: shuffle seed.
      drop_remainder: drop a last partial batch.
    """
    import tensorflow as tf

    from mguv.data.pipeline import with_data_sharding

    # The clips are held once as a tensor and batches gathered by index, so shuffling keeps a
    # buffer of indices instead of a second copy of the audio.
    clips = tf.constant(np.asarray(x, np.float32))
    ds = tf.data.Dataset.range(len(x))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=drop_remainder)
    ds = ds.map(lambda i: tf.gather(clips, i)[..., None], num_parallel_calls=tf.data.AUTOTUNE)
    return with_data_sharding(ds.prefetch(tf.data.AUTOTUNE))
