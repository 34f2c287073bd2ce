"""``python -m mguv.evaluate RUN``: score a trained run on its validation split.

Rebuilds the run's validation split exactly as training made it (same data specs, config and
seed), then writes:

  RUN/metrics.json        frame (per-cell) and note-onset precision/recall/F1, teacher-forced and
                          free-running, accuracy next to the all-zeros and copy-the-first-step
                          baselines, KL per latent dimension, active units, NLL and ELBO,
                          per-pitch F1, and statistics of prior samples against the validation
                          data (``mguv.sample_stats``)
  RUN/plots/per_pitch_f1.png, kl_per_dim.png, latent_pca.png, latent_tsne.png

and the likelihood in nats per frame (``mguv.likelihood``): the ELBO and the importance-weighted
bound with ``--iw-samples`` K of a VAE. A next-step run (``lstm``) gets its exact NLL, per segment
and over whole pieces, and the prior-sample statistics.

Every score is computed from counts summed over the whole split (see ``mguv.metrics_eval`` for
the frame metrics, ``mguv.note_metrics`` for the onset metrics).
``evaluate_run`` is the library entry point; ``main`` is a thin CLI over it.
"""

import hashlib
import os
import sys
import time

import numpy as np

from mguv import metrics_eval, note_metrics, pretrained
from mguv.cli import ArgumentParser, log, quiet_tensorflow
from mguv.data.prepare import prepare_data
from mguv.errors import UsageError, cli_entry
from mguv.evaluate_summary import format_comparison, format_summary
from mguv.io import write_json
from mguv.likelihood import IW_SAMPLES, exact_likelihoods, segment_likelihoods
from mguv.run_dir import RunPaths, load_run, recorded_val_segments

DEFAULT_BATCH_SIZE = 256
ACTIVE_UNIT_THRESHOLD = 0.01  # on the variance of mu over the data
TSNE_MAX_POINTS = 2000        # t-SNE is slow on a couple of CPU cores
TSNE_MIN_POINTS = 5
PRIOR_SAMPLES = 1000          # samples z ~ N(0, I) scored against the validation data
PLOT_FILES = ("per_pitch_f1.png", "kl_per_dim.png", "latent_pca.png", "latent_tsne.png")


def metrics_path(run_dir):
    return RunPaths(os.fspath(run_dir)).metrics


def validation_segments(config, data_specs, cache_dir=None, workers=None, progress=False, genre=None):
    """The run's validation segments, bool [segments, steps, pitches], rebuilt deterministically.

    Uses ``mguv.data.prepare.prepare_data``, so the corpus, parse and split match training's.
    """
    segments, _, val_idx = prepare_data(config, data_specs, cache_dir=cache_dir, workers=workers,
                                        progress=progress, genre=genre)
    return segments.x[val_idx]


def _batch_scorer(model, rep):
    """A compiled function: x float32 [batch, steps, pitches] -> dict of per-batch tensors."""
    import tensorflow as tf

    from mguv.models.losses import gaussian_kl

    @tf.function(input_signature=[tf.TensorSpec((None,) + rep.shape, tf.float32)])
    def score(x):
        mean, logvar = model.encode(x, training=False)
        outputs = model(x, training=False)  # teacher-forced from the posterior mean
        _, free_roll = model.decoder.generate(mean)  # greedy free-running from the mean
        return {
            "mean": mean,                                                         # [batch, latent]
            "kl_dim": gaussian_kl(mean, logvar),                                  # [batch, latent] nats
            "nll": model.decoder.reconstruction_loss(x, outputs)["nll"],          # [batch] nats
            "teacher": model.decoder.greedy(outputs),                             # [b, steps, pitches]
            "free": free_roll,                                                    # [b, steps, pitches]
        }

    return score


def _bar(total, desc, progress):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, unit="example", disable=not progress, file=sys.stderr, leave=False)


def score_segments(model, rep, x, batch_size=DEFAULT_BATCH_SIZE, progress=False):
    """Scores ``model`` on segments ``x`` bool [segments, steps, rep.channels], batch by batch.

    Returns (metrics, arrays): ``metrics`` is a JSON-ready dict of fractions and nats: among them
    ``frame_{precision,recall,f1}_{teacher_forced,free_running}`` over cells and
    ``onset_{precision,recall,f1}_{teacher_forced,free_running}`` over notes (same pitch, onset
    within half a step; ``mguv.note_metrics``), with the teacher-forced roll = each step's most
    likely value given the true steps before it (probabilities > 0.5 for independent cells, the
    most likely class for the melody output) and the free-running roll = greedy decoding from mu;
    ``step_accuracy_{teacher_forced,free_running}``, MusicVAE's accuracy made strict: the share
    of steps whose every channel equals the input's, and ``step_accuracy_by_position`` the same
    per step of the segment; ``event_accuracy_{teacher_forced,free_running}`` over MusicVAE's
    events of the top line (``note_metrics.melody_events``: a held note counts whatever its pitch)
    and ``event_accuracy_no_event_baseline`` (always "no event"); ``arrays`` holds what the plots
    need: "mean" float32 [segments, latent] (mu), "density" [segments] (fraction of active cells),
    "kl_per_dim" [latent] nats, "pitch_f1" and "pitch_support" [pitches].
    """
    n = len(x)
    score = _batch_scorer(model, rep)
    teacher, free, copy = (np.zeros(4, np.int64) for _ in range(3))
    sees_truth = not getattr(model.decoder, "inputless", False)  # an inputless decoder never sees the steps before
    pitch = np.zeros((4, rep.num_pitches), np.int64)
    onsets = {"teacher_forced": np.zeros(3, np.int64), "free_running": np.zeros(3, np.int64)}
    same_step = {mode: np.zeros(rep.segment_steps, np.int64) for mode in onsets}  # per position
    events = np.zeros(4, np.int64)  # MusicVAE's event matches (note_metrics.event_counts)
    kl_dim = np.zeros(model.latent_dim, np.float64)
    nll = 0.0
    means = []
    bar = _bar(n, "scoring", progress)
    for start in range(0, n, batch_size):
        bar.update(min(batch_size, n - start))  # before the batch: the bar shows the one being scored
        xb = np.asarray(x[start:start + batch_size], np.float32)
        out = {k: np.asarray(v) for k, v in score(xb).items()}
        # Frame scores count the sounding-pitch cells (a roll with onsets has onset cells too).
        frames, teacher_frames, free_frames = (rep.frames(a) for a in (xb, out["teacher"], out["free"]))
        teacher += metrics_eval.cell_counts(frames, teacher_frames)
        pitch += metrics_eval.cell_counts(frames, teacher_frames, per_pitch=True)
        free += metrics_eval.cell_counts(frames, free_frames)
        copy += metrics_eval.cell_counts(frames, metrics_eval.copy_first_step(frames))
        onsets["teacher_forced"] += note_metrics.note_counts(xb, out["teacher"], rep)
        onsets["free_running"] += note_metrics.note_counts(xb, out["free"], rep)
        events += note_metrics.event_counts(xb, out["teacher"], out["free"], rep, sees_truth)
        for mode, key in (("teacher_forced", "teacher"), ("free_running", "free")):
            same_step[mode] += ((out[key] > 0.5) == (xb > 0.5)).all(axis=-1).sum(axis=0)
        kl_dim += out["kl_dim"].sum(axis=0)
        nll += float(out["nll"].sum())
        means.append(out["mean"])
    bar.close()
    mean = np.concatenate(means) if means else np.zeros((0, model.latent_dim), np.float32)
    kl_dim /= max(n, 1)
    nll /= max(n, 1)
    kl = float(kl_dim.sum())
    units, mu_var = metrics_eval.active_units(mean, ACTIVE_UNIT_THRESHOLD)
    pitch_f1, support = metrics_eval.per_pitch_f1(pitch)

    metrics = {"val_segments": int(n)}
    for prefix, counts in (("teacher_forced", teacher), ("free_running", free),
                           ("copy_first_step", copy)):
        p, r, f1 = metrics_eval.precision_recall_f1(counts)
        # "{prefix}_f1" etc. are the frame scores under their old names, kept for one release.
        metrics.update({f"{prefix}_precision": float(p), f"{prefix}_recall": float(r),
                        f"{prefix}_f1": float(f1),
                        f"{prefix}_accuracy": float(metrics_eval.accuracy(counts))})
        if prefix in onsets:
            metrics.update({f"frame_precision_{prefix}": float(p), f"frame_recall_{prefix}": float(r),
                            f"frame_f1_{prefix}": float(f1)})
            p, r, f1 = note_metrics.onset_precision_recall_f1(onsets[prefix])
            metrics.update({f"onset_precision_{prefix}": p, f"onset_recall_{prefix}": r,
                            f"onset_f1_{prefix}": f1})
    for mode, counts in same_step.items():
        metrics[f"step_accuracy_{mode}"] = float(counts.sum() / max(n * rep.segment_steps, 1))
    for key, count in zip(("teacher_forced", "free_running", "no_event_baseline"), events[:3]):
        metrics[f"event_accuracy_{key}"] = float(count / max(events[3], 1))
    metrics["step_accuracy_by_position"] = {mode: [float(c / max(n, 1)) for c in counts]
                                            for mode, counts in same_step.items()}
    metrics.update({
        "all_zeros_accuracy": float(metrics_eval.all_zeros_accuracy(teacher)),
        "note_density": float(1.0 - metrics_eval.all_zeros_accuracy(teacher)),
        "threshold": 0.5,
        "onset_tolerance_steps": note_metrics.ONSET_TOLERANCE_STEPS,
        "latent_dim": int(model.latent_dim),
        "kl_per_dim_nats": [float(v) for v in kl_dim],
        "kl_per_segment_nats": kl,
        "mu_variance_per_dim": [float(v) for v in mu_var],
        "active_units": units,
        "active_units_threshold": ACTIVE_UNIT_THRESHOLD,
        "nll_per_segment_nats": nll,
        "elbo_per_step_nats": metrics_eval.elbo_per_step(nll, kl, rep.segment_steps),
        "steps_per_segment": int(rep.segment_steps),
        "per_pitch_f1": {
            "pitch": list(range(rep.min_pitch, rep.min_pitch + rep.num_pitches)),
            "f1": [None if np.isnan(v) else float(v) for v in pitch_f1],  # None: no notes, none predicted
            "support": [int(v) for v in support],
        },
    })
    arrays = {"mean": mean, "density": metrics_eval.note_density(rep.frames(np.asarray(x))), "kl_per_dim": kl_dim,
              "pitch_f1": pitch_f1, "pitch_support": support}
    return metrics, arrays


def prior_samples(model, num, temperature=1.0, seed=0, batch_size=DEFAULT_BATCH_SIZE, progress=False):
    """``num`` prior samples of the model (``MusicModel.sample``: for a VAE, z ~ N(0, I) decoded
    free-running, each cell drawn from its Bernoulli at ``temperature``; 1 = the model's own
    distribution). Returns bool [num, *example]."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([], tf.int32), tf.TensorSpec([2], tf.int32)])
    def sample(n, batch_seed):
        return model.sample(n, temperature, batch_seed)[1]

    rolls = []
    with _bar(num, "prior samples", progress) as bar:
        for start in range(0, num, batch_size):
            rolls.append(np.asarray(sample(min(batch_size, num - start), [seed, start])) > 0.5)
            bar.update(min(batch_size, num - start))
    return np.concatenate(rolls)


def prior_sample_metrics(model, rep, x, num=PRIOR_SAMPLES, seed=0, progress=False):
    """Statistics of ``num`` prior samples next to those of the segments ``x`` (the validation
    data), and how far apart they are (relative errors, pitch-class histogram L1)."""
    from mguv import sample_stats

    samples = sample_stats.sample_statistics(prior_samples(model, num, 1.0, seed, progress=progress), rep)
    data = sample_stats.sample_statistics(x, rep)
    return {"num": int(num), "temperature": 1.0, "samples": samples, "validation": data,
            **sample_stats.compare_statistics(samples, data)}


def write_plots(arrays, rep, plots_dir, seed=0):
    """Writes the four evaluation PNGs into ``plots_dir``.

    Returns {plot name: {"file": ...} plus details, or {"skipped": why}} for metrics.json.
    """
    from mguv import plots

    os.makedirs(plots_dir, exist_ok=True)
    out = {}
    path = os.path.join(plots_dir, "per_pitch_f1.png")
    plots.per_pitch_f1(np.nan_to_num(arrays["pitch_f1"]), arrays["pitch_support"], rep, path)
    out["per_pitch_f1"] = {"file": path}
    path = os.path.join(plots_dir, "kl_per_dim.png")
    plots.bars(arrays["kl_per_dim"], path, "latent dimension", "KL (nats)",
               "KL per latent dimension, mean over validation segments")
    out["kl_per_dim"] = {"file": path}

    mean, density = arrays["mean"], arrays["density"]
    if len(mean) < 2 or mean.shape[1] < 2:
        out["latent_pca"] = {"skipped": f"PCA needs at least 2 segments and 2 latent dimensions "
                                        f"(have {len(mean)} and {mean.shape[1]})"}
    else:
        from sklearn.decomposition import PCA

        pca = PCA(n_components=2, random_state=seed)
        points = pca.fit_transform(mean)
        path = os.path.join(plots_dir, "latent_pca.png")
        plots.latent_scatter(points, density, f"PCA of mu ({len(mean)} segments)", path)
        out["latent_pca"] = {"file": path, "points": int(len(mean)),
                             "explained_variance_ratio": [float(v) for v in pca.explained_variance_ratio_]}

    keep = metrics_eval.spread_indices(len(mean), TSNE_MAX_POINTS)
    if len(keep) < TSNE_MIN_POINTS:
        out["latent_tsne"] = {"skipped": f"only {len(keep)} segments; t-SNE needs at least "
                                         f"{TSNE_MIN_POINTS}"}
    else:
        from sklearn.manifold import TSNE

        # Perplexity must stay below the number of points; 30 is sklearn's default.
        perplexity = float(min(30.0, (len(keep) - 1) / 3.0))
        log(f"  t-SNE of {len(keep)} latent means (can take a minute)")
        points = TSNE(n_components=2, perplexity=perplexity, init="pca",
                      random_state=seed).fit_transform(mean[keep].astype(np.float64))
        path = os.path.join(plots_dir, "latent_tsne.png")
        plots.latent_scatter(points, density[keep], f"t-SNE of mu ({len(keep)} segments)", path)
        out["latent_tsne"] = {"file": path, "points": int(len(keep)), "perplexity": perplexity}
    return out


def evaluate_run(run_dir, data_specs=None, batch_size=DEFAULT_BATCH_SIZE, max_segments=None,
                 cache_dir=None, workers=None, make_plots=True, write=True, progress=False,
                 iw_samples=IW_SAMPLES):
    """Scores a trained run on its validation split; returns the metrics dict.

    Args:
      run_dir: a run folder made by ``train.py`` (needs config.json and model.keras), or a shipped
        model's folder (``mguv.pretrained``; config.json and its SavedModel).
      data_specs: ``--data`` specs; None uses the specs the run was trained on.
      batch_size: segments per forward pass (memory, not results, depends on it).
      max_segments: score at most this many validation segments, spread evenly over the split
        (None = all).
      cache_dir, workers: the parse cache and parser processes, as in training.
      make_plots: write the PNGs under RUN/plots.
      write: write RUN/metrics.json (atomically).
      iw_samples: K of the importance-weighted bound of a symbolic VAE (0: the ELBO only).

    Raises:
      UsageError: a bad run folder, bad data specs, or bad numbers.
    """
    if batch_size < 1:
        raise UsageError(f"--batch-size {batch_size}: must be at least 1")
    if max_segments is not None and max_segments < 1:
        raise UsageError(f"--max-segments {max_segments}: must be at least 1")
    if iw_samples < 0:
        raise UsageError(f"--iw-samples {iw_samples}: must be 0 (the ELBO only) or more")
    start = time.time()
    paths = RunPaths(os.fspath(run_dir))
    model, config, run_specs, genre = load_run(paths.root)
    if not (model.encodes or model.exact_likelihood):
        raise UsageError(f"mguv.evaluate scores VAE runs (lstm_vae, hier_vae, conv_vae) and next-step runs "
                         f"(lstm); {paths.root} is a {config.model.family} run: score it with "
                         "benchmarks/compare.py")
    own_data = data_specs is None
    specs = list(run_specs if own_data else data_specs)
    try:
        data, _, val_idx = prepare_data(config, specs, cache_dir=cache_dir, workers=workers, progress=progress,
                                        genre=genre if own_data else None)
        x = data.x[val_idx]
    except UsageError as err:
        if own_data:
            raise UsageError(f"{err} (these are the data specs of {paths.config}; pass --data to "
                             "point elsewhere)") from None
        raise
    if own_data:
        _check_split_size(paths, len(x))
    total = len(x)
    picked = (metrics_eval.spread_indices(total, max_segments) if max_segments is not None and max_segments < total
              else np.arange(total))
    x = x[picked]
    log(f"scoring {len(x)} of {total} validation examples")

    if config.mode == "audio":
        from mguv.evaluate_audio import score_clips, write_audio_plots

        lengths = None if data.lengths is None else data.lengths[val_idx][picked]
        metrics, figure = score_clips(model, config.representation, x, lengths, min(batch_size, 16))
        metrics["val_clips_total"] = int(total)
        if make_plots:
            os.makedirs(paths.plots, exist_ok=True)
            metrics["plots"] = write_audio_plots(figure, config.representation, paths.plots)
    elif not model.encodes:
        metrics = {"val_segments": int(len(x)), "val_segments_total": int(total),
                   "likelihood": exact_likelihoods(model, data, val_idx, x, progress),
                   "prior_samples": prior_sample_metrics(model, config.representation, x, seed=config.train.seed,
                                                         progress=progress)}
    else:
        metrics, arrays = score_segments(model, config.representation, x, batch_size, progress)
        metrics["val_segments_total"] = int(total)
        metrics["likelihood"] = segment_likelihoods(model, x, iw_samples, config.train.seed, progress)
        metrics["prior_samples"] = prior_sample_metrics(model, config.representation, x,
                                                        seed=config.train.seed, progress=progress)
        if make_plots:
            metrics["plots"] = write_plots(arrays, config.representation, paths.plots, config.train.seed)
    metrics.update({"run": paths.root, "config": config.to_dict(), "data": specs,
                    "val_sha1": hashlib.sha1(np.ascontiguousarray(x).tobytes()).hexdigest()[:16],
                    "seconds": round(time.time() - start, 1)})
    if write:
        write_json(paths.metrics, metrics)
    return metrics


def _check_split_size(paths, n):
    """Warns when the rebuilt split differs from the one recorded at training (data changed?)."""
    recorded = recorded_val_segments(paths.root)
    if recorded is not None and recorded != n:
        log(f"warning: training recorded {recorded} validation segments but the data now gives {n}; "
            "the corpus has changed since the run was trained")


def build_parser():
    p = ArgumentParser(prog="python -m mguv.evaluate",
                       description="Score a trained run on its validation split; writes "
                                   "RUN/metrics.json and plots in RUN/plots.")
    p.add_argument("run", metavar="RUN", help="run folder made by train.py, or pretrained:NAME (scored, not "
                                              "written: its card holds its figures)")
    p.add_argument("--compare", metavar="RUN2",
                   help="also score RUN2 (a run or pretrained:NAME) on RUN's validation data, and print both")
    p.add_argument("--data", nargs="+", metavar="SPEC",
                   help="data specs to split instead of the run's own (same syntax as train.py)")
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE,
                   help=f"segments per forward pass (default {DEFAULT_BATCH_SIZE})")
    p.add_argument("--max-segments", type=int,
                   help="score at most N validation segments, spread over the split (default: all)")
    p.add_argument("--cache-dir", help="parse cache (default $MGUV_CACHE_DIR or ~/.cache/mguv)")
    p.add_argument("--workers", type=int, help="parser processes (default: all cores)")
    p.add_argument("--iw-samples", type=int, default=IW_SAMPLES,
                   help=f"K of a VAE's importance-weighted likelihood bound (default {IW_SAMPLES}; 0: ELBO only)")
    return p


@cli_entry
def main(argv=None):
    args = build_parser().parse_args(argv)
    quiet_tensorflow()
    compared = pretrained.resolve(args.compare) if args.compare else None  # a bad name fails before scoring
    shared = dict(batch_size=args.batch_size, max_segments=args.max_segments, cache_dir=args.cache_dir,
                  workers=args.workers, progress=sys.stderr.isatty(), iw_samples=args.iw_samples)
    own = not pretrained.is_pretrained(args.run)  # a shipped model's folder is never written to
    metrics = evaluate_run(pretrained.resolve(args.run), args.data, make_plots=own, write=own, **shared)
    print(format_summary(metrics))
    if own:
        print(f"  wrote {metrics_path(metrics['run'])} in {metrics['seconds']:.0f}s")
    if compared:
        if "val_segments" not in metrics:
            raise UsageError("--compare puts piano-roll runs side by side; score audio runs one by one")
        other = evaluate_run(compared, metrics["data"], make_plots=False, write=False, **shared)
        labels = (args.run, args.compare if args.compare != args.run else f"{args.compare} (again)")
        print(format_comparison(dict(zip(labels, (metrics, other)))))
    return 0


if __name__ == "__main__":
    main()
