"""Audio-run scoring for ``mguv.evaluate`` (and ``benchmarks/audio.py``): SNR, multi-resolution
STFT distance and chroma agreement over each clip's valid part, NLL, KL, ELBO, waveform and
spectrogram figures of representative clips beside their reconstructions, tones on silence, and
statistics of prior samples against real clips."""

import os

import numpy as np

from mguv import audio_metrics


def score_clips(model, rep, x, lengths=None, batch_size=16):
    """Scores ``model`` on clips ``x`` float32 [clips, samples, 1], reconstructing from the posterior mean.

    Args:
      lengths: int [clips], each clip's valid samples (``types.Clips.lengths``); the zero padding
        after them is left out of SNR, MR-STFT and chroma agreement. None: read back from the
        padding (``audio_files.valid_lengths``).

    Returns (metrics, figure). Metrics: snr_db (mean over clips, dB), mr_stft (mean distance),
    chroma_agreement (mean over clips with sound, ``audio_metrics.chroma_agreement``),
    nll_per_clip_nats, kl_per_clip_nats, elbo_per_sample_nats (-(nll + kl) / valid samples),
    recon_per_clip (the optimized term), padded_clips. Figure: (indices [<=4] of representative
    clips, their originals and reconstructions [<=4, shown samples, 1], cut to the longest
    valid length among them).
    """
    import tensorflow as tf

    from mguv.data.audio_files import valid_lengths
    from mguv.models.audio_losses import length_mask, masked_mr_stft, masked_snr_db
    from mguv.models.losses import gaussian_kl

    lengths = valid_lengths(x) if lengths is None else np.asarray(lengths, np.int32)

    @tf.function(input_signature=[tf.TensorSpec((None,) + rep.shape, tf.float32), tf.TensorSpec([None], tf.int32)])
    def score(xb, lb):
        mean, logvar = model.encode(xb, training=False)
        outputs = model.decoder(mean, xb, training=False)
        y = model.decoder.prediction(outputs)
        terms = model.decoder.reconstruction_loss(xb, outputs)
        mask = length_mask(lb, tf.shape(xb)[1])
        kl = tf.reduce_sum(tf.reshape(gaussian_kl(mean, logvar), (tf.shape(xb)[0], -1)), axis=-1)
        return {"snr_db": masked_snr_db(xb, y, mask), "mr_stft": masked_mr_stft(xb, y, mask), "nll": terms["nll"],
                "recon": terms["recon"], "kl": kl, "y": y}

    shown = audio_metrics.representative_clips(lengths, 4)
    sums, chroma, kept = {}, [], {}
    for start in range(0, len(x), batch_size):
        xb, lb = np.asarray(x[start:start + batch_size], np.float32), lengths[start:start + batch_size]
        out = {k: v.numpy() for k, v in score(xb, lb).items()}
        for i, (a, b, n) in enumerate(zip(xb, out["y"], lb)):
            chroma.append(audio_metrics.chroma_agreement(a[:, 0], b[:, 0], rep.sample_rate, n))
            if start + i in shown:
                kept[start + i] = b
        for k, v in out.items():
            if k != "y":
                sums[k] = sums.get(k, 0.0) + float(v.sum())
    n = max(len(x), 1)
    m = {k: v / n for k, v in sums.items()}
    chroma = np.asarray(chroma, np.float64)
    metrics = {
        "val_clips": int(len(x)), "snr_db": m["snr_db"], "mr_stft": m["mr_stft"],
        "chroma_agreement": float(np.nanmean(chroma)) if np.isfinite(chroma).any() else float("nan"),
        "nll_per_clip_nats": m["nll"], "kl_per_clip_nats": m["kl"], "recon_per_clip": m["recon"],
        "elbo_per_sample_nats": -(m["nll"] + m["kl"]) / max(float(np.mean(lengths)), 1.0) if len(x) else 0.0,
        "padded_clips": int(np.sum(lengths < rep.clip_samples)),
        "latent_shape": list(model.latent_shape),
    }
    cut = int(max(lengths[shown].max(), 1)) if len(shown) else rep.clip_samples
    originals = np.asarray(x)[shown, :cut] if len(shown) else np.zeros((0, cut, 1), np.float32)
    reconstructions = np.stack([kept[i][:cut] for i in shown]) if len(shown) else originals
    return metrics, (shown, originals, reconstructions)


def write_audio_plots(figure, rep, plots_dir):
    """Originals beside reconstructions (waveform over spectrogram) -> plots/eval_reconstructions.png.
    ``figure``: the (indices, originals, reconstructions) of ``score_clips``."""
    from mguv.reporting import plot_examples

    examples, titles = [], []
    for i, a, b in zip(*figure):
        examples += [a, b]
        titles += [f"original (clip {i})", f"reconstruction (clip {i})"]
    path = os.path.join(plots_dir, "eval_reconstructions.png")
    plot_examples(rep, np.asarray(examples), path, titles, cols=2)
    return {"eval_reconstructions": {"file": path, "clips": [int(i) for i in figure[0]]}}


def silence_tone_db(model, rep, period):
    """The level, in dB re a full-scale sine, of what the model's reconstruction of a silent clip
    repeats every ``period`` samples: its tones at sample_rate / period and their multiples (for
    the conv VAE's hop of 256 at 3 kHz these include the transposed convolutions' 375 and 750 Hz;
    ``audio_metrics.periodic_level_db``). -200 dB for none."""
    silence = np.zeros((1,) + tuple(rep.shape), np.float32)
    mean, _ = model.encode(silence, training=False)
    wave = np.asarray(model.decoder.generate(mean)[0])[0, :, 0]
    return audio_metrics.periodic_level_db(wave, period)


def sampled_waves(model, num, prior, seed=0, batch_size=8):
    """``num`` prior samples of an audio model, float32 [num, samples, 1]: from its learned prior
    ("learned") or z ~ N(0, I) ("normal"), at temperature 1, decoded to the mean waveform."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([], tf.int32), tf.TensorSpec([2], tf.int32)])
    def sample(n, batch_seed):
        return model.sample(n, 1.0, batch_seed, prior=prior)[1]

    parts = [np.asarray(sample(min(batch_size, num - s), [seed, s])) for s in range(0, num, batch_size)]
    return np.concatenate(parts)


def prior_sample_statistics(model, rep, real, real_lengths=None, num=16, seed=0):
    """Clip statistics (``audio_metrics.clip_statistics``) of ``num`` prior samples from each prior
    the model has (the learned one, if fitted, and N(0, I)) next to those of ``real`` clips
    [n, samples, 1] (their valid parts). Returns ({"real": summary, "learned": ..., "normal": ...},
    {"learned": waves, "normal": waves}); each sample summary holds, per statistic, its mean and
    std and the 1-Wasserstein distance of its distribution to the real one."""
    real_stats = audio_metrics.statistics_of(real, rep.sample_rate, real_lengths)
    out = {"num": int(num), "real": audio_metrics.compare_to_real(real_stats, real_stats)}
    waves = {}
    for prior in (("learned", "normal") if model.has_prior_stage else ("normal",)):
        waves[prior] = sampled_waves(model, num, prior, seed)
        out[prior] = audio_metrics.compare_to_real(audio_metrics.statistics_of(waves[prior], rep.sample_rate),
                                                   real_stats)
    return out, waves


def format_audio_summary(m):
    return "\n".join([
        f"{m.get('run', 'run')}: {m['val_clips']} validation clips"
        + (f" ({m['padded_clips']} zero-padded, scored on their valid part)" if m.get("padded_clips") else ""),
        f"  reconstruction  SNR {m['snr_db']:.2f} dB, MR-STFT distance {m['mr_stft']:.3f}, "
        f"chroma agreement {m['chroma_agreement']:.3f}",
        f"  likelihood      NLL {m['nll_per_clip_nats']:.1f} nats/clip, KL {m['kl_per_clip_nats']:.1f} "
        f"nats/clip, ELBO {m['elbo_per_sample_nats']:.4f} nats/sample",
    ])
