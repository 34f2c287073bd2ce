#!/usr/bin/env python
"""The long-form benchmark: a flat LSTM-VAE against MusicVAE's hierarchical decoder (a conductor
embedding per bar) on 16 bars of 4/4, same data, split and training budget.

    python benchmarks/long_form.py                       # Nottingham melodies, ~45 min on 2 cores
    python benchmarks/long_form.py --full --minutes 80   # also the full files with a NADE output
    python benchmarks/long_form.py --rows full           # only the full files -> long_form_full.{json,md}
    python benchmarks/long_form.py --quick               # tiny models, a smoke test
    python benchmarks/long_form.py --set model.decoder_units=1024 ...   # larger models (a GPU)
    python benchmarks/long_form.py --set model.input_dropout=1.0 --stem long_form_inputless

Data: ``nottingham/melody`` (the melody files) from ``--data`` (default ../shared/data/nottingham),
16-bar segments of the 4/4 tunes cut at bar lines, one starting every 2 bars, with onsets;
mguv's file split (no tune on both sides), 15% validation, seed 0. Each row trains for its share of
``--minutes`` of wall clock, then is scored on the validation split:

- reconstruction accuracy per step, MusicVAE's measure made strict (the decoded step equals the
  input step in every channel) and MusicVAE's own (its melody events: a pitch struck, a note off,
  or no event, so a held note counts whatever its pitch), teacher-forced (each step's most likely
  value given the true steps before it) and free-running (greedy decoding from the posterior
  mean), as a whole and (strict) per position in the 16 bars (the plot shows where a flat decoder
  forgets z), and MusicVAE's "sampling" accuracy (z drawn from the posterior, every step drawn
  from the decoder, 3 draws per tune);
- note-onset F1 free-running, KL, the ELBO, prior-sample statistics against the validation data;
- time per training step and peak memory, measured for the 16-bar models and their 2-bar
  counterparts in fresh processes (``--probe``), so longer segments can be seen not to blow up;
- interpolations: for 100 random pairs of validation tunes, 8 points on the slerp path between their
  posterior means, decoded greedily; the Hamming distance from the start tune should rise
  monotonically and in even steps, against the same walk in data space (each cell taken from the
  end tune with probability alpha, MusicVAE's baseline).

Writes docs/results/long_form.json, docs/results/long_form.md and figures under
docs/results/long_form/ (``--rows full``: long_form_full.json, .md and long_form_full/). Trained
on Nottingham (GPL): nothing here is shipped.
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # benchmarks/nottingham.py

from mguv.cli import quiet_tensorflow  # noqa: E402
from mguv.errors import UsageError, cli_entry  # noqa: E402
from nottingham import spec  # noqa: E402  (the data spec of a Nottingham folder variant)

DEFAULT_DATA = os.path.join(ROOT, "..", "shared", "data", "nottingham")
FLAT, HIER = "lstm_vae-16bar", "hier_vae-16bar"
# (config, Nottingham folder variant, share of --minutes). The shares of a plan add up to 1.
ROWS = ((FLAT, "melody", 0.5), (HIER, "melody", 0.5))
FULL_ROWS = ((FLAT, "melody", 0.25), (HIER, "melody", 0.25), (FLAT + "-nade", "full", 0.25),
             (HIER + "-nade", "full", 0.25))
FULL_ONLY_ROWS = ((FLAT + "-nade", "full", 0.5), (HIER + "-nade", "full", 0.5))
# --rows: the plan, and the name of its results (STEM.json, STEM.md, figures in STEM/).
PLANS = {"melody": (ROWS, "long_form"), "full": (FULL_ONLY_ROWS, "long_form_full"), "all": (FULL_ROWS, "long_form")}
TINY = ["model.latent_dim=8", "model.encoder_units=16", "model.decoder_units=16", "epochs=1", "batch_size=16",
        "model.nade_units=8"]
DATA_SETS = ["val_fraction=0.15", "seed=0", "split=file"]
PAIRS, POINTS = 100, 8
PROBE_BATCHES = 6
SAMPLED_DRAWS = 3


def tiny(name):
    """--quick: the config's settings shrunk to a smoke test's."""
    return TINY + (["model.conductor_units=16"] if name.startswith("hier_vae") else [])


def row_sets(name, sets):
    """The ``--set`` assignments that config ``name`` takes: a ``model.`` setting goes only to rows
    whose family has it (``model.conductor_units`` to the hierarchical rows), the others to all."""
    import dataclasses

    from mguv import configs

    fields = {f.name for f in dataclasses.fields(configs.get(name).model)}
    return [a for a in sets if not a.startswith("model.") or a.split("=", 1)[0][len("model."):] in fields]


def row_config(name, quick=False, sets=()):
    """The config a row trains: ``name`` on the benchmark's split, shrunk with ``quick``, then the
    user's ``--set`` overrides that it takes (to scale the models up on a bigger machine)."""
    from mguv import configs

    return configs.override(configs.get(name), DATA_SETS + (tiny(name) if quick else []) + row_sets(name, sets))


def _peak_mb():
    """This process's peak resident memory (VmHWM), MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def probe(name, bars, sets):
    """Seconds per training batch and peak memory of config ``name`` with segments of ``bars`` bars,
    on random rolls of the data's density; run in a fresh process so the memory is its own."""
    import numpy as np

    from mguv import configs

    # A hierarchical model keeps one conductor embedding per bar at every length.
    per_bar = [f"model.num_subsequences={bars}"] if name.startswith("hier_vae") else []
    config = configs.override(configs.get(name), [f"segment_bars={bars}", *per_bar, *sets])
    rep, batch = config.representation, config.train.batch_size
    x = (np.random.default_rng(0).random((batch,) + rep.shape) < 0.05).astype(np.float32)
    model = config.build_model()
    model.compile(optimizer=config.train.build_optimizer())
    model.train_on_batch(x)  # builds and traces
    start = time.perf_counter()
    for _ in range(PROBE_BATCHES):
        model.train_on_batch(x)
    seconds = (time.perf_counter() - start) / PROBE_BATCHES
    return {"config": name, "bars": bars, "steps": rep.segment_steps, "batch": batch,
            "seconds_per_batch": round(seconds, 4),
            "microseconds_per_step": round(1e6 * seconds / (batch * rep.segment_steps), 2),
            "peak_memory_mb": round(_peak_mb(), 1)}


def run_probe(name, bars, sets):
    out = subprocess.run([sys.executable, os.path.abspath(__file__), "--probe", name, str(bars), *sets],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def compiled_decoders(model, rep):
    """Greedy and sampled decoding of a VAE in one graph each (``decoder.generate`` runs step by step
    in Python, which with a NADE output is seconds per batch): {"greedy": z float32 [batch, latent]
    -> roll [batch, *rep.shape], "sampled": (z, noise uniform [batch, *rep.shape]) -> roll}."""
    import tensorflow as tf

    z_spec = tf.TensorSpec([None, model.latent_dim], tf.float32)
    greedy = tf.function(lambda z: model.decoder.generate(z)[1], input_signature=[z_spec])
    sampled = tf.function(lambda z, noise: model.decoder.generate(z, noise=noise)[1],
                          input_signature=[z_spec, tf.TensorSpec((None,) + rep.shape, tf.float32)])
    return {"greedy": greedy, "sampled": sampled}


def hamming_walks(model, x, rng, pairs=PAIRS, points=POINTS, decode=None):
    """Latent and data-space walks between ``pairs`` random pairs of tunes x bool [n, steps, channels];
    ``decode`` maps z [batch, latent] to rolls (default: ``model.decoder.generate``, greedy).

    Returns {"latent": distances [pairs, points], "data": [pairs, points]}: the fraction of cells
    that differ from the start tune at each point (alpha = 0 .. 1)."""
    import numpy as np

    from mguv.latent import latent_path

    idx = np.array([rng.choice(len(x), 2, replace=False) for _ in range(pairs)])
    a, b = x[idx[:, 0]].astype(np.float32), x[idx[:, 1]].astype(np.float32)
    za = np.asarray(model.encode(a, training=False)[0])
    zb = np.asarray(model.encode(b, training=False)[0])
    path = np.stack([latent_path(za[i], zb[i], points) for i in range(pairs)])      # [pairs, points, latent]
    decode = decode or (lambda z: model.decoder.generate(z)[1])
    rolls = decode(path.reshape(pairs * points, -1).astype(np.float32))
    rolls = np.asarray(rolls).reshape((pairs, points) + x.shape[1:]) > 0.5
    alphas = np.linspace(0.0, 1.0, points)
    take_b = rng.random((pairs, points) + x.shape[1:]) < alphas[None, :, None, None]
    data_walk = np.where(take_b, b[:, None] > 0.5, a[:, None] > 0.5)
    start = a[:, None] > 0.5
    return {"latent": (rolls != start).mean(axis=(2, 3)), "data": (data_walk != start).mean(axis=(2, 3))}


def sampled_accuracy(model, x, rep, rng, draws=SAMPLED_DRAWS, batch_size=64, decode=None):
    """MusicVAE's "sampling" reconstruction accuracy of tunes x bool [n, steps, rep.channels]: z
    drawn from the posterior and every step drawn from the decoder (temperature 1, its own draws fed
    back), ``draws`` times per tune -> {"step": the share of steps whose every channel equals the
    input's, "event": the share whose MusicVAE melody event (``mguv.note_metrics.melody_events``)
    equals the input's}, fractions in [0, 1]. ``decode`` maps (z, noise) to rolls (default:
    ``model.decoder.generate``)."""
    import numpy as np

    from mguv.note_metrics import melody_events

    decode = decode or (lambda z, noise: model.decoder.generate(z, noise=noise)[1])
    same, same_event, total = 0, 0, 0
    for start in range(0, len(x), batch_size):
        xb = np.asarray(x[start:start + batch_size], np.float32)
        events = melody_events(xb, rep)
        mean, logvar = (np.asarray(v) for v in model.encode(xb, training=False))
        for _ in range(draws):
            z = (mean + np.exp(0.5 * logvar) * rng.standard_normal(mean.shape)).astype(np.float32)
            noise = rng.random(xb.shape).astype(np.float32)
            roll = np.asarray(decode(z, noise)) > 0.5
            same += int((roll == (xb > 0.5)).all(axis=-1).sum())
            same_event += int((melody_events(roll, rep) == events).sum())
            total += xb.shape[0] * xb.shape[1]
    return {"step": same / max(total, 1), "event": same_event / max(total, 1)}


def walk_stats(distances):
    """How monotone and even walks are: distances [pairs, points] -> dict (step CV: the spread of
    the steps between points, std / mean, per walk)."""
    import numpy as np

    steps = np.diff(distances, axis=1)
    even = steps.std(axis=1) / np.maximum(np.abs(steps.mean(axis=1)), 1e-9)
    # Monotonic: never falls back, and ends farther than it started (a walk that stays put, as a
    # decoder that ignores z would, is not a morph).
    rising = (steps >= 0).all(axis=1) & (distances[:, -1] > distances[:, 0])
    return {"monotonic_share": round(float(rising.mean()), 4),
            "strictly_rising_share": round(float((steps > 0).all(axis=1).mean()), 4),
            "step_cv_median": round(float(np.median(even)), 4),
            "mean_distance_by_point": [round(float(v), 4) for v in distances.mean(axis=0)]}


def score_row(name, variant, run, summary, seed, figure=None):
    """The row of a trained run: ``mguv.evaluate``'s scores and the interpolation walks; with
    ``figure``, also a prior sample drawn there (``sample_figure``), from the same loaded model."""
    import numpy as np

    from mguv.data.prepare import prepare_data
    from mguv.evaluate import evaluate_run
    from mguv.run_dir import load_run

    metrics = evaluate_run(run, iw_samples=0)
    model, config, specs, _ = load_run(run)
    data, _, val_idx = prepare_data(config, specs, progress=False)
    decoders = compiled_decoders(model, config.representation)
    walks = hamming_walks(model, data.x[val_idx], np.random.default_rng(seed), decode=decoders["greedy"])
    sampled = sampled_accuracy(model, data.x[val_idx], config.representation, np.random.default_rng(seed),
                               decode=decoders["sampled"])
    if figure:
        sample_figure(model, config.representation, figure, seed, tune=data.x[val_idx[len(val_idx) // 2]])
    prior = metrics["prior_samples"]
    r = lambda v: round(float(v), 4)  # noqa: E731
    return {
        "config": name, "family": config.model.family, "data": f"nottingham/{variant}" if variant != "full"
        else "nottingham", "split": config.train.split, "bars": config.representation.segment_bars,
        "steps": config.representation.segment_steps, "params": summary["params"],
        "train_segments": summary["train_segments"], "val_segments": metrics["val_segments"],
        "train_seconds": round(summary["train_seconds"], 1), "epochs": summary["epochs_run"],
        "accuracy_teacher_forced": r(metrics["step_accuracy_teacher_forced"]),
        "accuracy_free_running": r(metrics["step_accuracy_free_running"]),
        "accuracy_free_running_sampled": r(sampled["step"]),
        "accuracy_events_teacher_forced": r(metrics["event_accuracy_teacher_forced"]),
        "accuracy_events_free_running": r(metrics["event_accuracy_free_running"]),
        "accuracy_events_free_running_sampled": r(sampled["event"]),
        "accuracy_events_no_event_baseline": r(metrics["event_accuracy_no_event_baseline"]),
        "accuracy_by_position": {k: [r(v) for v in vs] for k, vs in metrics["step_accuracy_by_position"].items()},
        "onset_f1_teacher_forced": r(metrics["onset_f1_teacher_forced"]),
        "onset_f1_free_running": r(metrics["onset_f1_free_running"]),
        "frame_f1_free_running": r(metrics["frame_f1_free_running"]),
        "kl_nats": r(metrics["kl_per_segment_nats"]), "active_units": metrics["active_units"],
        "elbo_nats_per_step": r(metrics["elbo_per_step_nats"]),
        "sample_note_density_rel_err": r(prior["note_density_rel_err"]),
        "sample_polyphony_rel_err": r(prior["polyphony_rel_err"]),
        "sample_pitch_class_l1": r(prior["pitch_class_l1"]),
        "sample_restruck_rate": r(prior["samples"]["restruck_rate"]),
        "data_restruck_rate": r(prior["validation"]["restruck_rate"]),
        "interpolation": {"latent": walk_stats(walks["latent"]), "data_space": walk_stats(walks["data"])},
    }


def plot_positions(rows, path, steps_per_bar):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(10, 4))
    for row in rows:
        for mode, style in (("free_running", "-"), ("teacher_forced", ":")):
            values = np.asarray(row["accuracy_by_position"][mode])
            window = np.ones(steps_per_bar)  # a 1-bar moving mean over the steps inside the piece only
            smooth = np.convolve(values, window, mode="same") / np.convolve(np.ones_like(values), window, mode="same")
            ax.plot(np.arange(len(values)) / steps_per_bar, smooth, style,
                    label=f"{row['config']} ({row['data']}), {mode.replace('_', '-')}")
    ax.set_xlabel("bar")
    ax.set_ylabel("step accuracy (1-bar moving mean)")
    ax.set_title("Reconstruction accuracy by position in the 16 bars (validation tunes)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def sample_figure(model, rep, path, seed=0, tune=None):
    """A 16-bar prior sample of a VAE (greedy decoding of one z ~ N(0, I)) as a piano-roll PNG; with
    ``tune`` bool [steps, channels], also that tune and its free-running reconstruction (greedy from
    its posterior mean)."""
    import numpy as np

    from mguv import plots

    z = np.random.default_rng(seed).standard_normal((1, model.latent_dim)).astype(np.float32)
    rolls, titles = [np.asarray(model.decoder.generate(z)[1])[0] > 0.5], ["16-bar prior sample (greedy)"]
    if tune is not None:
        mean = model.encode(tune[None].astype(np.float32), training=False)[0]
        rolls += [tune > 0.5, np.asarray(model.decoder.generate(mean)[1])[0] > 0.5]
        titles += ["a validation tune", "its free-running reconstruction (greedy from the posterior mean)"]
    plots.piano_rolls(rolls, path, titles, rep=rep, cols=1, panel_width=14)


def markdown(result):
    rows = result["runs"]
    lines = [
        "# Long-form benchmark: 16 bars, flat against hierarchical",
        "",
        f"Made by `{result['command']}` on {result['date']} ({result['machine']}); "
        f"{result['total_seconds'] / 60:.1f} minutes in all. Data: 16-bar segments of the 4/4 Nottingham tunes "
        "cut at bar lines, a window every 2 bars, onsets, 4 steps per beat (256 steps); mguv's file split "
        "(no tune on both sides), 15% validation, seed 0. *Step accuracy* is MusicVAE's accuracy made strict: "
        "the share of steps whose every channel equals the input's, so a note with a wrong pitch is wrong on every "
        "step it sounds. *Event accuracy* is MusicVAE's own measure: the share of steps whose melody event (a "
        "pitch struck, a note off, or no event) equals the input's; a held note is \"no event\" whatever its "
        "pitch, so a wrong pitch costs only the step it is struck on, and always answering \"no event\" already "
        "scores the baseline column. Teacher-forced = each step's most likely value given the true steps "
        "before it, free-running (greedy) = greedy decoding from the posterior mean, free-running (sampled) = MusicVAE's "
        "sampling accuracy: z drawn from the posterior and every step drawn from the decoder, 3 draws per tune; "
        "the targets are judged on the greedy figures, under both measures. The melody models give one class per "
        "step (rest, a pitch held, a pitch struck) and read the tune bar by bar (`mguv.configs.long_form`); "
        "the `-nade` models of the full files (melody and chords) draw the notes of a step with a NADE, and their "
        "event accuracy is that of the top line.",
        "",
        "| config | data | params | train min | epochs | TF accuracy | free accuracy (greedy) "
        "| free accuracy (sampled) | free onset F1 | KL nats | ELBO nats/step | density err | polyphony err | PC L1 "
        "| interp. monotonic (latent / data) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        walk = r["interpolation"]
        lines.append(
            f"| {r['config']} | {r['data']} | {r['params']:,} | {r['train_seconds'] / 60:.1f} | {r['epochs']} | "
            f"{r['accuracy_teacher_forced']:.3f} | {r['accuracy_free_running']:.3f} | "
            f"{r['accuracy_free_running_sampled']:.3f} | {r['onset_f1_free_running']:.3f} | {r['kl_nats']:.1f} | "
            f"{r['elbo_nats_per_step']:.3f} | "
            f"{r['sample_note_density_rel_err']:.3f} | {r['sample_polyphony_rel_err']:.3f} | "
            f"{r['sample_pitch_class_l1']:.3f} | {walk['latent']['monotonic_share']:.2f} / "
            f"{walk['data_space']['monotonic_share']:.2f} |")
    lines += ["", "## MusicVAE's event accuracy", "",
              "| config | data | TF | free (greedy) | free (sampled) | always \"no event\" |",
              "|---|---|---:|---:|---:|---:|"]
    for r in rows:
        lines.append(f"| {r['config']} | {r['data']} | {r['accuracy_events_teacher_forced']:.3f} | "
                     f"{r['accuracy_events_free_running']:.3f} | {r['accuracy_events_free_running_sampled']:.3f} | "
                     f"{r['accuracy_events_no_event_baseline']:.3f} |")
    lines += ["", "## Targets", "", "| target | value | wanted | met |", "|---|---:|---|---|"]
    for t in result["targets"]:
        lines.append(f"| {t['name']} | {t['value']} | {t['target']} | {'yes' if t['met'] else '**no**'} |")
    if not result["targets"]:
        lines.append("| none here: the targets are the melody models' (`--rows melody`) | | | |")
    lines += ["", "## Time and memory per training step (fresh process each, random rolls, same batch)", "",
              "| config | bars | steps | s per batch | us per step | peak memory MB |", "|---|---:|---:|---:|---:|---:|"]
    for p in result["probes"]:
        lines.append(f"| {p['config']} | {p['bars']} | {p['steps']} | {p['seconds_per_batch']} | "
                     f"{p['microseconds_per_step']} | {p['peak_memory_mb']} |")
    lines += ["", "## Interpolation", "",
              f"{PAIRS} random pairs of validation tunes, {POINTS} points on the slerp path between their posterior "
              "means, decoded greedily; Hamming distance = fraction of cells that differ from the start tune. "
              "Data space: each cell taken from the end tune with probability alpha. Step CV = spread of the "
              "steps between points (std / mean; 0 is perfectly even).", "",
              "| config | walk | monotonic | strictly rising | step CV (median) | mean distance by point |",
              "|---|---|---:|---:|---:|---|"]
    for r in rows:
        for kind, walk in r["interpolation"].items():
            lines.append(f"| {r['config']} | {kind} | {walk['monotonic_share']:.2f} | "
                         f"{walk['strictly_rising_share']:.2f} | {walk['step_cv_median']:.2f} | "
                         f"{', '.join(f'{v:.3f}' for v in walk['mean_distance_by_point'])} |")
    stem = result.get("stem", "long_form")
    lines += ["", "Accuracy by position:", "", f"![accuracy by position]({stem}/accuracy_by_position.png)", ""]
    for r in rows:
        if r["family"] == "hier_vae":
            lines += [f"`{r['config']}` ({r['data']}): a 16-bar prior sample, and a validation tune with its "
                      "free-running reconstruction:", "", f"![sample]({stem}/{r['config']}-sample.png)", ""]
    return "\n".join(lines)


def targets(rows):
    flat = next((r for r in rows if r["config"] == FLAT), None)
    hier = next((r for r in rows if r["config"] == HIER), None)
    if flat is None or hier is None:
        return []
    checks = []
    for measure, key in (("step", "accuracy_free_running"), ("event", "accuracy_events_free_running")):
        acc, gap = hier[key], round(hier[key] - flat[key], 4)
        checks += [(f"hier free-running {measure} accuracy (melody)", acc, ">= 0.85", acc >= 0.85),
                   (f"hier minus flat free-running {measure} accuracy", gap, ">= 0.15", gap >= 0.15)]
    mono = hier["interpolation"]["latent"]["monotonic_share"]
    checks.append(("interpolations rising monotonically (hier)", mono, ">= 0.90", mono >= 0.90))
    return [{"name": n, "value": v, "target": t, "met": bool(m)} for n, v, t, m in checks]


@cli_entry
def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--probe"]:
        quiet_tensorflow()
        print(json.dumps(probe(argv[1], int(argv[2]), argv[3:])))
        return 0
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=DEFAULT_DATA, help="the Nottingham MIDI folder")
    p.add_argument("--minutes", type=float, default=40.0, help="training budget of all rows together")
    p.add_argument("--rows", choices=sorted(PLANS), default="melody",
                   help="the melody files, the full files (melody + chords, NADE output) or both")
    p.add_argument("--full", action="store_true", help="the same as --rows all")
    p.add_argument("--quick", action="store_true", help="tiny models, seconds per row (a smoke test)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override a setting of the rows whose model has it, e.g. model.decoder_units=1024 (repeatable)")
    p.add_argument("--runs", default="runs/long_form", help="where the runs go")
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "results"), help="where the results go")
    p.add_argument("--stem", help="name the results STEM.json, STEM.md, STEM/ (default: long_form, or "
                                  "long_form_full for --rows full), e.g. for a run with --set")
    args = p.parse_args(argv)
    if not os.path.isdir(args.data):
        raise UsageError(f"--data {args.data}: no such folder (the Nottingham MIDI dataset)")
    if args.minutes <= 0:
        raise UsageError(f"--minutes {args.minutes:g}: must be positive")
    if args.full:
        args.rows = "all"
    rows_planned, stem = PLANS[args.rows]
    stem = args.stem or stem
    if os.sep in stem or not stem.strip("."):
        raise UsageError(f"--stem {stem}: a file name, without folders")
    for assignment in args.set:
        if not any(assignment in row_sets(name, [assignment]) for name, _, _ in rows_planned):
            raise UsageError(f"--set {assignment}: no model of the benchmark has that setting")
    # A bad --set fails here, before anything trains: its name, its value, and the model it builds.
    plan = [(name, variant, share, row_config(name, args.quick, args.set)) for name, variant, share in rows_planned]
    quiet_tensorflow()
    for *_, config in plan:
        config.build_model()

    from mguv import configs
    from mguv.io import write_json, write_text
    from mguv.training.callbacks import TimeBudget
    from mguv.training.run import train

    start = time.time()
    figures = os.path.join(args.out, stem)
    os.makedirs(figures, exist_ok=True)
    rows = []
    for name, variant, share, config in plan:
        run = os.path.join(args.runs, f"{name}-{variant}")
        shutil.rmtree(run, ignore_errors=True)
        print(f"== {name} on {variant}: {share * args.minutes:.1f} min of training", file=sys.stderr)
        summary = train(config, [spec(variant, args.data)], run, num_samples=4, verbose=2,
                        callbacks=[TimeBudget(share * args.minutes * 60)])
        figure = os.path.join(figures, f"{name}-sample.png") if config.model.family == "hier_vae" else None
        rows.append(score_row(name, variant, run, summary, seed=0, figure=figure))
    plot_positions(rows, os.path.join(figures, "accuracy_by_position.png"),
                   int(configs.get(FLAT).representation.steps_per_bar))
    probed = list(dict.fromkeys(name for name, *_ in plan if name.endswith("-nade") == (args.rows == "full")))
    probes = [run_probe(name, bars, (tiny(name) if args.quick else []) + row_sets(name, args.set))
              for name in probed for bars in (2, 16)]
    hier = next((r for r in rows if r["config"] == HIER), next(r for r in rows if r["family"] == "hier_vae"))
    result = {
        "command": "python benchmarks/long_form.py" + (" --quick" if args.quick else "")
                   + (f" --rows {args.rows}" if args.rows != "melody" else "")
                   + (f" --minutes {args.minutes:g}" if args.minutes != 40.0 else "")
                   + "".join(f" --set {a}" for a in args.set)
                   + (f" --stem {args.stem}" if args.stem else ""),
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores",
        "runs": rows, "targets": targets(rows), "probes": probes, "stem": stem,
        "interpolation_monotonic_share": hier["interpolation"]["latent"]["monotonic_share"],
        "interpolation_pairs": PAIRS, "interpolation_points": POINTS,
        "total_seconds": round(time.time() - start, 1),
    }
    write_json(os.path.join(args.out, f"{stem}.json"), result)
    write_text(os.path.join(args.out, f"{stem}.md"), markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
