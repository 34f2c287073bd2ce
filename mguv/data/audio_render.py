"""The Bach chorales shipped inside music21, rendered to WAV once: the default audio corpus.

Each chorale is played on General MIDI piano by FluidSynth when it is installed (else sine waves,
with a warning), resampled to the representation's rate and kept in the cache folder.

This module must not import TensorFlow: it runs in renderer worker processes.
"""

import os
import sys

import numpy as np

from mguv import synth
from mguv.data.audio_files import error_reason
from mguv.data.cache import default_cache_dir, run_jobs
from mguv.data.corpus import resolve
from mguv.data.parse import parse_file
from mguv.data.types import Item, Source
from mguv.errors import UsageError
from mguv.io import atomic_path

BACH_STEPS_PER_BEAT = 4
BACH_TEMPO = 100.0  # quarter notes per minute
BACH_PROGRAM = 0  # General MIDI acoustic grand piano
# FluidSynth does not run below 8 kHz, so chorales are rendered at 22.05 kHz (or the target rate,
# if higher) and resampled to the representation's rate.
RENDER_RATE = 22050
# How many chorales the first run renders; None = all 413. That is about 105 CPU-seconds with
# FluidSynth (half parse + synthesis, half resampling), under 2 minutes on 2 cores, once.
DEFAULT_BACH_FILES = None


def _wav_name(name):
    """``bwv1.6.mxl`` -> ``bwv1.6-mxl.wav``: three chorales exist both as .mxl and .krn."""
    stem, ext = os.path.splitext(name)
    return f"{stem}-{ext[1:]}.wav"


def _render_job(args):
    """Renders one chorale to a 16-bit WAV; returns None, or the reason it failed."""
    name, path, out_path, render_rate, sample_rate, quiet = args
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
        return error_reason(err)
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
