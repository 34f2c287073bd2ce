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
  representation() -> string []: the representation as JSON, with "latent_shape" (and
      "latent_dim"); also in assets/representation.json

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
    """Writes ``model`` (a trained VAE) and ``rep`` to a SavedModel directory at ``path``, atomically."""
    example = list(rep.shape)
    latent = list(model.latent_shape)
    rep_json = json.dumps({**rep.to_dict(), "latent_dim": model.latent_dim, "latent_shape": latent})

    def encode(x):
        mean, logvar = model.encode(x, training=False)
        return {"mean": mean, "logvar": logvar}

    def decode(z):
        probs, _ = model.decoder.generate(z)
        return probs

    def sample(z, temperature, seed):
        noise = tf.random.stateless_uniform([tf.shape(z)[0]] + example, seed=seed)
        probs, roll = model.decoder.generate(z, noise=noise, temperature=temperature)
        return {"probs": probs, "roll": roll}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("encode", encode, input_signature=[tf.TensorSpec([None] + example, tf.float32)])
    archive.add_endpoint("decode", decode, input_signature=[tf.TensorSpec([None] + latent, tf.float32)])
    if rep.mode == "symbolic":
        archive.add_endpoint("sample", sample, input_signature=[
            tf.TensorSpec([None] + latent, tf.float32), tf.TensorSpec([], tf.float32),
            tf.TensorSpec([2], tf.int32)])
    archive.add_endpoint("representation", tf.function(lambda: tf.constant(rep_json), input_signature=[]))
    with atomic_path(path) as tmp:
        archive.write_out(tmp, verbose=False)
        os.makedirs(os.path.join(tmp, "assets"), exist_ok=True)
        with open(os.path.join(tmp, "assets", REPRESENTATION_ASSET), "w") as f:
            f.write(rep_json)
