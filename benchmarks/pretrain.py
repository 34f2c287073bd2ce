#!/usr/bin/env python
"""Train a model that ships with mguv: ``python benchmarks/pretrain.py NAME``.

    python benchmarks/pretrain.py bach-2bar                 # its registered budget (mguv.pretrained)
    python benchmarks/pretrain.py bach-16bar --minutes 45
    python benchmarks/pretrain.py bach-2bar --quick --install /tmp/models   # a smoke run

NAME is one of ``mguv.pretrained.REGISTRY``. The model trains on the Bach chorales of music21 (the
built-in corpus; public-domain music in BSD-licensed files) with its named config, for its
registered minutes of wall clock (the last epoch finishes), on mguv's file split: the validation
chorales are never trained on. Then:

1. ``mguv.evaluate`` scores it on every validation segment: free-running note-onset F1 (greedy
   decoding from the posterior mean), step accuracy, KL, and 1,000 prior samples against the
   validation data (note density, polyphony, in-scale fraction);
2. the run is slimmed (``mguv.pretrained.install``: no optimizer state, checkpoints, logs or plots)
   and installed as package data in ``mguv/pretrained_models/NAME/`` with a model card (``card.md``);
3. ``python -m mguv.generate pretrained:NAME --num 8`` is timed from fresh processes (3 times).

Writes docs/results/pretrained.json (one entry per model, the others kept) and
docs/results/pretrained.md, and a figure of the 8 generated pieces under docs/results/pretrained/.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mguv import pretrained  # noqa: E402
from mguv.cli import quiet_tensorflow  # noqa: E402
from mguv.errors import UsageError, cli_entry  # noqa: E402
from mguv.io import write_json, write_text  # noqa: E402
from perf_common import folder_mb, machine  # noqa: E402

QUICK = ["epochs=1", "model.latent_dim=8", "model.encoder_units=16", "model.decoder_units=16",
         "model.conductor_units=16", "model.nade_units=8"]
GENERATE_TIMES = 3
# The targets for the 2-bar chorale model; they are reported for every model.
ONSET_F1_TARGET, PRIOR_REL_TARGET, SCALE_TARGET, SECONDS_TARGET = 0.85, 0.10, 0.02, 10.0


def _sets(config, quick):
    """--quick: shrink the config's model (only the fields it has) to a smoke test's."""
    if not quick:
        return []
    fields = {f"model.{k}" for k in config.to_dict()["model"]}
    return [s for s in QUICK if not s.startswith("model.") or s.split("=")[0] in fields]


def time_generate(folder, out, times=GENERATE_TIMES):
    """Wall seconds of ``python -m mguv.generate FOLDER --num 8`` (what ``pretrained:NAME`` runs on
    the installed folder) from fresh processes."""
    seconds = []
    for i in range(times):
        start = time.time()
        subprocess.run([sys.executable, "-m", "mguv.generate", folder, "--num", "8", "--seed", str(i),
                        "--out", out], check=True, cwd=ROOT, capture_output=True)
        seconds.append(round(time.time() - start, 2))
    return seconds


def entry(name, config, summary, metrics, seconds, size_mb, minutes, command):
    """The figures of one shipped model (docs/results/pretrained.json and its card)."""
    prior = metrics["prior_samples"]
    data, samples = prior["validation"], prior["samples"]
    scale_gap = abs(samples["scale_consistency"] - data["scale_consistency"])
    return {
        "name": name, "config": config.name, "command": command, "date": time.strftime("%Y-%m-%d"),
        "minutes": minutes, "train_seconds": summary["train_seconds"], "epochs": summary["epochs_run"],
        "params": summary["params"], "train_segments": summary["train_segments"],
        "val_segments": summary["val_segments"], "size_mb": size_mb,
        "scores": {k: metrics[k] for k in (
            "onset_f1_free_running", "onset_precision_free_running", "onset_recall_free_running",
            "onset_f1_teacher_forced", "frame_f1_free_running", "step_accuracy_teacher_forced",
            "step_accuracy_free_running", "kl_per_segment_nats", "nll_per_segment_nats") if k in metrics},
        "prior": {"num": prior["num"], "source": "learned" if getattr(config.model, "prior", "none") != "none" else "normal",
                  "data": data, "samples": samples,
                  "note_density_rel_err": prior["note_density_rel_err"],
                  "polyphony_rel_err": prior["polyphony_rel_err"], "scale_consistency_gap": scale_gap},
        "generate_seconds": seconds,
        "targets": {
            f"free-running onset F1 >= {ONSET_F1_TARGET}": metrics["onset_f1_free_running"] >= ONSET_F1_TARGET,
            f"prior note density within {PRIOR_REL_TARGET:.0%}": prior["note_density_rel_err"] <= PRIOR_REL_TARGET,
            f"prior polyphony within {PRIOR_REL_TARGET:.0%}": prior["polyphony_rel_err"] <= PRIOR_REL_TARGET,
            f"prior in-scale fraction within {SCALE_TARGET}": scale_gap <= SCALE_TARGET,
            f"8 pieces in < {SECONDS_TARGET:g} s from a fresh process": max(seconds) < SECONDS_TARGET,
        },
    }


def card(e, spec):
    """The model card (card.md) of one shipped model: its figures (``entry``) and its registered
    description and notes (``mguv.pretrained.Pretrained``)."""
    s, p = e["scores"], e["prior"]
    met = "\n".join(f"- {'met' if ok else '**missed**'}: {t}" for t, ok in e["targets"].items())
    return f"""# pretrained:{e['name']}

{spec.summary}.

- **Data:** the Bach chorales of music21 in 4/4 (public-domain music, BSD-licensed files), split by
  chorale: {e['train_segments']} training and {e['val_segments']} validation segments; no validation
  chorale was trained on.
- **Training:** `{e['command']}`, {e['train_seconds'] / 60:.1f} min ({e['epochs']} epochs) on a
  2-core CPU, config `{e['config']}` ({e['params']:,} parameters), {e['date']}.
- **Size:** {e['size_mb']} MB on disk{f" (installed again by `{e['installed_by']}`)" if e.get('installed_by') else ''}.

## Measured on the validation chorales (`mguv.evaluate`)

| | |
|---|---:|
| note-onset F1, free-running (greedy from the posterior mean) | {s['onset_f1_free_running']:.3f} (P {s['onset_precision_free_running']:.3f} / R {s['onset_recall_free_running']:.3f}) |
| note-onset F1, teacher-forced | {s['onset_f1_teacher_forced']:.3f} |
| step accuracy, teacher-forced / free-running | {s['step_accuracy_teacher_forced']:.3f} / {s['step_accuracy_free_running']:.3f} |
| KL (nats) | {s['kl_per_segment_nats']:.1f} |

{p['num']} prior samples ({"z drawn from the model's learned prior over z" if p.get('source') == 'learned' else 'z ~ N(0, I)'}, temperature 1) against the validation data:

| | data | samples | gap |
|---|---:|---:|---:|
| note density | {p['data']['note_density']:.4f} | {p['samples']['note_density']:.4f} | {p['note_density_rel_err']:.1%} |
| polyphony | {p['data']['polyphony']:.2f} | {p['samples']['polyphony']:.2f} | {p['polyphony_rel_err']:.1%} |
| in-scale fraction | {p['data']['scale_consistency']:.3f} | {p['samples']['scale_consistency']:.3f} | {p['scale_consistency_gap']:.3f} |
| re-struck notes | {p['data']['restruck_rate']:.3f} | {p['samples']['restruck_rate']:.3f} | |

Generating 8 pieces from a fresh process: {', '.join(f'{t:.1f}' for t in e['generate_seconds'])} s.

## Targets
{met}

## Good and bad at
{spec.notes or "(not yet written)"}
"""


def markdown(results):
    lines = ["# Pretrained models", "",
             "Models shipped in `mguv/pretrained_models/` (`python -m mguv.generate --list-pretrained`), "
             "each made by one command and scored on validation chorales it never saw. Each model's card "
             "(`card.md` beside it) says what it is good and bad at.", ""]
    for name in sorted(results["models"]):
        e = results["models"][name]
        s, p = e["scores"], e["prior"]
        lines += [f"## pretrained:{name}", "", f"`{e['command']}` ({e['date']}, {e['train_seconds'] / 60:.1f} min, "
                  f"{e['epochs']} epochs, {e['params']:,} parameters, {e['size_mb']} MB"
                  + (f"; installed again by `{e['installed_by']}`" if e.get("installed_by") else "") + ")", "",
                  "| onset F1 free / TF | step acc. free / TF | KL | prior density / polyphony err | "
                  "in-scale gap | generate 8 (s) |", "|---:|---:|---:|---:|---:|---:|",
                  f"| {s['onset_f1_free_running']:.3f} / {s['onset_f1_teacher_forced']:.3f} | "
                  f"{s['step_accuracy_free_running']:.3f} / {s['step_accuracy_teacher_forced']:.3f} | "
                  f"{s['kl_per_segment_nats']:.1f} | {p['note_density_rel_err']:.1%} / {p['polyphony_rel_err']:.1%} | "
                  f"{p['scale_consistency_gap']:.3f} | {max(e['generate_seconds']):.1f} |", "",
                  *[f"- {'met' if ok else '**missed**'}: {t}" for t, ok in e["targets"].items()], "",
                  f"![8 pieces](pretrained/{name}-samples.png)", ""]
    lines += [f"Machine: {results['machine']['cpu']}, {results['machine']['cores']} cores."]
    return "\n".join(lines) + "\n"


def _recorded(results_path, name):
    """The recorded entry of ``name`` in docs/results/pretrained.json; a UsageError without one."""
    try:
        with open(results_path) as f:
            return json.load(f)["models"][name]
    except (OSError, ValueError, KeyError):
        raise UsageError(f"{results_path} has no entry for {name}: train it first "
                         f"(python benchmarks/pretrain.py {name})") from None


@cli_entry
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("name", help=f"the model to make: {', '.join(pretrained.names())}")
    p.add_argument("--minutes", type=float, help="training budget (default: the model's registered one)")
    p.add_argument("--quick", action="store_true", help="tiny model, one epoch: a smoke run (install elsewhere)")
    p.add_argument("--runs", default="runs/pretrain", help="where the full run folder goes")
    p.add_argument("--install", default=pretrained.PACKAGE_DIR, help="where the slimmed model goes")
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "results"), help="where the results go")
    p.add_argument("--install-only", action="store_true",
                   help="install the finished run in --runs again (and time generation from it) with its "
                        "recorded training and evaluation; the results keep the training command")
    p.add_argument("--card-only", action="store_true",
                   help="rewrite the installed model's card.md from docs/results/pretrained.json and the "
                        "registry's notes, without training")
    args = p.parse_args(argv)
    spec = pretrained.get(args.name)
    minutes = spec.minutes if args.minutes is None else args.minutes
    if minutes <= 0:
        raise UsageError(f"--minutes {minutes:g}: must be positive")
    if args.quick and os.path.abspath(args.install) == os.path.abspath(pretrained.PACKAGE_DIR):
        raise UsageError("--quick makes a toy: give it --install DIR outside the package")
    results_path = os.path.join(args.out, "pretrained.json")
    if args.card_only:
        e = _recorded(results_path, args.name)
        write_text(os.path.join(args.install, args.name, pretrained.CARD), card(e, spec))
        return 0
    quiet_tensorflow()

    from mguv import configs
    from mguv.evaluate import evaluate_run
    from mguv.training.callbacks import TimeBudget
    from mguv.training.run import train

    config = configs.get(spec.config)
    config = configs.override(config, _sets(config, args.quick))
    run = os.path.join(args.runs, args.name)
    command = f"python benchmarks/pretrain.py {args.name}" + (f" --minutes {minutes:g}" if args.minutes else "")
    if args.install_only:
        try:
            with open(os.path.join(run, "summary.json")) as f:
                summary = json.load(f)
            with open(os.path.join(run, "metrics.json")) as f:
                metrics = json.load(f)
        except (OSError, ValueError) as err:
            raise UsageError(f"--install-only needs the finished, evaluated run {run}: {err}") from None
        command = _recorded(results_path, args.name)["command"]
    else:
        shutil.rmtree(run, ignore_errors=True)
        print(f"== {args.name}: {config.name}, {minutes:g} min of training", file=sys.stderr)
        summary = train(config, [], run, num_samples=8, verbose=2, callbacks=[TimeBudget(minutes * 60)])
        metrics = evaluate_run(run, iw_samples=0, progress=sys.stderr.isatty())
    dest = os.path.join(args.install, args.name)
    pretrained.install(run, dest)
    figures = os.path.join(args.out, "pretrained")
    os.makedirs(figures, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        seconds = time_generate(dest, tmp)
        if not args.quick:
            shutil.copy(os.path.join(tmp, "sample.png"), os.path.join(figures, f"{args.name}-samples.png"))
    e = entry(args.name, config, summary, metrics, seconds, round(folder_mb(dest), 2), minutes, command)
    if args.install_only:
        e["installed_by"] = f"python benchmarks/pretrain.py {args.name} --install-only ({time.strftime('%Y-%m-%d')})"
    write_text(os.path.join(dest, pretrained.CARD), card(e, spec))
    results = {"models": {}}
    if os.path.exists(results_path) and not args.quick:
        with open(results_path) as f:
            results = json.load(f)
    results["models"][args.name] = e
    results["machine"] = machine()
    if not args.quick:
        write_json(results_path, results)
        write_text(os.path.join(args.out, "pretrained.md"), markdown(results))
    print(json.dumps(e, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
