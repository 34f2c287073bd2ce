"""Models that ship inside the package, named ``pretrained:NAME`` wherever a run folder is accepted.

Each is a run folder as ``mguv.run_dir`` lays it out, slimmed for shipping (no model.keras, optimizer
state, checkpoints, logs or plots), in ``mguv/pretrained_models/NAME/``:

  saved_model/         the SavedModel (``mguv.generate``, ``TrainedModel``, plain TensorFlow); its
                       weights also serve fine-tuning and evaluation (``mguv.export.restore_weights``)
  config.json, representation.json, data.json   what it was trained on, as in any run
  summary.json         what training measured; metrics.json: what ``mguv.evaluate`` measured
  card.md              the model card: data, time, figures, what it is good and bad at

Use::

    python -m mguv.generate pretrained:bach-2bar --num 8 --wav
    python -m mguv.generate --list-pretrained
    python train.py --init pretrained:bach-2bar --data MY_MIDI/       # fine-tune
    TrainedModel.from_pretrained("bach-2bar").sample(8)

Every model here is trained on the Bach chorales of music21 (public-domain music in BSD-licensed
files) by one command, ``python benchmarks/pretrain.py NAME``, whose figures are in
``docs/results/pretrained.md``. Nothing trained on the GPL-licensed Nottingham files ships.
"""

import dataclasses
import json
import os

from mguv.errors import UsageError

PREFIX = "pretrained:"
# What a shipped model keeps of its run folder besides its SavedModel.
KEPT = ("config.json", "representation.json", "data.json", "summary.json", "metrics.json", "history.csv")
PACKAGE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pretrained_models")
CARD = "card.md"


@dataclasses.dataclass(frozen=True)
class Pretrained:
    """One shipped model: how ``benchmarks/pretrain.py`` makes it, and what it is.

    Attributes:
      name: the name after ``pretrained:``.
      config: the named config it trains (``mguv.configs``); its data is the Bach chorales.
      minutes: the training budget in wall-clock minutes on a 2-core CPU (the last epoch finishes).
      summary: one line for ``--list-pretrained``.
      notes: what it is good and bad at, from its samples (piano-rolls, MIDI read back with
        pretty_midi) and its figures (its card).
    """

    name: str
    config: str
    minutes: float
    summary: str
    notes: str = ""

    @property
    def path(self):
        return os.path.join(PACKAGE_DIR, self.name)


REGISTRY = {p.name: p for p in (
    Pretrained("bach-2bar", "lstm_vae-bach-2bar", 40.0,
               "Bach chorales, 2 bars of 4/4 (4 s at 120 bpm), four voices with onsets; LSTM-VAE, 128-d z",
               notes="""- Good at: the chorales' key and register (in-scale 0.894 against the data's 0.941), chords on
  the beats, and reading a chorale it never saw: decoded from its code, 84% of the sounding cells
  (frame F1 0.841) and 75% of the note starts (onset F1 0.750) come back. Every latent dimension
  is in use (128 active), so interpolations and attribute vectors move the music.
- Bad at: four full voices. Samples carry 3.5 voices where chorales have 4, and re-strike a
  held pitch half as often (0.085 against 0.147). The output is independent per cell (Bernoulli),
  so at temperature 1 some notes fall off the beat; 0.5 to 0.7 sounds closer to a chorale, and
  greedy decoding (0) is sparse (about 24 notes in 2 bars against the chorales' 35).
- Only 2 bars (4 s) of 4/4, C2..B5 on a sixteenth-note grid; every piece comes out at 120 bpm
  unless `--tempo` says otherwise. The free-running onset F1 target of 0.85 is missed (0.750)."""),
    Pretrained("bach-16bar", "hier_vae-bach-16bar", 30.0,
               "Bach chorales, 16 bars of 4/4 in eighth notes; hierarchical VAE (one conductor step per bar)",
               notes="""- Good at: little beyond the key. Its samples stay in the chorales' scales (in-scale gap
  0.018) and range, and it runs every 16-bar tool (`--interpolate` of two chorales' first 16
  bars, `--attribute`, 32-second MIDI in 4/4) from the package, so it shows what they do.
- Bad at: music. Only 89 chorales in 4/4 have 16 whole bars (458 training windows), and it
  overfitted after 13.8 minutes (early stopping at epoch 132): decoded from its code, a chorale
  it never saw keeps 21% of its note starts (onset F1 0.207) and no step exactly (step accuracy
  0.000). Greedy decoding (temperature 0) is nearly silent; at 0.6 to 1 it writes eighth-note
  blips in key, without phrases, cadences or voice leading.
- Use it to explore the 16-bar tools; use bach-2bar for music. A 16-bar model needs far more
  data (MusicVAE trained on 1.5 million melodies) or far more compute than shipped here."""),
)}


def names():
    """Every registered name, sorted."""
    return sorted(REGISTRY)


def get(name):
    """The ``Pretrained`` of ``name``; an unknown name is a ``UsageError`` listing the names."""
    if name not in REGISTRY:
        raise UsageError(f"no pretrained model {name!r}; the pretrained models are: {', '.join(names())}")
    return REGISTRY[name]


def is_pretrained(spec):
    """True when ``spec`` is a ``pretrained:NAME`` spec."""
    return isinstance(spec, str) and spec.startswith(PREFIX)


def path(name):
    """The folder of the shipped model ``name``.

    Raises:
      UsageError: the name is unknown, or this install lacks its files (a source checkout where
        ``python benchmarks/pretrain.py NAME`` has not run).
    """
    from mguv.run_dir import RunPaths

    entry = get(name)
    if not RunPaths(entry.path).exported:
        raise UsageError(f"pretrained model {name} is not installed here (no {entry.path}/saved_model); "
                         f"make it with: python benchmarks/pretrain.py {name}")
    return entry.path


def name_of(spec):
    """``pretrained:NAME`` (or NAME) -> NAME."""
    return spec[len(PREFIX):] if is_pretrained(spec) else spec


def resolve(spec):
    """``pretrained:NAME`` -> the model's folder; anything else (a run folder) is returned as is."""
    return path(name_of(spec)) if is_pretrained(spec) else spec


def default_out(spec):
    """Where ``mguv.generate`` writes by default: RUN/generated for a run, and generated/NAME in the
    working folder for a shipped model (never inside the installed package)."""
    if is_pretrained(spec):
        return os.path.join("generated", name_of(spec))
    return os.path.join(spec, "generated")


def card(name):
    """The model card of ``name`` (Markdown)."""
    with open(os.path.join(path(name), CARD)) as f:
        return f.read()


def listing():
    """Lines for ``--list-pretrained``: name, whether it is installed, its summary and its figures."""
    lines = []
    for name in names():
        entry = REGISTRY[name]
        try:
            folder = path(name)
        except UsageError:
            lines.append(f"{name:12s} (not installed) {entry.summary}")
            continue
        lines.append(f"{name:12s} {entry.summary}")
        try:
            with open(os.path.join(folder, "metrics.json")) as f:
                m = json.load(f)
            lines.append(f"{'':12s} validation: free-running onset F1 {m['onset_f1_free_running']:.3f}, "
                         f"step accuracy {m['step_accuracy_free_running']:.3f}; card: {folder}/{CARD}")
        except (OSError, ValueError, KeyError):
            pass
    return lines


def install(run, dest):
    """Installs the finished run folder ``run`` as a shipped model at ``dest`` (atomically): the
    files in ``KEPT`` and a SavedModel exported afresh from the run's best weights without
    optimizer state. The SavedModel keeps the weights in the model's order, so no model.keras is
    shipped beside it: fine-tuning and evaluation restore them (``mguv.export.restore_weights``)."""
    import shutil

    from mguv.export import export_saved_model
    from mguv.io import atomic_path
    from mguv.run_dir import RunPaths, read_run_config

    paths = RunPaths(os.fspath(run))
    config = read_run_config(paths.root)[0]
    with atomic_path(os.fspath(dest)) as tmp:
        os.makedirs(tmp)
        for name in KEPT:
            if os.path.exists(os.path.join(paths.root, name)):
                shutil.copy(os.path.join(paths.root, name), tmp)
        model = config.build_model()
        model.load_weights(paths.model)
        export_saved_model(model, config.representation, os.path.join(tmp, "saved_model"))
