#!/usr/bin/env python
"""The Nottingham benchmark: the LSTM-VAE paper's recipe, mguv's best config and the same model on
the note-faithful representation (onsets, segments at bar lines), same data.

    python benchmarks/nottingham.py                              # ../shared/data/nottingham, ~60 min
    python benchmarks/nottingham.py --data ~/nottingham --runs /tmp/bench

Paper preprocessing: the full MIDI files (melody and chords), 4 steps per beat, pitches 48..83,
32-step segments, silent segments dropped, an 85:15 random segment split (seed 0). Each row trains
for a fixed wall-clock budget (its share of --minutes), then ``mguv.evaluate`` scores the
validation split (teacher-forced and free-running frame P/R/F1 over piano-roll cells and onset
P/R/F1 over notes, accuracy and baselines, KL, active units, ELBO) and 1,000 prior samples against
the validation data. The tables set the paper's reported P/R/F1 beside the frame scores. The
note-faithful rows (``lstm_vae-nottingham-onsets``: rolls with onsets, 2-bar segments cut at the
bar lines of the 4/4 tunes) run on the paper's segment split and on mguv's file split (no tune on
both sides), and are held against the note-faithful targets (onset F1, re-struck notes in prior
samples, the round trip of ``benchmarks/roundtrip.py``).

Writes docs/results/nottingham.json, docs/results/nottingham.md and the figures under
docs/results/nottingham/ (loss curves, per-pitch F1, PCA and t-SNE of mu, prior samples).
"""

import argparse
import os
import platform
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # benchmarks/roundtrip.py

from mguv.cli import quiet_tensorflow  # noqa: E402
from mguv.errors import UsageError, cli_entry  # noqa: E402

DEFAULT_DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared",
                            "data", "nottingham")
PAPER, BEST, ONSETS = "lstm_vae-paper", "lstm_vae-nottingham", "lstm_vae-nottingham-onsets"
# (config, data variant, split, share of the training budget, extra --set). The shares add up to 1.
# The onset rows use the note-faithful representation (onsets, 2-bar segments at 4/4 bar lines) on
# both the paper's random segment split and mguv's file split (no tune on both sides).
ROWS = ((PAPER, "full", "segment", 0.15, ()), (BEST, "full", "segment", 0.3, ()),
        (BEST, "melody", "segment", 0.1, ()), (ONSETS, "full", "segment", 0.25, ()),
        (ONSETS, "full", "file", 0.2, ()))
QUICK_ROWS = (("lstm_vae-tiny", "full", "segment", 0.4, ()), ("lstm_vae-tiny", "melody", "segment", 0.3, ()),
              ("lstm_vae-tiny", "full", "file", 0.3, ("onsets=true", "segment_bars=2")))
# The paper's preprocessing, applied to every row whatever its config says (the split is the row's).
PAPER_DATA = ["val_fraction=0.15", "seed=0", "transpose=0"]
FIGURES = {"loss.png": "loss", "reconstructions.png": "reconstructions", "per_pitch_f1.png": "per_pitch_f1", "latent_pca.png": "pca",
           "latent_tsne.png": "tsne", "samples.png": "samples"}
PAPER_REPORTED = {"precision": 0.879, "recall": 0.804, "f1": 0.840}


def figure_stem(name, variant, split, rep):
    """The name of a row's run and figures: config and data, then what differs from the paper's
    preprocessing (the split, onsets and bars of a tiny smoke-test row)."""
    tags = ([] if split == "segment" else [f"{split}-split"]) + (
        ["onsets"] if rep.onsets and "onsets" not in name else [])
    return "-".join([name, variant, *tags])


def spec(variant, folder):
    return f"nottingham={folder}" if variant == "full" else f"nottingham/{variant}={folder}"


def leak_baselines(config, data_spec):
    """How much the random segment split leaks: the fraction of validation segments that also
    occur, cell for cell, in training, and the frame and onset F1 of answering each validation
    segment with its nearest training segment (Hamming distance). A model that memorises training
    segments can reach about these F1s without generalising."""
    import numpy as np

    from mguv import metrics_eval, note_metrics
    from mguv.data.prepare import prepare_data

    segments, train_idx, val_idx = prepare_data(config, [data_spec], progress=False)
    train = segments.x[train_idx].reshape(len(train_idx), -1).astype(np.float32)
    val = segments.x[val_idx].reshape(len(val_idx), -1).astype(np.float32)
    seen = {row.tobytes() for row in train.astype(bool)}
    duplicates = sum(row.tobytes() in seen for row in val.astype(bool))
    counts, notes = np.zeros(4, np.int64), np.zeros(3, np.int64)
    train_norm = train.sum(axis=1)
    rep = config.representation
    for start in range(0, len(val), 512):
        v = val[start:start + 512]
        distance = v.sum(axis=1)[:, None] + train_norm[None] - 2 * v @ train.T
        nearest = train[distance.argmin(axis=1)]
        counts += metrics_eval.cell_counts(v, nearest)
        notes += note_metrics.note_counts(v.reshape((-1,) + rep.shape), nearest.reshape((-1,) + rep.shape), rep)
    p, r, f1 = metrics_eval.precision_recall_f1(counts)
    return {"val_segments_in_train": round(duplicates / max(len(val), 1), 4),
            "nearest_train_segment_precision": round(float(p), 4),
            "nearest_train_segment_recall": round(float(r), 4),
            "nearest_train_segment_f1": round(float(f1), 4),
            "nearest_train_segment_onset_f1": round(note_metrics.onset_precision_recall_f1(notes)[2], 4)}


def row(name, variant, split, rep, summary, metrics):
    prior = metrics["prior_samples"]
    r = lambda v: round(float(v), 4)  # noqa: E731
    return {
        "config": name, "data": variant, "split": split, "onsets": rep.onsets, "segment_bars": rep.segment_bars,
        **{f"frame_{stat}_{mode}": r(metrics[f"frame_{stat}_{mode}"]) for mode in ("teacher_forced", "free_running")
           for stat in ("precision", "recall", "f1")},
        "precision_teacher_forced": r(metrics["teacher_forced_precision"]),
        "recall_teacher_forced": r(metrics["teacher_forced_recall"]),
        "f1_teacher_forced": r(metrics["teacher_forced_f1"]),
        "precision_free_running": r(metrics["free_running_precision"]),
        "recall_free_running": r(metrics["free_running_recall"]),
        "f1_free_running": r(metrics["free_running_f1"]),
        **{f"onset_{stat}_{mode}": r(metrics[f"onset_{stat}_{mode}"]) for mode in ("teacher_forced", "free_running")
           for stat in ("precision", "recall", "f1")},
        "accuracy": r(metrics["teacher_forced_accuracy"]),
        "accuracy_free_running": r(metrics["free_running_accuracy"]),
        "accuracy_all_zeros": r(metrics["all_zeros_accuracy"]),
        "f1_copy_first_step": r(metrics["copy_first_step_f1"]),
        "kl_nats": r(metrics["kl_per_segment_nats"]),
        "active_units": metrics["active_units"], "latent_dim": metrics["latent_dim"],
        "elbo_nats_per_step": r(metrics["elbo_per_step_nats"]),
        "nll_nats_per_segment": r(metrics["nll_per_segment_nats"]),
        "sample_note_density_rel_err": r(prior["note_density_rel_err"]),
        "sample_polyphony_rel_err": r(prior["polyphony_rel_err"]),
        "sample_pitch_class_l1": r(prior["pitch_class_l1"]),
        "sample_restruck_rate": r(prior["samples"]["restruck_rate"]),
        "data_restruck_rate": r(prior["validation"]["restruck_rate"]),
        "sample_scale_consistency": r(prior["samples"]["scale_consistency"]),
        "data_scale_consistency": r(prior["validation"]["scale_consistency"]),
        "sample_empty_step_rate": r(prior["samples"]["empty_step_rate"]),
        "data_empty_step_rate": r(prior["validation"]["empty_step_rate"]),
        "sample_note_density": r(prior["samples"]["note_density"]),
        "data_note_density": r(prior["validation"]["note_density"]),
        "sample_polyphony": r(prior["samples"]["polyphony"]),
        "data_polyphony": r(prior["validation"]["polyphony"]),
        "train_seconds": round(summary["train_seconds"], 1), "epochs": summary["epochs_run"],
        "params": summary["params"], "train_segments": summary["train_segments"],
        "val_segments": metrics["val_segments"],
    }


def targets(best):
    """The issue's targets for the best config, each {"name", "value", "target", "met"}."""
    f1 = best["f1_free_running"]
    checks = [
        ("teacher-forced F1", best["f1_teacher_forced"], ">= 0.97", best["f1_teacher_forced"] >= 0.97),
        ("free-running F1", f1, ">= 0.90", f1 >= 0.90),
        ("free-running precision within 0.05 of F1", best["precision_free_running"], f"{f1:.3f} +- 0.05",
         abs(best["precision_free_running"] - f1) <= 0.05),
        ("free-running recall within 0.05 of F1", best["recall_free_running"], f"{f1:.3f} +- 0.05",
         abs(best["recall_free_running"] - f1) <= 0.05),
        ("active latent units", best["active_units"], ">= 16", best["active_units"] >= 16),
        ("KL (nats/segment)", best["kl_nats"], ">= 10", best["kl_nats"] >= 10),
        ("prior samples: note density rel. error", best["sample_note_density_rel_err"], "<= 0.15",
         best["sample_note_density_rel_err"] <= 0.15),
        ("prior samples: polyphony rel. error", best["sample_polyphony_rel_err"], "<= 0.15",
         best["sample_polyphony_rel_err"] <= 0.15),
        ("prior samples: pitch-class histogram L1", best["sample_pitch_class_l1"], "<= 0.15",
         best["sample_pitch_class_l1"] <= 0.15),
    ]
    return [{"name": n, "value": v, "target": t, "met": bool(m)} for n, v, t, m in checks]


def onset_targets(row, roundtrip):
    """The note-faithful issue's targets for an onset row, each {"name", "value", "target", "met"}:
    ``roundtrip`` is benchmarks/roundtrip.py's result for the rolls with onsets."""
    f1 = row["onset_f1_free_running"]
    wanted = 0.90 if row["split"] == "segment" else 0.80
    restruck, data = row["sample_restruck_rate"], row["data_restruck_rate"]
    restruck_err = abs(restruck - data) / data if data else float("inf")
    checks = [
        ("round trip: notes back identical", roundtrip["survived_fraction"], "1.0",
         roundtrip["survived_fraction"] == 1.0),
        (f"free-running onset F1 ({row['split']} split)", f1, f">= {wanted:.2f}", f1 >= wanted),
        ("free-running onset precision within 0.05 of F1", row["onset_precision_free_running"],
         f"{f1:.3f} +- 0.05", abs(row["onset_precision_free_running"] - f1) <= 0.05),
        ("free-running onset recall within 0.05 of F1", row["onset_recall_free_running"], f"{f1:.3f} +- 0.05",
         abs(row["onset_recall_free_running"] - f1) <= 0.05),
        ("prior samples: note density rel. error", row["sample_note_density_rel_err"], "<= 0.15",
         row["sample_note_density_rel_err"] <= 0.15),
        ("prior samples: polyphony rel. error", row["sample_polyphony_rel_err"], "<= 0.15",
         row["sample_polyphony_rel_err"] <= 0.15),
        ("prior samples: pitch-class histogram L1", row["sample_pitch_class_l1"], "<= 0.15",
         row["sample_pitch_class_l1"] <= 0.15),
        ("prior samples: re-struck share rel. error", round(restruck_err, 4), "<= 0.20", restruck_err <= 0.20),
    ]
    return [{"name": n, "value": v, "target": t, "met": bool(m)} for n, v, t, m in checks]


def markdown(result):
    runs, best = result["runs"], result["best"]
    pct = lambda v: f"{100 * v:.1f}"  # noqa: E731
    lines = [
        "# Nottingham benchmark",
        "",
        f"Made by `{result['command']}` on {result['date']} ({result['machine']}); "
        f"{result['total_seconds'] / 60:.1f} minutes in all; 1-minute load average after each row "
        f"{', '.join(str(v) for v in result['load_average_1min_per_row'])} on {os.cpu_count()} cores. Paper preprocessing: full MIDI files "
        "(melody + chords), 4 steps per beat, pitches 48..83, 32-step segments, silent segments "
        "dropped, an 85:15 split (the row's: the paper's random segment split, or mguv's file split, no "
        "tune on both sides), seed 0; the onset rows cut their segments at 4/4 bar lines. Free-running = greedy autoregressive decoding "
        "from the posterior mean (a cell is fed back as on when p > 0.5). Prior samples: "
        f"{result['prior_samples']} draws z ~ N(0, I), each cell sampled from its Bernoulli at "
        "temperature 1. Frame scores count piano-roll cells; onset F1 counts notes (same pitch, onset "
        "within half a step, offsets ignored), so it also sees a lost or extra onset.",
        "",
        "| config | data | split | params | train min | epochs | TF frame P / R / F1 (%) | TF onset F1 (%) "
        "| free-running frame P / R / F1 (%) | free-running onset F1 (%) "
        "| accuracy (all-zeros) | copy-1st frame F1 | KL nats | active | ELBO nats/step | density err | "
        "polyphony err | PC L1 |",
        "|---|---|---|---:|---:|---:|---|---:|---|---:|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| paper (reported) | full | segment | | | | {pct(PAPER_REPORTED['precision'])} / "
        f"{pct(PAPER_REPORTED['recall'])} / {pct(PAPER_REPORTED['f1'])} | | | | | | | | | | | |",
    ]
    for r in runs:
        lines.append(
            f"| {r['config']}{' (onsets, bars)' if r['onsets'] and 'onsets' not in r['config'] else ''} | "
            f"{r['data']} | {r['split']} | {r['params']:,} | {r['train_seconds'] / 60:.1f} | {r['epochs']} | "
            f"{pct(r['precision_teacher_forced'])} / {pct(r['recall_teacher_forced'])} / "
            f"{pct(r['f1_teacher_forced'])} | {pct(r['onset_f1_teacher_forced'])} | "
            f"{pct(r['precision_free_running'])} / {pct(r['recall_free_running'])} / "
            f"{pct(r['f1_free_running'])} | {pct(r['onset_f1_free_running'])} | "
            f"{pct(r['accuracy'])} ({pct(r['accuracy_all_zeros'])}) | {pct(r['f1_copy_first_step'])} | "
            f"{r['kl_nats']:.1f} | {r['active_units']}/{r['latent_dim']} | {r['elbo_nats_per_step']:.3f} | "
            f"{r['sample_note_density_rel_err']:.3f} | {r['sample_polyphony_rel_err']:.3f} | "
            f"{r['sample_pitch_class_l1']:.3f} |")
    lines += ["", f"## Targets (config `{best}`, full files)", "",
              "The F1, precision and recall targets are on the frame scores (over piano-roll cells).", "",
              "| target | value | wanted | met |", "|---|---:|---|---|"]
    for t in result["targets"]:
        value = t["value"] if isinstance(t["value"], int) else f"{t['value']:.4f}"
        lines.append(f"| {t['name']} | {value} | {t['target']} | {'yes' if t['met'] else '**no**'} |")
    rt = result["roundtrip_onsets"]
    lines += ["", "## Targets of the note-faithful representation (onsets, 2-bar segments at bar lines)", "",
              f"Round trip (benchmarks/roundtrip.py on the same folder): {rt['survived']:,} of {rt['notes']:,} "
              f"notes in range come back identical through roll -> MIDI -> notes ({pct(rt['survived_fraction'])}%); "
              "every segment starts on a bar line of its tune by construction (`mguv.data.roll.segment_at_bars`). "
              "Onset F1 counts notes: same pitch, onset within half a step, offsets ignored.", ""]
    for stem, checks in result["onset_targets"].items():
        lines += [f"**{stem}**", "", "| target | value | wanted | met |", "|---|---:|---|---|"]
        for t in checks:
            value = t["value"] if isinstance(t["value"], int) else f"{t['value']:.4f}"
            lines.append(f"| {t['name']} | {value} | {t['target']} | {'yes' if t['met'] else '**no**'} |")
        lines.append("")
    leak = result["split_leak"]
    lines += [
        "", "## Prior samples against the validation data", "",
        "| config | data | note density (data) | polyphony (data) | in-scale fraction (data) | "
        "empty steps (data) | re-struck notes (data) |", "|---|---|---|---|---|---|---|"]
    for r in runs:
        lines.append(f"| {r['stem']} | {r['data']} | {r['sample_note_density']:.4f} ({r['data_note_density']:.4f}) | "
                     f"{r['sample_polyphony']:.2f} ({r['data_polyphony']:.2f}) | "
                     f"{r['sample_scale_consistency']:.3f} ({r['data_scale_consistency']:.3f}) | "
                     f"{r['sample_empty_step_rate']:.3f} ({r['data_empty_step_rate']:.3f}) | "
                     f"{r['sample_restruck_rate']:.3f} ({r['data_restruck_rate']:.3f}) |")
    lines += [
        "", "## How much the paper's split leaks", "",
        f"Folk tunes repeat their parts, so with a random *segment* split "
        f"{pct(leak['val_segments_in_train'])}% of the validation segments (full files) also occur, cell "
        "for cell, in the training split. Answering each validation segment with its nearest training "
        f"segment scores frame F1 {pct(leak['nearest_train_segment_f1'])}% "
        f"(P {pct(leak['nearest_train_segment_precision'])}, R {pct(leak['nearest_train_segment_recall'])}) "
        f"and onset F1 {pct(leak['nearest_train_segment_onset_f1'])}%. "
        "Scores on this split measure how well a model stores and recalls segments through z, not how "
        "well it generalises to unseen tunes; train with `--split file` (mguv's default) for that.",
        "", "## Figures", ""]
    for r in runs:
        stem = r["stem"]
        lines.append(f"**{stem}**: " + ", ".join(
            f"[{label}](nottingham/{stem}-{label}.png)" for label in FIGURES.values()))
        lines.append("")
    first = f"{best}-full"
    lines += [f"![loss curves of {best}](nottingham/{first}-loss.png)", "",
              f"![t-SNE of mu, coloured by note density](nottingham/{first}-tsne.png)", ""]
    return "\n".join(lines) + "\n"


@cli_entry
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default=DEFAULT_DATA, help="the Nottingham folder (default ../shared/data/nottingham)")
    p.add_argument("--minutes", type=float, default=50.0,
                   help="training budget of all rows together (evaluation comes on top)")
    p.add_argument("--runs", default="runs/bench-nottingham", help="where the runs go")
    p.add_argument("--out", default="docs/results", help="where nottingham.json/.md and figures go")
    p.add_argument("--quick", action="store_true", help="tiny configs, seconds per row (a smoke test)")
    args = p.parse_args(argv)
    if not os.path.isdir(args.data):
        raise UsageError(f"--data {args.data}: no such folder (the Nottingham MIDI dataset)")
    quiet_tensorflow()

    from mguv import configs
    from mguv.evaluate import PRIOR_SAMPLES, evaluate_run
    from mguv.training.callbacks import TimeBudget
    from mguv.training.run import train

    start = time.time()
    rows, loads, figures = [], [], os.path.join(args.out, "nottingham")
    os.makedirs(figures, exist_ok=True)
    plan = QUICK_ROWS if args.quick else ROWS
    for name, variant, split, share, extra in plan:
        sets = PAPER_DATA + [f"split={split}", *extra] + (["epochs=1"] if args.quick else [])
        config = configs.override(configs.get(name), sets)
        stem = figure_stem(name, variant, split, config.representation)
        run = os.path.join(args.runs, stem)
        shutil.rmtree(run, ignore_errors=True)
        print(f"== {stem}: {share * args.minutes:.1f} min of training", file=sys.stderr)
        summary = train(config, [spec(variant, args.data)], run, num_samples=8, verbose=2,
                        callbacks=[TimeBudget(share * args.minutes * 60)])
        metrics = evaluate_run(run, max_segments=64 if args.quick else None)
        rows.append({**row(name, variant, split, config.representation, summary, metrics), "stem": stem})
        loads.append(round(os.getloadavg()[0], 2))
        for src, label in FIGURES.items():
            path = os.path.join(run, "plots", src)
            if os.path.exists(path):
                shutil.copyfile(path, os.path.join(figures, f"{stem}-{label}.png"))
    best = plan[1][0] if not args.quick else plan[0][0]
    best_row = next(r for r in rows if r["config"] == best and r["data"] == "full" and not r["onsets"])
    from roundtrip import measure

    roundtrip = measure(args.data, {"onsets": configs.get(ONSETS).representation})
    onset_rows = [r for r in rows if r["onsets"]]
    leak_config = configs.override(configs.get(best), PAPER_DATA + ["split=segment"])
    result = {
        "command": "python benchmarks/nottingham.py" + (" --quick" if args.quick else "")
                   + (f" --minutes {args.minutes:g}" if args.minutes != 50.0 else ""),
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores",
        "preprocessing": {"steps_per_beat": 4, "pitches": [48, 83], "segment_steps": 32,
                          "split": "segment", "val_fraction": 0.15, "seed": 0},
        "prior_samples": PRIOR_SAMPLES,
        "paper_reported": PAPER_REPORTED,
        "runs": rows, "best": best, "targets": targets(best_row),
        "roundtrip_onsets": roundtrip["rolls"]["onsets"],
        "onset_targets": {r["stem"]: onset_targets(r, roundtrip["rolls"]["onsets"]) for r in onset_rows},
        "split_leak": leak_baselines(leak_config, spec("full", args.data)),
        "total_seconds": round(time.time() - start, 1),
        # Other jobs on the machine slow training down, and every row trains for a fixed time.
        "load_average_1min_per_row": loads,
    }
    os.makedirs(args.out, exist_ok=True)
    from mguv.io import write_json, write_text

    write_json(os.path.join(args.out, "nottingham.json"), result)
    write_text(os.path.join(args.out, "nottingham.md"), markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
