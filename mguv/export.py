"""Export a trained model as a TF SavedModel that runs without mguv.

Endpoints (all fixed signatures; ``latent`` is the model's latent shape, e.g. [64] for the
LSTM-VAE or [352, 16] for the audio VAE's latent sequence):
  encode(x: float32 [None, *example]) -> {"mean", "logvar"}: float32 [None, *latent]
  decode(z: float32 [None, *latent]) ->
      symbolic: float32 [None, steps, pitches] note probabilities, decoded free-running inside the
          graph (greedy: a cell is fed back as on when p > 0.5)
      audio: float32 [None, samples, 1] waveform in [-1, 1] at the representation's sample rate
  sample(z, temperature: float32 [], seed: int32 [2]) -> {"probs", "roll"} (symbolic only):
      Bernoulli sampling at ``temperature``, float32 [None, steps, pitches]
  A VAE with a learned prior over its latent (conv_vae, or an LSTM-VAE with model.prior=lstm;
  "sample_input": "num", "prior": "learned") samples from it instead:
      sample(num: int32 [], temperature: float32 [], seed: int32 [2]) -> {"wave": float32
          [num, samples, 1], "z": float32 [num, *latent]} (audio), {"probs", "roll", "z"} (rolls);
      decode(z ~ N(0, I)) is the plain prior, and symbolic models keep the sampler from z as
      decode_sample(z, temperature, seed) -> {"probs", "roll"}
  representation() -> string []: the representation as JSON, with "latent_shape" (and
      "latent_dim"), "family" and "sample_input"; also in assets/representation.json

Those are the VAEs' endpoints (lstm_vae, hier_vae, the audio VAEs). The other families export what
they have, and say which in the representation's "sample_input":
  wgan ("z"): decode and sample as above from z ~ N(0, I); no encode.
  lstm, lstm_attention, vq_vae ("num": no continuous latent; latent_shape and latent_dim are null):
      sample(num: int32 [], temperature: float32 [], seed: int32 [2]) -> {"probs", "roll"},
          float32 [num, steps, pitches]; temperature 0 is greedy
  vq_vae also: encode(x) -> {"codes": int32 [None, patterns]}, decode(codes) -> float32 [None,
      steps, pitches] probabilities; the representation adds "codes_shape" and "codebook_size".

Plain TensorFlow use:
    m = tf.saved_model.load("RUN/saved_model")
    rep = json.loads(m.representation().numpy())
    probs = m.decode(tf.random.normal([4, rep_latent]))
"""

import json
import os

import keras
import tensorflow as tf

from mguv.io import atomic_path

REPRESENTATION_ASSET = "representation.json"


def export_saved_model(model, rep, path):
    """Writes ``model`` (a trained ``mguv.models.base.MusicModel``) and ``rep`` to a SavedModel
    directory at ``path``, atomically. The model says which endpoints it has
    (``export_endpoints``)."""
    endpoints, info = model.export_endpoints(rep)
    rep_json = json.dumps({**rep.to_dict(), "family": model.name, **info})
    archive = keras.export.ExportArchive()
    archive.track(model)
    # The archive lists the model's Keras variables and, apart, the TensorFlow variables its
    # endpoints capture: the same values saved twice. Listing the TensorFlow variables under both
    # halves the SavedModel, and ``module.variables`` still follows ``model.variables``.
    tracked = archive._tf_trackable
    for name in ("variables", "trainable_variables", "non_trainable_variables"):
        setattr(tracked, name, [getattr(v, "value", v) for v in getattr(tracked, name)])
    for name, fn, signature in endpoints:
        archive.add_endpoint(name, fn, input_signature=signature)
    archive.add_endpoint("representation", tf.function(lambda: tf.constant(rep_json), input_signature=[]))
    with atomic_path(path) as tmp:
        archive.write_out(tmp, verbose=False)
        os.makedirs(os.path.join(tmp, "assets"), exist_ok=True)
        with open(os.path.join(tmp, "assets", REPRESENTATION_ASSET), "w") as f:
            f.write(rep_json)


def restore_weights(model, path):
    """Loads the weights of the SavedModel at ``path`` into ``model`` (built from the same config):
    the archive keeps ``model.variables`` in order (``ExportArchive.track``), so a shipped model
    needs no second copy of its weights in a .keras file. Raises ``ValueError`` when the variables
    do not match in number and shapes."""
    module = tf.saved_model.load(path)
    saved = list(getattr(module, "variables", []))
    mismatched = len(saved) != len(model.variables) or any(
        tuple(a.shape) != tuple(b.shape) for a, b in zip(model.variables, saved))
    if mismatched:
        raise ValueError(f"the SavedModel at {path} holds {len(saved)} variables that do not match the model's "
                         f"{len(model.variables)} (another config?)")
    for variable, value in zip(model.variables, saved):
        variable.assign(value)
    _check_restored(model, module, path)


def _check_restored(model, module, path):
    """Raises ``ValueError`` unless ``model`` now computes what the SavedModel does: its encoder on
    a fixed roll or clip, and the first decoded step (later steps feed back thresholded cells) from
    a fixed z. Variables of the same shape restored in another order would not."""
    import numpy as np

    if getattr(model, "latent_shape", None) is None:
        return
    rng = np.random.default_rng(0)
    checks = []
    if getattr(model, "encodes", False) and hasattr(module, "encode"):
        x = (rng.random((2,) + tuple(model.example_shape)) > 0.9).astype(np.float32)
        checks.append((module.encode(x)["mean"], model.encode(x)[0]))
    z = rng.standard_normal((2,) + tuple(model.latent_shape)).astype(np.float32)
    checks.append((module.decode(z)[:, :1], model.generate(z)[0][:, :1]))
    for saved, restored in checks:
        if not np.allclose(np.asarray(saved), np.asarray(restored), atol=1e-4):
            raise ValueError(f"the weights restored from {path} do not compute what the SavedModel does "
                             "(another config, or another version of the model's layers)")
