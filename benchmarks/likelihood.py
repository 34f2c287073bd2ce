#!/usr/bin/env python
"""The likelihood benchmark: mguv's symbolic families on the polyphonic music benchmark's measure
(Boulanger-Lewandowski et al. 2012: validation negative log-likelihood per frame), Bernoulli
against NADE outputs, next to the published state of the art.

    python benchmarks/likelihood.py                     # ../shared/data/nottingham + Bach, ~60 min
    python benchmarks/likelihood.py --minutes 30 --data ~/nottingham
    python benchmarks/likelihood.py --quick             # tiny models, a smoke test

Data: (1) Nottingham, eighth-note frames (steps_per_beat 2), (2) the Bach chorales of music21,
quarter-note frames; both 88 keys (MIDI 21..108), the binary roll (what sounds at each frame, no
onset plane, as the published figures), 16-step segments cut every 16 steps, silent segments
dropped, split by file (no piece on both sides), 15% validation, seed 0. Rows per data set:
``lstm`` Bernoulli and NADE (= RNN-NADE), ``lstm_vae`` Bernoulli and NADE, ``hier_vae`` NADE
(configs rnn_nade-88, lstm_vae-nade-88, hier_vae-nade-88; Bernoulli rows set model.output).
Each row trains for its share of --minutes (early stopping on the validation loss may end it
sooner), then ``mguv.evaluate`` scores it: the exact NLL of the next-step models per segment
and over whole pieces (the validation segments of a file joined, the state carried along), the
ELBO and the importance-weighted bound (K = 64) of the VAEs per segment, and 1,000 prior samples
against the validation data. Sampling speed: prior samples per second at batch 256.

Writes docs/results/likelihood.json and docs/results/likelihood.md.
"""

import argparse
import os
import platform
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mguv.cli import quiet_tensorflow  # noqa: E402
from mguv.errors import UsageError, cli_entry  # noqa: E402

DEFAULT_DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared",
                            "data", "nottingham")
# (config, output, share of the data set's budget)
ROWS = (("rnn_nade-88", "bernoulli", 0.2), ("rnn_nade-88", "nade", 0.2), ("lstm_vae-nade-88", "bernoulli", 0.2),
        ("lstm_vae-nade-88", "nade", 0.2), ("hier_vae-nade-88", "nade", 0.2))
# (data name, --data specs, representation overrides, share of --minutes)
DATASETS = (("nottingham", None, [], 0.7), ("bach", [], ["steps_per_beat=1"], 0.3))
COMMON = ["split=file", "val_fraction=0.15", "seed=0", "transpose=0", "onsets=false"]
_QUICK_VAE = ["model.latent_dim=8", "model.encoder_units=16", "model.decoder_units=16"]
QUICK = {"lstm": ["model.units=16"], "lstm_vae": _QUICK_VAE, "hier_vae": _QUICK_VAE + ["model.conductor_units=16"]}
QUICK_ALL = ["model.nade_units=16", "epochs=1"]
# Test NLL per frame, nats, on the BL2012 splits (Bai et al. 2018, Table 1; BL2012).
PUBLISHED = {"nottingham": {"RNN-NADE": 2.31, "RNN-RBM": 2.39, "TCN": 3.07, "LSTM": 3.29},
             "bach": {"RNN-NADE": 5.56, "RNN-RBM": 6.27, "TCN": 8.10, "LSTM": 8.45}}
SPEED_BATCH = 256


def family(config_name):
    return {"rnn_nade-88": "lstm", "lstm_vae-nade-88": "lstm_vae", "hier_vae-nade-88": "hier_vae"}[config_name]


def sampling_speed(model, repeats=3):
    """Prior samples per second at batch ``SPEED_BATCH`` (the best of ``repeats`` timed calls after
    one warm-up call that traces the graph)."""
    import tensorflow as tf

    sample = tf.function(lambda seed: model.sample(SPEED_BATCH, 1.0, seed)[1])
    sample(tf.constant([0, 0]))
    best = float("inf")
    for i in range(repeats):
        start = time.perf_counter()
        sample(tf.constant([0, i + 1])).numpy()
        best = min(best, time.perf_counter() - start)
    return SPEED_BATCH / best


def score_row(run, data_name, config_name, output, summary, metrics):
    from mguv.run_dir import load_run

    model = load_run(run)[0]
    lk, prior = metrics["likelihood"], metrics["prior_samples"]
    exact = "segments" in lk
    r = lambda v: None if v is None else round(float(v), 4)  # noqa: E731
    return {
        "family": family(config_name), "output": output, "data": data_name, "config": config_name,
        "nll_nats_per_frame": r(lk["segments"]["nll_nats_per_frame"]) if exact else None,
        "nll_whole_pieces_nats_per_frame": r(lk["whole_pieces"]["nll_nats_per_frame"]) if exact else None,
        "elbo_nats_per_frame": None if exact else r(lk["elbo_nats_per_frame"]),
        "iw_nats_per_frame": None if exact else r(lk["iw_nats_per_frame"]),
        "iw_samples": None if exact else lk["iw_samples"],
        "frames": (lk["segments"] if exact else lk)["frames"],
        "params": summary["params"], "train_seconds": round(summary["train_seconds"], 1),
        "epochs": summary["epochs_run"],
        "sample_in_scale": r(prior["samples"]["scale_consistency"]),
        "data_in_scale": r(prior["validation"]["scale_consistency"]),
        "sample_density_rel_err": r(prior["note_density_rel_err"]),
        "sample_polyphony_rel_err": r(prior["polyphony_rel_err"]),
        "sample_pitch_class_l1": r(prior["pitch_class_l1"]),
        "sample_density": r(prior["samples"]["note_density"]), "data_density": r(prior["validation"]["note_density"]),
        "sample_polyphony": r(prior["samples"]["polyphony"]), "data_polyphony": r(prior["validation"]["polyphony"]),
        "samples_per_second": round(sampling_speed(model), 1),
        "val_segments": metrics["val_segments"],
    }


def best_bound(row):
    return row["nll_nats_per_frame"] if row["nll_nats_per_frame"] is not None else row["iw_nats_per_frame"]


def targets(runs):
    """The issue's targets, each {"name", "value", "target", "met"}."""
    def find(data, fam, output):
        return next((r for r in runs if (r["data"], r["family"], r["output"]) == (data, fam, output)), None)

    checks = []
    vae, rnn_nade = find("nottingham", "lstm_vae", "nade"), find("nottingham", "lstm", "nade")
    if vae and rnn_nade:
        checks += [("Nottingham: lstm_vae NADE IW bound (nats/frame)", vae["iw_nats_per_frame"], "<= 2.5",
                    vae["iw_nats_per_frame"] <= 2.5),
                   ("Nottingham: lstm_vae NADE IW bound <= lstm NADE exact NLL per segment",
                    vae["iw_nats_per_frame"], f"<= {rnn_nade['nll_nats_per_frame']:.4f}",
                    vae["iw_nats_per_frame"] <= rnn_nade["nll_nats_per_frame"])]
    for fam in ("lstm", "lstm_vae"):
        nade, bern = find("bach", fam, "nade"), find("bach", fam, "bernoulli")
        if nade and bern:
            wanted = 0.75 * best_bound(bern)
            checks.append((f"Bach: {fam} NADE at least 25% below {fam} Bernoulli", best_bound(nade),
                           f"<= {wanted:.4f}", best_bound(nade) <= wanted))
    if vae:
        checks += [
            ("Nottingham: lstm_vae NADE prior samples, in-scale fraction within 0.02 of the data",
             vae["sample_in_scale"], f"{vae['data_in_scale']:.3f} +- 0.02",
             abs(vae["sample_in_scale"] - vae["data_in_scale"]) <= 0.02),
            ("Nottingham: lstm_vae NADE prior samples, density rel. error", vae["sample_density_rel_err"], "<= 0.10",
             vae["sample_density_rel_err"] <= 0.10),
            ("Nottingham: lstm_vae NADE prior samples, polyphony rel. error", vae["sample_polyphony_rel_err"],
             "<= 0.10", vae["sample_polyphony_rel_err"] <= 0.10),
            ("Nottingham: lstm_vae NADE sampling, 2-bar samples/s at batch 256", vae["samples_per_second"], ">= 200",
             vae["samples_per_second"] >= 200)]
    return [{"name": n, "value": v, "target": t, "met": bool(m)} for n, v, t, m in checks]


def markdown(result):
    f = lambda v: "" if v is None else f"{v:.3f}"  # noqa: E731
    lines = [
        "# Likelihood benchmark", "",
        f"Made by `{result['command']}` on {result['date']} ({result['machine']}); "
        f"{result['total_seconds'] / 60:.1f} minutes in all. {result['setup']}", "",
        "NLL columns are nats per frame on the validation files (lower is better). The next-step models "
        "(`lstm`) give the exact NLL, per 16-step segment (each segment starts without context) and over "
        "whole pieces (the same frames, the state carried along, as the published figures score). The "
        "VAEs give upper bounds per segment: the ELBO and the importance-weighted bound with K samples; "
        "the true NLL is below both.", "",
    ]
    for data in result["datasets"]:
        lines += [f"## {data['name']} ({data['frames_per_beat']})", "",
                  "| family | output | params | train min | epochs | exact NLL / segment | exact NLL / whole pieces "
                  "| ELBO | IW bound (K) | samples/s @256 | in-scale (data) | density err | polyphony err | PC L1 |",
                  "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|"]
        for r in (r for r in result["runs"] if r["data"] == data["name"]):
            iw = f"{r['iw_nats_per_frame']:.3f} ({r['iw_samples']})" if r["iw_nats_per_frame"] is not None else ""
            lines.append(
                f"| {r['family']} | {r['output']} | {r['params']:,} | {r['train_seconds'] / 60:.1f} | {r['epochs']} | "
                f"{f(r['nll_nats_per_frame'])} | {f(r['nll_whole_pieces_nats_per_frame'])} | "
                f"{f(r['elbo_nats_per_frame'])} | {iw} | {r['samples_per_second']:.0f} | "
                f"{r['sample_in_scale']:.3f} ({r['data_in_scale']:.3f}) | {r['sample_density_rel_err']:.3f} | "
                f"{r['sample_polyphony_rel_err']:.3f} | {r['sample_pitch_class_l1']:.3f} |")
        published = ", ".join(f"{k} {v:.2f}" for k, v in PUBLISHED[data["name"]].items())
        lines += ["", f"Published (test NLL per frame on the BL2012 split, not comparable row by row): {published}.",
                  ""]
    lines += ["The published figures use the splits of Boulanger-Lewandowski et al. (2012), which differ from "
              "these: BL2012 transposes every piece to C major or C minor and uses its own train/validation/test "
              "files; here the pieces keep their keys, the split is mguv's file split (seed 0) and the figures "
              "are on its validation files. Both use the binary roll of 88 keys.", "",
              "## Targets", "", "| target | value | wanted | met |", "|---|---:|---|---|"]
    for t in result["targets"]:
        lines.append(f"| {t['name']} | {t['value']:.4f} | {t['target']} | {'yes' if t['met'] else '**no**'} |")
    return "\n".join(lines) + "\n"


@cli_entry
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", default=DEFAULT_DATA, help="the Nottingham folder (default ../shared/data/nottingham)")
    p.add_argument("--minutes", type=float, default=45.0,
                   help="training budget of all rows together (evaluation comes on top)")
    p.add_argument("--runs", default="runs/bench-likelihood", help="where the runs go")
    p.add_argument("--out", default="docs/results", help="where likelihood.json/.md go")
    p.add_argument("--quick", action="store_true", help="tiny models, one epoch per row (a smoke test)")
    args = p.parse_args(argv)
    if not os.path.isdir(args.data):
        raise UsageError(f"--data {args.data}: no such folder (the Nottingham MIDI dataset)")
    quiet_tensorflow()

    from mguv import configs
    from mguv.evaluate import evaluate_run
    from mguv.io import write_json, write_text
    from mguv.training.callbacks import TimeBudget
    from mguv.training.run import train

    start = time.time()
    runs, datasets = [], []
    for data_name, specs, rep_sets, data_share in DATASETS:
        specs = [f"nottingham={args.data}"] if specs is None else specs
        for name, output, share in ROWS:
            sets = COMMON + rep_sets + [f"model.output={output}"] + (QUICK[family(name)] + QUICK_ALL if args.quick else [])
            config = configs.override(configs.get(name), sets)
            run = os.path.join(args.runs, f"{data_name}-{family(name)}-{output}")
            shutil.rmtree(run, ignore_errors=True)
            budget = data_share * share * args.minutes * 60
            print(f"== {data_name} {family(name)} {output}: {budget / 60:.1f} min of training", file=sys.stderr)
            summary = train(config, specs, run, num_samples=4, verbose=2, progress=False,
                            callbacks=[TimeBudget(budget)])
            metrics = evaluate_run(run, make_plots=False, max_segments=64 if args.quick else None)
            runs.append(score_row(run, data_name, name, output, summary, metrics))
            print(runs[-1], file=sys.stderr)
        rep = config.representation
        datasets.append({"name": data_name, "data": specs, "representation": rep.to_dict(),
                         "frames_per_beat": f"{rep.steps_per_beat} frame(s) per quarter note"})
    result = {
        "command": "python benchmarks/likelihood.py" + (" --quick" if args.quick else "")
                   + (f" --minutes {args.minutes:g}" if args.minutes != 45.0 else ""),
        "date": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores",
        "setup": "88 keys (MIDI 21..108), binary roll, 16-step segments cut every 16 steps (silent ones dropped), "
                 "split by file, 15% validation, seed 0, no transposition; Nottingham at eighth-note frames, "
                 "the Bach chorales (music21) at quarter-note frames. Prior samples: 1,000 at temperature 1. "
                 f"Sampling speed: the best of 3 timed calls of {SPEED_BATCH} prior samples (16 steps: two 4/4 bars "
                 "of Nottingham, four of Bach) after a warm-up call.",
        "published_nats_per_frame": PUBLISHED,
        "datasets": datasets,
        "runs": runs,
        "targets": targets(runs),
        "total_seconds": round(time.time() - start, 1),
    }
    os.makedirs(args.out, exist_ok=True)
    write_json(os.path.join(args.out, "likelihood.json"), result)
    write_text(os.path.join(args.out, "likelihood.md"), markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    main()
