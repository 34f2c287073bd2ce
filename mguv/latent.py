"""Latent arithmetic in plain numpy: paths between codes and attribute vectors. No model here;
``mguv.trained_model.TrainedModel`` encodes and decodes the codes these functions combine.

  slerp, lerp           points between two codes za, zb
  latent_path           ``steps`` points from za to zb by either method, in the codes' own shape
  quartile_difference   an attribute vector: mean code of the examples in the top quartile of an
                        attribute minus that of the bottom quartile (unnormalized, so a shift of
                        ``k * v`` moves z by k times the distance between those two group means)
"""

import numpy as np

from mguv.errors import UsageError

INTERPOLATIONS = ("slerp", "lerp")


def slerp(a, b, t):
    """Spherical interpolation between latent vectors a, b [latent] at fractions t [k] -> [k, latent].

    Falls back to linear interpolation when a and b are (anti)parallel.
    """
    a, b, t = np.asarray(a, np.float64), np.asarray(b, np.float64), np.asarray(t, np.float64)[:, None]
    cos = np.dot(a, b) / max(np.linalg.norm(a) * np.linalg.norm(b), 1e-12)
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if np.sin(omega) < 1e-6:
        return ((1 - t) * a + t * b).astype(np.float32)
    return ((np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)).astype(np.float32)


def lerp(a, b, t):
    """Linear interpolation between latent vectors a, b [latent] at fractions t [k] -> [k, latent]."""
    a, b, t = np.asarray(a, np.float64), np.asarray(b, np.float64), np.asarray(t, np.float64)[:, None]
    return ((1 - t) * a + t * b).astype(np.float32)


def latent_path(za, zb, steps, method="slerp"):
    """``steps`` evenly spaced points from za to zb (each [*latent]) -> float32 [steps, *latent].

    ``method`` is "slerp" (spherical: intermediate points keep the norm typical of the prior) or
    "lerp" (a straight line, whose midpoints have a smaller norm); a latent sequence (e.g. [352, 16])
    is interpolated as one flat vector.
    """
    if method not in INTERPOLATIONS:
        raise UsageError(f"unknown interpolation {method!r}; choose from {', '.join(INTERPOLATIONS)}")
    za, zb = np.asarray(za), np.asarray(zb)
    fn = slerp if method == "slerp" else lerp
    return fn(za.reshape(-1), zb.reshape(-1), np.linspace(0.0, 1.0, steps)).reshape((steps,) + za.shape)


def quartile_difference(z, values):
    """Mean of ``z`` over the top quartile of ``values`` minus its mean over the bottom quartile.

    Args:
      z: latent codes float [n, *latent] (posterior means mu of the examples).
      values: the attribute of each example, float [n]; NaN examples are left out.

    Quartiles are by rank (a stable sort), so ties cannot make one side empty: each side holds
    max(1, m // 4) of the m examples with a value.

    Returns:
      (vector float32 [*latent], top-quartile mean value, bottom-quartile mean value).

    Raises:
      UsageError: fewer than 2 examples have a value, or the value does not vary.
    """
    z, values = np.asarray(z), np.asarray(values, np.float64)
    if len(z) != len(values):
        raise ValueError(f"{len(z)} latent codes but {len(values)} attribute values")
    keep = np.flatnonzero(np.isfinite(values))
    if len(keep) < 2:
        raise UsageError(f"an attribute vector needs at least 2 examples with the attribute; "
                         f"got {len(keep)} of {len(values)}")
    order = keep[np.argsort(values[keep], kind="stable")]
    q = max(1, len(order) // 4)
    bottom, top = order[:q], order[-q:]
    high, low = float(values[top].mean()), float(values[bottom].mean())
    if not high > low:
        raise UsageError(f"the attribute does not vary over these {len(keep)} examples "
                         f"(all {low:g}); use more or more varied data")
    vector = z[top].mean(axis=0, dtype=np.float64) - z[bottom].mean(axis=0, dtype=np.float64)
    return vector.astype(np.float32), high, low
