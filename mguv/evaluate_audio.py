"""Audio-run scoring for ``mguv.evaluate``: SNR, multi-resolution STFT distance, NLL, KL, ELBO,
and waveform/spectrogram figures of originals beside reconstructions."""

import os

import numpy as np


def score_clips(model, rep, x, batch_size=16):
    """Scores ``model`` on clips ``x`` float32 [clips, samples, 1], reconstructing from the posterior mean.

    Returns (metrics, reconstructions of the first four clips [<=4, samples, 1]). Metrics:
    snr_db (mean over clips, dB), mr_stft (mean distance), nll_per_clip_nats, kl_per_clip_nats,
    elbo_per_sample_nats (-(nll + kl) / samples), recon_per_clip (the optimized term).
    """
    import tensorflow as tf

    from mguv.models.losses import mr_stft_distance, snr_db
    from mguv.models.losses import gaussian_kl

    @tf.function(input_signature=[tf.TensorSpec((None,) + rep.shape, tf.float32)])
    def score(xb):
        mean, logvar = model.encode(xb, training=False)
        outputs = model.decoder(mean, xb, training=False)
        y = model.decoder.prediction(outputs)
        terms = model.decoder.reconstruction_loss(xb, outputs)
        kl = tf.reduce_sum(tf.reshape(gaussian_kl(mean, logvar), (tf.shape(xb)[0], -1)), axis=-1)
        return {"snr_db": snr_db(xb, y), "mr_stft": mr_stft_distance(xb, y), "nll": terms["nll"],
                "recon": terms["recon"], "kl": kl, "y": y}

    sums, first = {}, None
    for start in range(0, len(x), batch_size):
        out = {k: v.numpy() for k, v in score(np.asarray(x[start:start + batch_size], np.float32)).items()}
        if first is None:
            first = out["y"][:4]
        for k, v in out.items():
            if k != "y":
                sums[k] = sums.get(k, 0.0) + float(v.sum())
    n = max(len(x), 1)
    m = {k: v / n for k, v in sums.items()}
    metrics = {
        "val_clips": int(len(x)), "snr_db": m["snr_db"], "mr_stft": m["mr_stft"],
        "nll_per_clip_nats": m["nll"], "kl_per_clip_nats": m["kl"], "recon_per_clip": m["recon"],
        "elbo_per_sample_nats": -(m["nll"] + m["kl"]) / rep.clip_samples,
        "latent_shape": list(model.latent_shape),
    }
    return metrics, first


def write_audio_plots(x, reconstructions, rep, plots_dir):
    """Originals beside reconstructions (waveform over spectrogram) -> plots/eval_reconstructions.png."""
    examples, titles = [], []
    for i, (a, b) in enumerate(zip(x, reconstructions)):
        examples += [a, b]
        titles += [f"original {i}", f"reconstruction {i}"]
    path = os.path.join(plots_dir, "eval_reconstructions.png")
    from mguv.reporting import plot_examples

    plot_examples(rep, np.asarray(examples), path, titles, cols=2)
    return {"eval_reconstructions": {"file": path}}


def format_audio_summary(m):
    return "\n".join([
        f"{m.get('run', 'run')}: {m['val_clips']} validation clips",
        f"  reconstruction  SNR {m['snr_db']:.2f} dB, MR-STFT distance {m['mr_stft']:.3f}",
        f"  likelihood      NLL {m['nll_per_clip_nats']:.1f} nats/clip, KL {m['kl_per_clip_nats']:.1f} "
        f"nats/clip, ELBO {m['elbo_per_sample_nats']:.4f} nats/sample",
    ])
