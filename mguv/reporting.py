"""What a person looks at and listens to: figures of examples and the example files themselves.

One place for the figures of a run (loss curves, reconstructions, prior samples) and for the files
that generation writes (MIDI or WAV with a PNG each), for both modes: piano-rolls are drawn as
rolls, waveforms as a waveform over its spectrogram (``mguv.plots`` draws them).
"""

import os

import numpy as np

from mguv import plots
from mguv.data.converters import converter_for

# Titles of the reconstruction figure's three columns when a model gives none of its own.
RECONSTRUCTION_TITLES = {
    # The original, the decoder fed the true history, and the decoder running free from the mean.
    "symbolic": ("original", "teacher-forced p", "free-running from mean"),
    # The audio decoder is not autoregressive: both columns decode the posterior mean, the second
    # through generate(), the path the SavedModel exports.
    "audio": ("original", "reconstruction from mean", "same via decode (export path)"),
}


def plot_examples(rep, examples, path, titles, cols=4):
    """Draws examples [n, *rep.shape] (rolls, or waveforms [n, samples, 1]) into one PNG."""
    if rep.mode == "audio":
        plots.waveforms_and_spectrograms(np.asarray(examples)[..., 0], rep.sample_rate, path, titles, cols=cols)
    else:
        plots.piano_rolls(examples, path, titles, rep, cols=cols)


def write_examples(rep, examples, out, stem, titles, wav=False):
    """Writes OUT/STEM_XX.mid (or .wav) with a STEM_XX.png each, and a grid of all in STEM.png.

    Args:
      examples: [n, *rep.shape], rolls in {0, 1} or waveforms in [-1, 1].
      wav: symbolic mode: also render each MIDI file to STEM_XX.wav (FluidSynth if installed,
        else sine waves).

    Returns the paths of the MIDI/WAV files.
    """
    converter = converter_for(rep)
    os.makedirs(out, exist_ok=True)
    paths = []
    for i, example in enumerate(examples):
        path = os.path.join(out, f"{stem}_{i:02d}{converter.extension}")
        converter.write(example, path)
        plot_examples(rep, example[None], os.path.join(out, f"{stem}_{i:02d}.png"), [titles[i]])
        if wav and rep.mode == "symbolic":
            from mguv.data.roll import roll_to_midi
            from mguv.synth import write_wav

            write_wav(roll_to_midi(example, rep), os.path.join(out, f"{stem}_{i:02d}.wav"))
        paths.append(path)
    plot_examples(rep, examples, os.path.join(out, f"{stem}.png"), titles, cols=min(len(examples), 4))
    return paths


def figure_examples(rep, x, n=4):
    """The ``n`` validation examples a run's figure shows, and how many samples (steps) of each:
    the first rolls; for audio, clips with content spread over the split, cut after the longest
    valid part among them (``audio_metrics.representative_clips``), so a short file's zero padding
    is not what the figure shows. Returns (indices int [<=n], length)."""
    if rep.mode != "audio":
        return np.arange(min(n, len(x))), None
    from mguv.audio_metrics import representative_clips
    from mguv.data.audio_files import valid_lengths

    lengths = valid_lengths(x)
    shown = representative_clips(lengths, n)
    return shown, int(max(lengths[shown].max(), 1)) if len(shown) else None


def write_run_report(model, rep, val_x, paths, num_samples, seed):
    """The figures and samples of a trained run (``paths``: its ``RunPaths``): loss curves,
    reconstructions of four validation examples (``figure_examples``; for a model that
    reconstructs), and ``num_samples`` prior samples at temperature 1 as files (RUN/samples) and a
    figure."""
    plots.loss_curves(plots.read_history(paths.history), os.path.join(paths.plots, "loss.png"))
    shown, length = figure_examples(rep, val_x)
    x = np.asarray(val_x[shown], np.float32)
    pairs = model.reconstructions(x)
    if pairs is not None:
        first, second = (np.asarray(p)[:, :length] for p in pairs)
        x = x[:, :length]
        names = model.reconstruction_titles or RECONSTRUCTION_TITLES[rep.mode]
        examples, titles = [], []
        for i in range(len(x)):
            examples += [x[i], first[i], second[i]]
            titles += [f"{names[0]} {i}", names[1], names[2]]
        plot_examples(rep, examples, os.path.join(paths.plots, "reconstructions.png"), titles, cols=3)

    if num_samples < 1:  # train.py --samples 0
        return
    samples = np.asarray(model.sample(num_samples, 1.0, [seed, 0])[1])
    converter = converter_for(rep)
    for i, example in enumerate(samples):
        converter.write(example, os.path.join(paths.samples, f"sample_{i:02d}{converter.extension}"))
    plot_examples(rep, samples, os.path.join(paths.plots, "samples.png"),
                  [f"sample {i}" for i in range(len(samples))])
