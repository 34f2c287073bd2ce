#!/usr/bin/env python
"""Compare the model families on the same data and the same wall-clock budget (the Bach study).

    python benchmarks/compare.py                        # Bach chorales, 88 keys, 3 min per model
    python benchmarks/compare.py --minutes 10 --models lstm hier_vae
    python benchmarks/compare.py --quick                # tiny configs, one epoch each: a smoke test

Every model trains through ``mguv.training.run.train`` (the same pipeline, callbacks and split as
``train.py``) with a ``TimeBudget`` of ``--minutes`` (vq_vae splits its budget between its two
stages). Then, on the validation split:
  - NLL per step (nats) where a likelihood is defined: exact for the next-step models, the negative
    ELBO (an upper bound) for the VAEs and for the VQ-VAE with its prior; none for the WGAN;
  - reconstruction frame F1 (over piano-roll cells) and onset F1 (over notes: same pitch, onset
    within half a step; ``mguv.note_metrics``), teacher-forced and free-running (VAEs; the VQ-VAE's
    decoder is not autoregressive, so both are the same number), and next-step frame F1 for the
    next-step models;
  - KL and active units (VAEs), codebook perplexity and codes used (VQ-VAE): posterior or codebook
    collapse shows as a number;
  - prior samples drawn through the exported SavedModel at temperature 1, scored against the
    validation data with ``mguv.sample_stats`` (the Nottingham benchmark's statistics), plus the
    longest run of an unchanged step in greedy and sampled output (greedy collapse);
  - a piano-roll figure of 4 samples per model.

Writes docs/results/compare.json, docs/results/compare.md and docs/results/compare/<model>.png
(``--quick`` writes under runs/compare-quick/ instead, so it never replaces the real results).
"""

import argparse
import os
import platform
import shutil
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mguv.cli import quiet_tensorflow  # noqa: E402
from mguv.errors import UsageError, cli_entry  # noqa: E402

# family -> (config, --quick config), in the order of the tables.
MODELS = {
    "lstm": ("lstm", "lstm-tiny"),
    "lstm_attention": ("lstm_attention", "lstm_attention-tiny"),
    "lstm_vae": ("lstm_vae-bach88", "lstm_vae-tiny"),
    "hier_vae": ("hier_vae", "hier_vae-tiny"),
    "vq_vae": ("vq_vae", "vq_vae-tiny"),
    "wgan": ("wgan", "wgan-tiny"),
}
SAMPLES = 1000           # prior samples per model for the statistics (as in the Nottingham benchmark)
GREEDY_SAMPLES = 100
PRIOR_SHARE = 0.2        # vq_vae: the share of its budget that stage two (the code prior) gets
DEFAULT_MINUTES = 3.0
# Measures with a winner: (key, label, better, families compared). Sample statistics are errors
# against the data. lstm_attention's NLL is over its voice split, not over cells: not comparable.
CELL_NLL = ("lstm", "lstm_vae", "hier_vae", "vq_vae")
WINNERS = (
    ("nll_per_step", "NLL per step over cells (nats; exact for lstm, an upper bound for the latent models)",
     min, CELL_NLL),
    ("frame_f1_teacher_forced", "reconstruction frame F1, teacher-forced", max, None),
    ("frame_f1_free_running", "reconstruction frame F1, free-running", max, None),
    ("onset_f1_teacher_forced", "reconstruction onset F1, teacher-forced", max, None),
    ("onset_f1_free_running", "reconstruction onset F1, free-running", max, None),
    ("sample_note_density_rel_err", "samples: note density rel. error", min, None),
    ("sample_polyphony_rel_err", "samples: polyphony rel. error", min, None),
    ("sample_pitch_class_l1", "samples: pitch-class histogram L1", min, None),
    ("sample_scale_consistency_rel_err", "samples: scale consistency rel. error", min, None),
    ("sample_empty_step_rate_rel_err", "samples: empty-step rate rel. error", min, None),
    ("sample_longest_run_err", "samples: longest unchanged run, error vs data", min, None),
)


def longest_runs(rolls):
    """Per roll [n, steps, pitches], the longest run of consecutive identical steps (steps) -> [n]."""
    on = np.asarray(rolls) > 0.5
    same = (on[:, 1:] == on[:, :-1]).all(axis=2)
    best = np.ones(len(on), np.int64)
    run = np.ones(len(on), np.int64)
    for t in range(same.shape[1]):
        run = np.where(same[:, t], run + 1, 1)
        best = np.maximum(best, run)
    return best


def _r(value, digits=4):
    return None if value is None else round(float(value), digits)


def measure(family, run, config, specs, num_samples, max_val, seed):
    """Everything the tables need for one trained run (see the module docstring)."""
    from mguv import metrics_eval, note_metrics, sample_stats
    from mguv.evaluate import score_segments, validation_segments
    from mguv.models.saving import load_model
    from mguv.trained_model import TrainedModel

    rep = config.representation
    steps = rep.segment_steps
    x = validation_segments(config, specs)
    if max_val and len(x) > max_val:
        x = x[metrics_eval.spread_indices(len(x), max_val)]
    xf = np.asarray(x, np.float32)
    model = load_model(os.path.join(run, "model.keras"))
    out = {"val_segments": int(len(x))}
    if model.encodes:
        m, _ = score_segments(model, rep, x)
        out.update(nll_per_step=-m["elbo_per_step_nats"], nll_kind="-ELBO (bound)",
                   **{f"{kind}_f1_{mode}": m[f"{kind}_f1_{mode}"] for kind in ("frame", "onset")
                      for mode in ("teacher_forced", "free_running")},
                   kl_per_segment=m["kl_per_segment_nats"], active_units=m["active_units"],
                   latent_dim=m["latent_dim"])
    elif family in ("lstm", "lstm_attention"):
        ev = model.evaluate(xf, batch_size=256, verbose=0, return_dict=True)
        kind = "exact" if family == "lstm" else "exact, of the voice split (<= 4 notes a step)"
        out.update(nll_per_step=ev["nll"] / steps, nll_kind=kind, next_step_f1=ev["f1"])
    elif family == "vq_vae":
        ev = model.evaluate(xf, batch_size=256, verbose=0, return_dict=True)
        codes = model.encode_all(xf)
        batches = [codes[i:i + 256] for i in range(0, len(codes), 256)]
        prior_nll = float(np.mean(np.concatenate([np.asarray(model.prior.nll(c, model.prior(c))) for c in batches])))
        probs = np.concatenate([np.asarray(model.decode_codes(c)) for c in batches])
        _, _, f1 = metrics_eval.precision_recall_f1(metrics_eval.cell_counts(x, probs))
        _, _, onset_f1 = note_metrics.onset_precision_recall_f1(note_metrics.note_counts(x, probs, rep))
        counts = np.bincount(codes.reshape(-1), minlength=model.codebook_size)
        p = counts / max(counts.sum(), 1)
        out.update(nll_per_step=(ev["nll"] + prior_nll) / steps, nll_kind="-ELBO with the code prior (bound)",
                   frame_f1_teacher_forced=float(f1), frame_f1_free_running=float(f1),
                   onset_f1_teacher_forced=onset_f1, onset_f1_free_running=onset_f1,
                   codebook_perplexity=float(np.exp(-(p[p > 0] * np.log(p[p > 0])).sum())),
                   codes_used=int((counts > 0).sum()), codebook_size=int(model.codebook_size))
    elif family == "wgan":
        ev = model.evaluate(xf, batch_size=256, verbose=0, return_dict=True)
        out.update(wasserstein_estimate=ev["loss"])

    trained = TrainedModel.from_run(run)  # samples through the exported model, as users get them
    samples = trained.sample(num_samples, 1.0, seed)
    greedy = trained.sample(min(GREEDY_SAMPLES, num_samples), 0.0, seed)
    data_stats = sample_stats.sample_statistics(x, rep)
    stats = sample_stats.sample_statistics(samples, rep)
    errors = sample_stats.compare_statistics(stats, data_stats)
    data_run, sample_run = float(longest_runs(x).mean()), float(longest_runs(samples).mean())
    out.update({f"sample_{k}": v for k, v in errors.items()})
    out.update(sample_note_density=stats["note_density"], sample_polyphony=stats["polyphony"],
               sample_scale_consistency=stats["scale_consistency"], sample_empty_step_rate=stats["empty_step_rate"],
               sample_longest_run=sample_run, greedy_longest_run=float(longest_runs(greedy).mean()),
               sample_longest_run_err=abs(sample_run - data_run),
               greedy_distinct=int(len({g.tobytes() for g in (greedy > 0.5)})), greedy_samples=int(len(greedy)))
    reference = {"note_density": data_stats["note_density"], "polyphony": data_stats["polyphony"],
                 "scale_consistency": data_stats["scale_consistency"],
                 "empty_step_rate": data_stats["empty_step_rate"], "longest_run": data_run}
    return out, samples, reference


def row(family, name, summary, measured):
    keys = ("nll_per_step", "nll_kind", "frame_f1_teacher_forced", "onset_f1_teacher_forced", "frame_f1_free_running",
            "onset_f1_free_running", "next_step_f1", "kl_per_segment",
            "active_units", "latent_dim", "codebook_perplexity", "codes_used", "codebook_size",
            "wasserstein_estimate")
    entry = {"model": family, "config": name, "params": summary["params"],
             "train_seconds": round(summary["train_seconds"], 1), "epochs": summary["epochs_run"],
             "prior_epochs": int(summary["val"]["prior_epochs"]) if "prior_epochs" in summary["val"] else None,
             "val_segments": measured["val_segments"]}
    for k in keys:
        v = measured.get(k)
        entry[k] = v if v is None or isinstance(v, (int, str)) else _r(v)
    for k, v in measured.items():
        if k.startswith(("sample_", "greedy_")):
            entry[k] = v if isinstance(v, int) else _r(v)
    return entry


def winners(models):
    """{measure label: (winning model, value)} over the models where the measure is defined."""
    out = {}
    for key, label, better, families in WINNERS:
        scored = [(m[key], m["model"]) for m in models if m.get(key) is not None and np.isfinite(m[key])
                  and (families is None or m["model"] in families)]
        if len(scored) >= 2:
            value, model = better(scored)
            out[label] = {"model": model, "value": value, "of": len(scored)}
    return out


def markdown(result):
    models = result["models"]
    cell = lambda v, fmt="{:.3f}": "—" if v is None else fmt.format(v)  # noqa: E731
    lines = [
        "# Model families on the Bach chorales",
        "",
        f"Made by `{result['command']}` on {result['date']} ({result['machine']}, shared with other "
        f"work, so wall times are slower than on an idle machine); {result['total_seconds'] / 60:.1f} minutes "
        f"in all. Every model had {result['budget_minutes']:g} minutes of training (it stops at the end of "
        f"the first epoch past the budget; vq_vae gives {PRIOR_SHARE:.0%} of it to its code prior). Data: "
        f"{result['data']}; {result['representation']}; validation split by file, seed {result['seed']} "
        f"({models[0]['val_segments'] if models else 0} segments). Samples: {result['samples']} per model "
        "from the exported SavedModel at temperature 1 (the families' own sampling: Bernoulli cells for "
        "the VAEs and the WGAN, top-k for lstm and lstm_attention, prior codes for vq_vae).",
        "",
        "| model | params | train s | epochs | NLL/step | TF frame F1 | TF onset F1 | free frame F1 "
        "| free onset F1 | next-step frame F1 | KL nats | active | codebook ppl (used) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for m in models:
        active = "—" if m["active_units"] is None else f"{m['active_units']}/{m['latent_dim']}"
        epochs = str(m["epochs"]) + ("" if m["prior_epochs"] is None else f" + {m['prior_epochs']} (prior)")
        ppl = "—" if m["codebook_perplexity"] is None else (
            f"{m['codebook_perplexity']:.1f} ({m['codes_used']}/{m['codebook_size']})")
        lines.append(
            f"| {m['model']} | {m['params']:,} | {m['train_seconds']:.0f} | {epochs} | {cell(m['nll_per_step'])} "
            f"| {cell(m['frame_f1_teacher_forced'])} | {cell(m['onset_f1_teacher_forced'])} "
            f"| {cell(m['frame_f1_free_running'])} | {cell(m['onset_f1_free_running'])} | {cell(m['next_step_f1'])} "
            f"| {cell(m['kl_per_segment'], '{:.1f}')} | {active} | {ppl} |")
    ref = result["reference"]
    lines += [
        "",
        "Train seconds include both stages of vq_vae. "
        "NLL/step is in nats per 32-step segment divided by 32. It is exact for lstm; for "
        "lstm_attention it is exact too, but of the voice split (the highest three notes and the bass "
        "of each step), a different event space from the cell-wise Bernoulli of the others; for the "
        "VAEs and vq_vae it is the negative ELBO, an upper bound. The WGAN has none (its critic's "
        "Wasserstein estimate is in compare.json). Frame F1 scores piano-roll cells one by one; onset "
        "F1 scores notes (same pitch, onset within half a step, offsets ignored), so it also counts a "
        "lost or extra onset, such as two repeated notes merged into one.",
        "",
        "## Samples against the validation data",
        "",
        "| model | note density | polyphony | in-scale | empty steps | longest unchanged run (greedy) "
        "| density err | polyphony err | PC L1 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| *validation data* | {ref['note_density']:.4f} | {ref['polyphony']:.2f} | {ref['scale_consistency']:.3f} "
        f"| {ref['empty_step_rate']:.3f} | {ref['longest_run']:.1f} | | | |",
    ]
    for m in models:
        lines.append(
            f"| {m['model']} | {m['sample_note_density']:.4f} | {m['sample_polyphony']:.2f} "
            f"| {m['sample_scale_consistency']:.3f} | {m['sample_empty_step_rate']:.3f} "
            f"| {m['sample_longest_run']:.1f} ({m['greedy_longest_run']:.1f}) "
            f"| {m['sample_note_density_rel_err']:.3f} | {m['sample_polyphony_rel_err']:.3f} "
            f"| {m['sample_pitch_class_l1']:.3f} |")
    lines += ["", "## Which family won which measure", ""]
    for label, w in result["winners"].items():
        lines.append(f"- {label}: **{w['model']}** ({w['value']:.4g}; of {w['of']} models with this measure)")
    lines += ["", result.get("note", ""), "", "## Four samples per model", ""]
    lines += [f"![{m['model']}](compare/{m['model']}.png)" for m in models]
    return "\n".join(lines) + "\n"


def note(models):
    """Plain-language remarks the numbers support (collapse of latents and of greedy decoding)."""
    out = []
    short = [m for m in models if m["epochs"] <= 4]
    if short:
        out.append(" and ".join(f"{m['model']} ({m['epochs']} epochs)" for m in short)
                   + " had time for few epochs in the budget: their numbers say how fast they learn on "
                   "this CPU, not how well they end up.")
    for m in models:
        if m["active_units"] is not None and m["active_units"] <= 0.1 * m["latent_dim"]:
            out.append(f"{m['model']} shows posterior collapse: {m['active_units']}/{m['latent_dim']} active "
                       f"units, KL {m['kl_per_segment']:.1f} nats.")
        if m["codebook_perplexity"] is not None:
            out.append(f"vq_vae uses {m['codes_used']} of its {m['codebook_size']} codes (perplexity "
                       f"{m['codebook_perplexity']:.1f}) on the validation data.")
        if m["model"] in ("lstm", "lstm_attention"):
            out.append(f"{m['model']}: greedy decoding gives {m['greedy_distinct']} distinct sample(s) out of "
                       f"{m['greedy_samples']} with a longest unchanged run of {m['greedy_longest_run']:.1f} steps, "
                       f"against {m['sample_longest_run']:.1f} when sampling at temperature 1 with top-k.")
    return " ".join(out)


@cli_entry
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", nargs="*", default=[], help="data specs as for train.py (default: bach)")
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS), help="families to compare")
    p.add_argument("--minutes", type=float, default=DEFAULT_MINUTES, help="training budget per model")
    p.add_argument("--runs", default="runs/compare", help="where the runs go")
    p.add_argument("--out", help="where compare.json/.md and compare/ go (default docs/results)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="override for every model (e.g. adaptive_step=true)")
    p.add_argument("--quick", action="store_true", help="tiny configs, one epoch each (a smoke test)")
    args = p.parse_args(argv)
    if args.minutes <= 0:
        raise UsageError("--minutes must be positive")
    quiet_tensorflow()

    from mguv import configs
    from mguv.io import write_json, write_text
    from mguv.plots import piano_rolls
    from mguv.training.callbacks import TimeBudget
    from mguv.training.run import train

    out_dir = args.out or ("runs/compare-quick/results" if args.quick else "docs/results")
    runs_dir = "runs/compare-quick" if args.quick and args.runs == "runs/compare" else args.runs
    figures = os.path.join(out_dir, "compare")
    os.makedirs(figures, exist_ok=True)
    num_samples = 32 if args.quick else SAMPLES
    budget = 0.0 if args.quick else args.minutes * 60
    start = time.time()
    models, reference, rep = [], None, None
    for family in args.models:
        name = MODELS[family][1 if args.quick else 0]
        sets = [f"seed={args.seed}", "early_stopping_patience=1000", "epochs=" + ("1" if args.quick else "1000")]
        if family == "vq_vae":
            sets.append("prior_epochs=" + ("1" if args.quick else "1000"))
        config = configs.override(configs.get(name), sets + args.set)
        if rep is not None and config.representation != rep:
            raise UsageError(f"{name} has another representation than the first model; pass --set to align them")
        rep = config.representation
        run = os.path.join(runs_dir, family)
        shutil.rmtree(run, ignore_errors=True)
        share = 1.0 - PRIOR_SHARE if family == "vq_vae" else 1.0
        print(f"== {family} ({name}): {budget * share / 60:.1f} min of training", file=sys.stderr)
        summary = train(config, args.data, run, num_samples=4, verbose=2,
                        callbacks=[TimeBudget(budget * share)],
                        prior_callbacks=[TimeBudget(budget * PRIOR_SHARE)])
        measured, samples, reference = measure(family, run, config, args.data, num_samples,
                                               64 if args.quick else None, args.seed)
        models.append(row(family, name, summary, measured))
        piano_rolls(samples[:4], os.path.join(figures, f"{family}.png"),
                    [f"{family} sample {i}" for i in range(4)], rep)
        print(f"   {family}: {models[-1]}", file=sys.stderr)

    command = "python benchmarks/compare.py" + (" --quick" if args.quick else "") + (
        f" --minutes {args.minutes:g}" if args.minutes != DEFAULT_MINUTES else "") + (
        f" --models {' '.join(args.models)}" if args.models != list(MODELS) else "") + "".join(
        f" --set {s}" for s in args.set)
    result = {
        "command": command, "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores",
        "budget_minutes": 0 if args.quick else args.minutes, "data": " ".join(args.data) or "bach (music21)",
        "representation": (f"{rep.num_pitches} keys (MIDI {rep.min_pitch}..{rep.max_pitch}), "
                           f"{rep.segment_steps}-step segments, "
                           + ("adaptive step" if rep.adaptive_step else f"{rep.steps_per_beat} steps per beat")),
        "seed": args.seed, "samples": num_samples, "reference": reference, "models": models,
        "winners": winners(models), "note": note(models), "total_seconds": round(time.time() - start, 1),
    }
    write_json(os.path.join(out_dir, "compare.json"), result)
    write_text(os.path.join(out_dir, "compare.md"), markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    main()
