"""Negative log-likelihoods in nats per frame, the same way for every family.

The polyphonic music benchmark (Boulanger-Lewandowski et al. 2012) compares models by the test
negative log-likelihood per frame (per step of the roll). Here:

- models with an exact likelihood (``MusicModel.exact_likelihood``: the next-step families) give
  the exact NLL of each segment (``segment_likelihoods``), and of whole pieces with the state
  carried from one segment to the next (``piece_nll``), which is how the published figures score;
- the VAEs give two bounds from the same K draws z_k ~ q(z | x) (``VAE.log_importance_weights``):
  the ELBO and the importance-weighted bound of Burda et al. (2016) with K samples, which is
  tighter. Both are upper bounds on the NLL, so lower is better and the true NLL is lower still.

Every figure is a sum over frames divided by the number of frames.
"""

import numpy as np

IW_SAMPLES = 64   # K of the importance-weighted bound
FRAMES_PER_BATCH = 16384  # frames (x K for the bound) per forward pass


def _batches(n, size):
    return [(start, min(n, start + size)) for start in range(0, n, size)]


def _exact_nll(model, input_signature=None):
    """A compiled x [batch, steps, channels] -> the exact NLL of each example [batch], nats."""
    import tensorflow as tf

    return tf.function(lambda xb: model.loss_terms(xb, training=False).terms["nll"],
                       input_signature=input_signature, reduce_retracing=input_signature is None)


def segment_likelihoods(model, x, iw_samples=IW_SAMPLES, seed=0, progress=False):
    """Scores segments ``x`` [segments, steps, channels] (0/1) in nats per frame.

    Returns a dict: "frames", and "nll_nats_per_frame" for a model with an exact likelihood, or
    "elbo_nats_per_frame", "iw_nats_per_frame" and "iw_samples" for a VAE (``iw_samples`` 0: the
    ELBO only, from one draw per segment).
    """
    import tensorflow as tf
    from tqdm.auto import tqdm

    x = np.asarray(x, np.float32)
    steps = x.shape[1]
    if model.exact_likelihood:
        score = _exact_nll(model)
        size = max(1, FRAMES_PER_BATCH // steps)
    elif model.encodes:
        k = max(int(iw_samples), 1)
        score = tf.function(lambda xb, s: model.log_importance_weights(xb, k, s), reduce_retracing=True)
        size = max(1, FRAMES_PER_BATCH // (steps * k))
    else:
        raise ValueError(f"{model.name} has neither an exact likelihood nor a bound")
    nll = elbo = iw = 0.0
    for start, end in tqdm(_batches(len(x), size), desc="likelihood", unit="batch", disable=not progress,
                           leave=False):
        if model.exact_likelihood:
            nll += float(np.sum(score(x[start:end])))
            continue
        weights = np.asarray(score(x[start:end], tf.constant([seed, start], tf.int32)), np.float64)
        elbo -= weights.mean(axis=1).sum()
        top = weights.max(axis=1, keepdims=True)
        iw -= (top[:, 0] + np.log(np.exp(weights - top).mean(axis=1))).sum()
    frames = len(x) * steps
    if model.exact_likelihood:
        return {"frames": int(frames), "nll_nats_per_frame": float(nll / max(frames, 1))}
    out = {"frames": int(frames), "elbo_nats_per_frame": float(elbo / max(frames, 1))}
    if iw_samples:
        out.update({"iw_nats_per_frame": float(iw / max(frames, 1)), "iw_samples": int(iw_samples)})
    return out


def pieces(segments, indices):
    """The segments ``indices`` of ``segments`` (a ``mguv.data.types.Segments``) joined into one roll
    per file, in order of their start step: [(file_id, roll [steps, channels])]."""
    by_file = {}
    for i in indices:
        by_file.setdefault(int(segments.file_id[i]), []).append(i)
    return [(f, np.concatenate([segments.x[i] for i in sorted(idx, key=lambda i: segments.start_step[i])]))
            for f, idx in sorted(by_file.items())]


def piece_nll(model, rolls, progress=False):
    """The exact NLL of whole pieces, each scored as one sequence (the state carried from the
    first frame to the last), in nats per frame. ``rolls``: [steps_i, channels] arrays (0/1).

    The frames are those of the pieces' segments, so the figure sits next to
    ``segment_likelihoods`` on the same frames: the difference is what starting every segment
    without context costs.
    """
    import tensorflow as tf
    from tqdm.auto import tqdm

    if not model.exact_likelihood:
        raise ValueError(f"{model.name} has no exact likelihood over whole pieces")
    channels = rolls[0].shape[-1] if rolls else 0
    score = _exact_nll(model, [tf.TensorSpec([1, None, channels], tf.float32)])
    total, frames = 0.0, 0
    for roll in tqdm(rolls, desc="whole pieces", unit="piece", disable=not progress, leave=False):
        total += float(score(np.asarray(roll, np.float32)[None])[0])
        frames += len(roll)
    return {"frames": int(frames), "pieces": len(rolls), "nll_nats_per_frame": total / max(frames, 1)}


def exact_likelihoods(model, segments, val_idx, x, progress=False):
    """A next-step model's exact NLL in nats per frame on the validation segments ``x`` (all of
    ``val_idx`` or a spread of them), and over the validation files as whole pieces (their segments
    in ``segments`` joined, the state carried along)."""
    rolls = [roll for _, roll in pieces(segments, val_idx)]
    return {"segments": segment_likelihoods(model, x, progress=progress),
            "whole_pieces": piece_nll(model, rolls, progress=progress)}
