"""The console summary of ``mguv.evaluate``'s metrics: a few lines a user reads after scoring a run."""


def format_summary(metrics):
    """A few lines for the console: frame and onset F1s, accuracy against the baseline, KL, active
    units (or, for audio runs, SNR, MR-STFT distance, NLL, KL and ELBO)."""
    m = metrics
    if "val_clips" in m:
        from mguv.evaluate_audio import format_audio_summary

        return format_audio_summary(m)
    lines = [f"{m.get('run', 'run')}: {m['val_segments']} validation segments"]
    if "likelihood" in m:
        lines.append("  likelihood      " + format_likelihood(m["likelihood"]))
    if "frame_f1_teacher_forced" not in m:
        return "\n".join(lines + [format_prior_samples(m["prior_samples"])])
    for mode, label in (("teacher_forced", "teacher-forced"), ("free_running", "free-running")):
        prf = {kind: f"{kind} F1 {m[f'{kind}_f1_{mode}']:.3f} (P {m[f'{kind}_precision_{mode}']:.3f}, "
                     f"R {m[f'{kind}_recall_{mode}']:.3f})" for kind in ("frame", "onset")}
        lines += [f"  {label:<15} {prf['frame']}, accuracy {m[f'{mode}_accuracy']:.4f}",
                  f"  {'':<15} {prf['onset']}"]
    lines += [
        f"  baselines       all-zeros accuracy {m['all_zeros_accuracy']:.4f}, "
        f"copy-first-step frame F1 {m['copy_first_step_f1']:.3f}",
        f"  latent          KL {m['kl_per_segment_nats']:.2f} nats/segment, "
        f"{m['active_units']}/{m['latent_dim']} active units; NLL {m['nll_per_segment_nats']:.1f} "
        f"nats/segment, ELBO {m['elbo_per_step_nats']:.3f} nats/step",
    ]
    if "prior_samples" in m:
        lines.append(format_prior_samples(m["prior_samples"]))
    skipped = [f"{name} ({p['skipped']})" for name, p in m.get("plots", {}).items() if "skipped" in p]
    if skipped:
        lines.append("  skipped " + "; ".join(skipped))
    return "\n".join(lines)


def format_prior_samples(s):
    return (f"  {s['num']} prior samples: note density {s['samples']['note_density']:.3f} "
            f"(data {s['validation']['note_density']:.3f}), polyphony {s['samples']['polyphony']:.2f} "
            f"(data {s['validation']['polyphony']:.2f}), in-scale {s['samples']['scale_consistency']:.3f} "
            f"(data {s['validation']['scale_consistency']:.3f}), pitch-class L1 {s['pitch_class_l1']:.3f}")


def format_likelihood(lk):
    """One line: the exact NLL (per segment and whole pieces) or the ELBO and IW bound, nats/frame."""
    if "segments" in lk:
        return (f"exact NLL {lk['segments']['nll_nats_per_frame']:.3f} nats/frame per segment, "
                f"{lk['whole_pieces']['nll_nats_per_frame']:.3f} over {lk['whole_pieces']['pieces']} whole pieces")
    iw = f", IW bound (K={lk['iw_samples']}) {lk['iw_nats_per_frame']:.3f}" if "iw_nats_per_frame" in lk else ""
    return f"NLL <= ELBO {lk['elbo_nats_per_frame']:.3f} nats/frame{iw}"


COMPARED = (("onset F1, free-running", "onset_f1_free_running", "{:.3f}"),
            ("onset F1, teacher-forced", "onset_f1_teacher_forced", "{:.3f}"),
            ("frame F1, free-running", "frame_f1_free_running", "{:.3f}"),
            ("step accuracy, free-running", "step_accuracy_free_running", "{:.3f}"),
            ("event accuracy, free-running", "event_accuracy_free_running", "{:.3f}"),
            ("KL nats/segment", "kl_per_segment_nats", "{:.1f}"))


def format_comparison(scored):
    """Side-by-side lines for ``{label: metrics}`` of symbolic VAE runs, and whether they were scored
    on the same validation segments (``val_sha1``)."""
    labels = list(scored)
    width = max(28, *(len(label) + 2 for label in labels))
    lines = ["", "".join([f"{'':30s}"] + [f"{label:>{width}s}" for label in labels])]
    for title, key, fmt in COMPARED:
        if all(key in m for m in scored.values()):
            lines.append("".join([f"{title:30s}"] + [f"{fmt.format(m[key]):>{width}s}" for m in scored.values()]))
    prior = [m.get("prior_samples") for m in scored.values()]
    if all(prior):
        for title, key in (("prior note density error", "note_density_rel_err"),
                           ("prior polyphony error", "polyphony_rel_err")):
            lines.append("".join([f"{title:30s}"] + [f"{p[key]:>{width}.1%}" for p in prior]))
    same = len({m.get("val_sha1") for m in scored.values()}) == 1
    lines.append(f"scored on the same {next(iter(scored.values()))['val_segments']} validation segments" if same else
                 "NOT scored on the same validation segments (other representations or splits): compare with care")
    return "\n".join(lines)
