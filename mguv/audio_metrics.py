"""What a listener would notice in a clip, measured with librosa on numpy waveforms: whether a
reconstruction keeps the notes (chroma agreement), what kind of sound a clip is (spectral
flatness, chroma entropy, how fast its chroma changes), and tones at the decoder's stride
frequencies.

Waveforms are float [samples] in [-1, 1] at ``sr`` Hz; ``length`` is a clip's valid samples (the
rest is zero padding) or None for all of them. Chroma comes from an STFT (``CHROMA_FFT`` samples,
341 ms at 3 kHz: 2.9 Hz bins, a semitone apart from about 50 Hz up) because a CQT needs
fmax < sr / 2, which the 3 kHz clips leave too little room for.
"""

import numpy as np

CHROMA_FFT = 1024
CHROMA_HOP = 256
ACTIVE_DB = 40.0        # a frame counts when within this many dB of the clip's loudest frame ...
SILENT_ENERGY = 1e-6    # ... and its mean power is above this (-60 dBFS)
FLUX_SECONDS = 0.5      # chroma change is measured between frames this far apart
STATISTICS = ("spectral_flatness", "chroma_entropy", "chroma_flux")


def _power(wave, length):
    import librosa

    wave = np.asarray(wave, np.float32).reshape(-1)
    if length is not None:
        wave = wave[:max(int(length), 1)]
    if len(wave) < CHROMA_FFT:
        wave = np.pad(wave, (0, CHROMA_FFT - len(wave)))
    return np.abs(librosa.stft(wave, n_fft=CHROMA_FFT, hop_length=CHROMA_HOP)) ** 2  # [bins, frames]


def _active(power):
    """bool [frames]: frames with sound (see ACTIVE_DB, SILENT_ENERGY)."""
    energy = power.mean(axis=0) / (0.375 * CHROMA_FFT)  # the frame's mean square (Hann: sum w^2 = 3N/8)
    if energy.size == 0 or energy.max() <= SILENT_ENERGY:
        return np.zeros(energy.shape, bool)
    return (energy >= energy.max() * 10.0 ** (-ACTIVE_DB / 10.0)) & (energy > SILENT_ENERGY)


def chroma(power, sr):
    """Chroma [12, frames] (unnormalized energy per pitch class, C first) of an STFT power
    spectrogram [1 + CHROMA_FFT / 2, frames], in equal temperament at A4 = 440 Hz."""
    import librosa

    return librosa.feature.chroma_stft(S=power, sr=sr, n_fft=CHROMA_FFT, tuning=0.0, norm=None)


def _cosine(a, b):
    """Per-frame cosine of chroma [12, frames] a and b; 0 where either is silent."""
    norm = np.linalg.norm(a, axis=0) * np.linalg.norm(b, axis=0)
    return np.where(norm > 0, (a * b).sum(axis=0) / np.maximum(norm, 1e-30), 0.0)


def chroma_agreement(original, reconstruction, sr, length=None):
    """How well a reconstruction keeps the notes: the cosine between the chroma vectors of original
    and reconstruction, per frame, averaged over the frames where the original sounds (a silent
    reconstruction frame scores 0). 1 = the same pitch classes in the same proportions.

    Returns a float in [0, 1], or NaN when the original has no sounding frame.
    """
    p, q = _power(original, length), _power(reconstruction, length)
    active = _active(p)
    if not active.any():
        return float("nan")
    return float(_cosine(chroma(p, sr), chroma(q, sr))[active].mean())


def clip_statistics(wave, sr, length=None):
    """{statistic: value} of one clip, over its sounding frames (NaN for each when it has none):

      spectral_flatness  geometric / arithmetic mean of the power spectrum (librosa), averaged
                         over frames: near 0 for tones, near 1 for white noise
      chroma_entropy     entropy of each frame's chroma as a distribution over the 12 pitch
                         classes, in bits, averaged: low for a few notes, log2(12) = 3.58 for none
      chroma_flux        1 - cosine between the chroma of frames ``FLUX_SECONDS`` apart,
                         averaged: 0 for a sound whose notes never change
    """
    import librosa

    power = _power(wave, length)
    active = _active(power)
    if not active.any():
        return {name: float("nan") for name in STATISTICS}
    flatness = librosa.feature.spectral_flatness(S=np.sqrt(power), power=2.0)[0]
    c = chroma(power, sr)
    p = c / np.maximum(c.sum(axis=0, keepdims=True), 1e-30)
    entropy = -(p * np.log2(np.maximum(p, 1e-30))).sum(axis=0)
    lag = max(1, int(round(FLUX_SECONDS * sr / CHROMA_HOP)))
    both = active[:-lag] & active[lag:]
    flux = 1.0 - _cosine(c[:, :-lag], c[:, lag:])[both].mean() if both.any() else float("nan")
    return {"spectral_flatness": float(flatness[active].mean()), "chroma_entropy": float(entropy[active].mean()),
            "chroma_flux": float(flux)}


def statistics_of(waves, sr, lengths=None):
    """{statistic: float64 [n]} over clips waves [n, samples] (or [n, samples, 1])."""
    waves = np.asarray(waves).reshape(len(waves), -1)
    rows = [clip_statistics(w, sr, None if lengths is None else lengths[i]) for i, w in enumerate(waves)]
    return {name: np.array([r[name] for r in rows], np.float64) for name in STATISTICS}


def compare_to_real(stats, real):
    """Summaries of clip statistics (``statistics_of``) next to those of real clips: per statistic
    the mean and std over clips with sound, and the 1-Wasserstein distance between the two
    distributions (in the statistic's units; 0 = the same distribution). NaN when either side has
    no clip with sound."""
    from scipy.stats import wasserstein_distance

    out = {}
    for name in STATISTICS:
        a, b = stats[name][np.isfinite(stats[name])], real[name][np.isfinite(real[name])]
        out[name] = {"mean": float(a.mean()) if len(a) else float("nan"),
                     "std": float(a.std()) if len(a) else float("nan"),
                     "w1_to_real": float(wasserstein_distance(a, b)) if len(a) and len(b) else float("nan")}
    out["silent_clips"] = int(np.sum(~np.isfinite(stats[STATISTICS[0]])))
    return out


def periodic_level_db(wave, period):
    """The level of what repeats every ``period`` samples in ``wave`` [samples], in dB re a
    full-scale sine: the power at sample_rate / period and its multiples (a transposed
    convolution of stride s, after upsampling by the strides below it, repeats with the product
    of those strides). The mean over periods is the repeating part, its variance its power (an
    eighth of the clip at either edge, where the convolutions see zero padding, is left out).
    -200 dB for none."""
    wave = np.asarray(wave, np.float64).reshape(-1)
    edge = max(2 * period, len(wave) // 8)
    usable = wave[edge: len(wave) - edge]
    usable = usable[: len(usable) // period * period].reshape(-1, period)
    if len(usable) == 0:
        return float("nan")
    profile = usable.mean(axis=0)
    power = float(np.mean((profile - profile.mean()) ** 2))
    return float(10.0 * np.log10(max(power / 0.5, 1e-20)))


def representative_clips(lengths, n=4):
    """Indices of up to ``n`` clips worth showing: spread evenly over the clips that are at least
    half as long (valid samples ``lengths`` [clips]) as the longest, so a figure shows music
    rather than the padding of short files. Returns int64 [min(n, clips)], sorted."""
    lengths = np.asarray(lengths)
    if len(lengths) == 0:
        return np.zeros(0, np.int64)
    long = np.nonzero(lengths >= 0.5 * lengths.max())[0]
    if len(long) < n:
        rest = [i for i in np.argsort(-lengths, kind="stable") if i not in set(long)]
        long = np.concatenate([long, rest[: n - len(long)]]).astype(np.int64)
    k = min(n, len(long))
    return np.sort(long[(np.arange(k) * len(long)) // max(k, 1)])
