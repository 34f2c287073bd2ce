"""mguv.plots draws with its own Agg canvases: the process's matplotlib backend is left alone."""

import subprocess
import sys

from conftest import REPO

# Runs in a fresh interpreter, so the backend it starts with is the one this script sets, whatever
# other tests in this process did to matplotlib.
SCRIPT = r"""
import sys, types

import matplotlib
matplotlib.use("svg")  # stands for a notebook's inline backend or a GUI one: anything but Agg
import matplotlib.pyplot as plt
import numpy as np

import mguv.plots as plots

out = sys.argv[1]
rng = np.random.default_rng(0)
rep = types.SimpleNamespace(min_pitch=48, num_pitches=6, onsets=False)
plots.loss_curves({"epoch": np.arange(3), "loss": np.array([3.0, 2.0, 1.5]),
                   "val_loss": np.array([3.1, 2.2, 1.9])}, f"{out}/loss.png", terms=("loss",))
plots.piano_rolls(rng.random((3, 16, 6)) > 0.7, f"{out}/rolls.png", titles=["a", "b", "c"], cols=2)
plots.per_pitch_f1(rng.random(6), rng.integers(0, 50, 6), rep, f"{out}/f1.png")
plots.latent_scatter(rng.normal(size=(20, 2)), rng.random(20), "PCA", f"{out}/scatter.png")
plots.bars(rng.random(5), f"{out}/bars.png", "dimension", "KL")
plots.waveforms_and_spectrograms(np.sin(np.arange(2 * 3000) / 5.0).reshape(2, 3000), 3000,
                                 f"{out}/waves.png")
print(matplotlib.get_backend(), len(plt.get_fignums()))
"""
PNGS = ["loss.png", "rolls.png", "f1.png", "scatter.png", "bars.png", "waves.png"]


def test_drawing_leaves_the_backend_and_pyplot_alone(tmp_path):
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path)], cwd=REPO, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    backend, open_figures = result.stdout.split()
    assert backend == "svg"  # mguv.plots used to switch every importer to Agg
    assert open_figures == "0"  # and no figure lingers in pyplot's list
    for name in PNGS:
        data = (tmp_path / name).read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 2000, name
