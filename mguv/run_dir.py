"""The run folder: what ``train.py`` writes, and how everything else reads it back.

RUN/
  config.json          resolved config + data specs (+ genre)
  representation.json  the representation (generation reads it back)
  data.json            corpus report: per-source segments, skipped files, split
  checkpoints/best.weights.h5 + best.json (its epoch and monitored value), backup/
                       (BackupAndRestore; removed when a run completes)
  model.keras          the best weights, full model
  history.csv, logs/   CSVLogger, TensorBoard
  plots/               loss.png, reconstructions.png, samples.png (piano-rolls or waveforms)
  samples/             prior samples (*.mid or *.wav)
  saved_model/         TF SavedModel (see mguv.export)
  summary.json         what training measured; metrics.json: what mguv.evaluate measured
  prior/               two-stage families (vq_vae): the code prior's history.csv, checkpoints/,
                       backup/ and model.keras, laid out as a run folder of its own

Reading a run needs no training code: evaluation, the trained-model facade and the benchmarks
come here.
"""

import dataclasses
import json
import os

import numpy as np

from mguv.errors import UsageError, first_line
from mguv.io import atomic_path, write_json


@dataclasses.dataclass(frozen=True)
class RunPaths:
    """Every path inside a run directory ``root``."""

    root: str

    def _join(self, *parts):
        return os.path.join(self.root, *parts)

    config = property(lambda self: self._join("config.json"))
    representation = property(lambda self: self._join("representation.json"))
    data = property(lambda self: self._join("data.json"))
    best_weights = property(lambda self: self._join("checkpoints", "best.weights.h5"))
    best_record = property(lambda self: self._join("checkpoints", "best.json"))
    backup = property(lambda self: self._join("backup"))
    model = property(lambda self: self._join("model.keras"))
    history = property(lambda self: self._join("history.csv"))
    logs = property(lambda self: self._join("logs"))
    plots = property(lambda self: self._join("plots"))
    samples = property(lambda self: self._join("samples"))
    saved_model = property(lambda self: self._join("saved_model"))
    summary = property(lambda self: self._join("summary.json"))
    metrics = property(lambda self: self._join("metrics.json"))

    @property
    def exported(self):
        """True once the run's SavedModel has been written (saved_model/saved_model.pb)."""
        return os.path.isfile(os.path.join(self.saved_model, "saved_model.pb"))

    @property
    def prior(self):
        """The paths of stage two (the code prior of a two-stage family), a run folder of its own."""
        return RunPaths(self._join("prior"))


# What a run writes: ``clear_run`` removes exactly these, so a user's other files in the folder stay.
RUN_OUTPUTS = ("config", "representation", "data", "best_weights", "best_record", "backup", "model", "history",
               "logs", "plots", "samples", "saved_model", "summary", "metrics")


def clear_run(paths):
    """Removes the outputs of an earlier run from ``paths.root`` (``--overwrite``, once everything
    about the new run has been checked), including its TensorBoard events and its prior stage."""
    import shutil

    for name in RUN_OUTPUTS:
        path = getattr(paths, name)
        if os.path.isdir(path):
            shutil.rmtree(path)
        elif os.path.exists(path):
            os.remove(path)
    if os.path.isdir(paths.prior.root):
        shutil.rmtree(paths.prior.root)


def config_differences(run_dir, config, data_specs):
    """The settings in which ``config`` and ``data_specs`` differ from those RUN/config.json
    recorded, as ["train.learning_rate: 0.001 -> 0.01", ...] (empty: the same run)."""
    path = RunPaths(os.fspath(run_dir)).config
    try:
        with open(path) as f:
            saved = json.load(f)
    except (OSError, ValueError):
        return []
    old = _flat({**saved.get("config", {}), "data": saved.get("data", [])})
    new = _flat({**json.loads(json.dumps(config.to_dict())), "data": list(data_specs)})
    return [f"{key}: {old.get(key)} -> {new.get(key)}" for key in sorted(set(old) | set(new))
            if old.get(key) != new.get(key) and key not in ("name", "description")]


def _flat(d, prefix=""):
    out = {}
    for key, value in d.items():
        if isinstance(value, dict):
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def read_run_config(run_dir):
    """(config, data specs, genre) from ``RUN/config.json``; an unreadable file is a ``UsageError``."""
    from mguv import configs

    path = RunPaths(os.fspath(run_dir)).config
    try:
        with open(path) as f:
            saved = json.load(f)
        config = configs.from_dict(saved["config"])
        return config, [str(s) for s in saved.get("data", [])], saved.get("genre")
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise UsageError(f"{path} is unreadable: {first_line(err)}") from None


def write_run_files(paths, config, data_specs, genre, data, train_idx, val_idx):
    """Writes config.json, representation.json and data.json (the corpus report and the split) of
    a run about to train on ``data`` (a ``Segments`` or ``Clips``) split into the index arrays."""
    t = config.train
    write_json(paths.config, {"config": config.to_dict(), "data": list(data_specs), "genre": genre})
    with atomic_path(paths.representation) as tmp:
        with open(tmp, "w") as f:
            f.write(config.representation.to_json())
    val_files = sorted({data.files[i] for i in np.unique(data.file_id[val_idx])})
    write_json(paths.data, {**data.report, "split": {
        "by": t.split, "seed": t.seed, "train_segments": int(len(train_idx)),
        "val_segments": int(len(val_idx)), "val_files": [f"{s}/{n}" for s, n in val_files]}})


def recorded_val_segments(run_dir):
    """The number of validation examples the run recorded at training, or None if unknown."""
    try:
        with open(RunPaths(os.fspath(run_dir)).data) as f:
            return json.load(f)["split"]["val_segments"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def saved_model_dir(path):
    """Accepts a run directory or a SavedModel directory; returns the SavedModel directory."""
    if not os.path.isdir(path):
        raise UsageError(f"{path}: no such run directory")
    if os.path.exists(os.path.join(path, "saved_model.pb")):
        return path
    inner = RunPaths(path)
    if inner.exported:
        return inner.saved_model
    raise UsageError(f"{path}: no SavedModel here (expected {inner.saved_model}); has the run finished training?")


def run_root(path):
    """The run directory that holds ``path`` (a run, or its saved_model/), or None for a bare
    SavedModel."""
    for root in (path, os.path.dirname(os.path.abspath(saved_model_dir(path)))):
        if os.path.isfile(RunPaths(root).config):
            return root
    return None


def load_run(run_dir):
    """Reads a finished run: returns (model, config, data specs, genre).

    Raises:
      UsageError: the folder does not exist, is not a finished run, or its files are unreadable.
    """
    paths = RunPaths(os.fspath(run_dir))
    if not os.path.exists(paths.root):
        raise UsageError(f"run {paths.root} does not exist")
    if not os.path.isdir(paths.root):
        raise UsageError(f"run {paths.root} is not a folder")
    if not os.path.isfile(paths.config):
        raise UsageError(f"run {paths.root} has no config.json; is it a run folder made by train.py?")
    shipped = not os.path.isfile(paths.model) and paths.exported
    if not (os.path.isfile(paths.model) or shipped):
        raise UsageError(f"run {paths.root} has no model.keras; train.py writes it when training "
                         "finishes (rerun the training command to finish an interrupted run)")
    config, data_specs, genre = read_run_config(paths.root)
    if shipped:  # a shipped model (mguv.pretrained): its weights live in the SavedModel only
        from mguv.export import restore_weights

        model = config.build_model()
        try:
            restore_weights(model, paths.saved_model)
        except Exception as err:
            raise UsageError(f"{paths.saved_model} cannot be loaded into {config.name}: {first_line(err)}") from None
        return model, config, data_specs, genre

    import zipfile

    from mguv.models.saving import load_model

    try:
        with zipfile.ZipFile(paths.model) as archive:
            damaged = archive.testzip()
    except (OSError, zipfile.BadZipFile):
        damaged = paths.model
    if damaged is not None:
        raise UsageError(f"{paths.model} is damaged (not a complete .keras archive; truncated?); the best "
                         f"weights are in {paths.best_weights} if that exists, else retrain")
    try:
        model = load_model(paths.model)
    except Exception as err:  # a corrupt or foreign file: Keras raises many kinds
        raise UsageError(f"{paths.model} cannot be loaded: {first_line(err)}") from None
    return model, config, data_specs, genre

