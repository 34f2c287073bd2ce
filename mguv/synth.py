"""Render MIDI to audio so people can listen: FluidSynth when installed, else sine synthesis."""

import sys
import warnings

import numpy as np

_warned = False


def has_fluidsynth():
    """True when pyfluidsynth and libfluidsynth can be loaded."""
    try:
        import fluidsynth  # noqa: F401
    except Exception:  # ImportError, or OSError when the shared library is missing.
        return False
    return True


def midi_to_audio(pm, sample_rate=22050):
    """Renders a ``pretty_midi.PrettyMIDI`` to mono float32 audio [samples] in [-1, 1] at ``sample_rate`` Hz.

    Uses FluidSynth with pretty_midi's bundled General MIDI SoundFont when available; otherwise
    falls back to ``PrettyMIDI.synthesize`` (sine waves) with a one-line warning.
    """
    global _warned
    audio = None
    if has_fluidsynth():
        try:
            audio = pm.fluidsynth(fs=sample_rate)
        except Exception:
            audio = None
    if audio is None:
        if not _warned:
            print("warning: FluidSynth not available; rendering with sine waves "
                  "(pip install pyfluidsynth and apt-get install fluidsynth for real instruments)",
                  file=sys.stderr)
            _warned = True
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            audio = pm.synthesize(fs=sample_rate)
    if len(audio) == 0:  # An empty MIDI renders to nothing; give players a short silence instead.
        audio = np.zeros(sample_rate // 10)
    peak = np.max(np.abs(audio))
    return (audio / peak * 0.9 if peak > 0 else audio).astype(np.float32)


def write_wav(pm, path, sample_rate=22050):
    """Renders ``pm`` and writes a 16-bit WAV at ``path`` atomically."""
    import soundfile

    from mguv.io import atomic_path

    with atomic_path(path) as tmp:
        soundfile.write(tmp, midi_to_audio(pm, sample_rate), sample_rate, subtype="PCM_16", format="WAV")
