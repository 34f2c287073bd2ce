"""Figures: loss curves, piano-rolls, per-pitch F1, latent scatter plots. All write PNGs atomically.

Figures are ``matplotlib.figure.Figure`` objects drawn by Agg, never pyplot's: importing this module
or drawing leaves the process's backend and pyplot's figure list alone (a notebook keeps its inline
backend, a script its GUI one).
"""

import csv

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from mguv.io import atomic_path


def _figure(rows=1, cols=1, **kwargs):
    """A Figure with Agg as its own canvas and its axes (a [rows, cols] array), outside pyplot.
    ``kwargs`` go to ``Figure`` (figsize, layout)."""
    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(rows, cols, squeeze=False)


def _save(fig, path):
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")


def read_history(csv_path):
    """Reads a Keras CSVLogger file into {column: float array}; later rows win for repeated epochs
    (a resumed run appends)."""
    rows = {}
    with open(csv_path) as f:
        for row in csv.DictReader(f):
            rows[int(row["epoch"])] = row
    epochs = sorted(rows)
    columns = [c for c in (rows[epochs[0]] if epochs else {}) if c != "epoch"]
    history = {"epoch": np.asarray(epochs)}
    for c in columns:
        history[c] = np.asarray([float(rows[e][c]) if rows[e].get(c) not in ("", None) else np.nan
                                 for e in epochs])
    return history


def loss_curves(history, path, terms=("loss", "recon", "kl")):
    """One panel per term (nats per segment), train and validation against epoch."""
    terms = [t for t in terms if t in history]
    fig, axes = _figure(1, len(terms), figsize=(4.2 * len(terms), 3.2))
    epochs = history["epoch"] + 1
    for ax, term in zip(axes[0], terms):
        ax.plot(epochs, history[term], "o-", label="train", ms=3)
        if f"val_{term}" in history:
            ax.plot(epochs, history[f"val_{term}"], "o-", label="validation", ms=3)
        ax.set_title(term)
        ax.set_xlabel("epoch")
        ax.set_ylabel("nats / segment")
        ax.grid(alpha=0.3)
        ax.legend()
    _save(fig, path)


def piano_rolls(rolls, path, titles=None, rep=None, cols=4, panel_width=3.2):
    """Draws rolls [n, steps, channels] (0/1 or probabilities) in a grid; pitch on the y axis (MIDI
    numbers if ``rep``). With ``rep.onsets`` a sounding cell is grey and a note's first step black,
    so repeated notes show as separate notes."""
    rolls = np.asarray(rolls, np.float32)
    if rep is not None and rep.onsets:
        if np.isin(rolls, (0.0, 1.0)).all():  # a roll: black where the written MIDI starts a note
            from mguv.data.roll import onset_cells

            starts = onset_cells(rolls, rep).astype(np.float32)
        else:  # probabilities: the onset channels as they are
            starts = rolls[..., rep.num_pitches:]
        rolls = np.maximum(0.55 * rep.frames(rolls), starts)
    n = len(rolls)
    cols = min(cols, n)
    rows = int(np.ceil(n / cols))
    fig, axes = _figure(rows, cols, figsize=(panel_width * cols, 2.4 * rows), layout="constrained")
    low = rep.min_pitch if rep else 0
    for i, ax in enumerate(axes.flat):
        if i >= n:
            ax.axis("off")
            continue
        ax.imshow(rolls[i].T, origin="lower", aspect="auto", cmap="Greys", vmin=0, vmax=1,
                  interpolation="nearest", extent=(0, rolls.shape[1], low - 0.5, low + rolls.shape[2] - 0.5))
        if titles:
            ax.set_title(titles[i], fontsize=9)
        ax.set_xlabel("step", fontsize=8)
        ax.set_ylabel("pitch", fontsize=8)
        ax.tick_params(labelsize=7)
    _save(fig, path)


def per_pitch_f1(f1, support, rep, path):
    """Bar plot of F1 per pitch column; ``support`` (active cells per pitch) on a second axis."""
    pitches = np.arange(rep.min_pitch, rep.min_pitch + rep.num_pitches)
    fig, [[ax]] = _figure(figsize=(10, 3.2))
    ax.bar(pitches, f1, color="tab:blue")
    ax.set_xlabel("MIDI pitch")
    ax.set_ylabel("F1")
    ax.set_ylim(0, 1)
    ax2 = ax.twinx()
    ax2.plot(pitches, support, "k.", ms=4)
    ax2.set_ylabel("active cells (dots)")
    ax2.set_yscale("symlog")
    _save(fig, path)


def latent_scatter(points, colour, title, path, colour_label="note density"):
    """2-D scatter of latent projections [n, 2], coloured by a per-point value."""
    fig, [[ax]] = _figure(figsize=(4.8, 4.2))
    sc = ax.scatter(points[:, 0], points[:, 1], c=colour, s=5, cmap="viridis")
    fig.colorbar(sc, ax=ax, label=colour_label)
    ax.set_title(title)
    _save(fig, path)


def bars(values, path, xlabel, ylabel, title=""):
    """A plain bar plot of ``values`` against their index."""
    fig, [[ax]] = _figure(figsize=(8, 3))
    ax.bar(np.arange(len(values)), values)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    _save(fig, path)


def _waveform(ax, wave, sample_rate, points=2000):
    """Draws a waveform as its min/max envelope over ``points`` bins (fast for 90,000 samples,
    unlike librosa's waveshow, which redraws the figure per panel)."""
    n = len(wave)
    bins = max(1, min(points, n))
    edges = np.linspace(0, n, bins + 1).astype(int)
    lo = np.array([wave[a:b].min() if b > a else 0.0 for a, b in zip(edges[:-1], edges[1:])])
    hi = np.array([wave[a:b].max() if b > a else 0.0 for a, b in zip(edges[:-1], edges[1:])])
    t = edges[:-1] / sample_rate
    ax.fill_between(t, lo, hi, linewidth=0, color="tab:blue")
    ax.set_xlim(0, n / sample_rate)
    ax.set_ylim(-1, 1)
    ax.set_xlabel("Time (s)")


def waveforms_and_spectrograms(waves, sample_rate, path, titles=None, cols=4):
    """For each waveform [n, samples] (in [-1, 1] at ``sample_rate`` Hz): the waveform envelope above
    its log-magnitude spectrogram (librosa's specshow), the seed notebook's figure."""
    import librosa
    import librosa.display

    waves = np.asarray(waves)
    n = len(waves)
    cols = min(cols, n)
    rows = int(np.ceil(n / cols))
    fig, axes = _figure(2 * rows, cols, figsize=(3.6 * cols, 4.4 * rows), layout="constrained")
    n_fft = 256 if sample_rate <= 8000 else 2048
    for i in range(rows * cols):
        top, bottom = axes[2 * (i // cols), i % cols], axes[2 * (i // cols) + 1, i % cols]
        if i >= n:
            top.axis("off")
            bottom.axis("off")
            continue
        _waveform(top, waves[i], sample_rate)
        top.set_title(titles[i] if titles else f"clip {i}", fontsize=9)
        spec = librosa.amplitude_to_db(np.abs(librosa.stft(waves[i], n_fft=n_fft, hop_length=n_fft // 4)),
                                       ref=1.0, top_db=80)
        # One colour map for every panel (librosa picks one per panel from the data's signs otherwise).
        librosa.display.specshow(spec, sr=sample_rate, hop_length=n_fft // 4, x_axis="time", y_axis="hz",
                                 ax=bottom, vmin=-80, vmax=spec.max(), cmap="magma")
    _save(fig, path)
