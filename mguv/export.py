"""Export a trained model as a TF SavedModel that runs without mguv.

Endpoints (all fixed signatures):
  encode(x: float32 [None, steps, pitches]) -> {"mean", "logvar"}: float32 [None, latent]
  decode(z: float32 [None, latent]) -> float32 [None, steps, pitches] note probabilities, decoded
      free-running inside the graph (greedy: a cell is fed back as on when p > 0.5)
  sample(z: float32 [None, latent], temperature: float32 [], seed: int32 [2])
      -> {"probs", "roll"}: float32 [None, steps, pitches]; Bernoulli sampling at ``temperature``
  representation() -> string []: the representation as JSON (also in assets/representation.json)

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
    steps, pitches = rep.shape
    latent = model.latent_dim
    rep_json = json.dumps({**rep.to_dict(), "latent_dim": latent})

    def encode(x):
        mean, logvar = model.encode(x, training=False)
        return {"mean": mean, "logvar": logvar}

    def decode(z):
        probs, _ = model.decoder.generate(z)
        return probs

    def sample(z, temperature, seed):
        noise = tf.random.stateless_uniform([tf.shape(z)[0], steps, pitches], seed=seed)
        probs, roll = model.decoder.generate(z, noise=noise, temperature=temperature)
        return {"probs": probs, "roll": roll}

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint("encode", encode, input_signature=[tf.TensorSpec([None, steps, pitches], tf.float32)])
    archive.add_endpoint("decode", decode, input_signature=[tf.TensorSpec([None, latent], tf.float32)])
    archive.add_endpoint("sample", sample, input_signature=[
        tf.TensorSpec([None, latent], tf.float32), tf.TensorSpec([], tf.float32), tf.TensorSpec([2], tf.int32)])
    archive.add_endpoint("representation", tf.function(lambda: tf.constant(rep_json), input_signature=[]))
    with atomic_path(path) as tmp:
        archive.write_out(tmp, verbose=False)
        os.makedirs(os.path.join(tmp, "assets"), exist_ok=True)
        with open(os.path.join(tmp, "assets", REPRESENTATION_ASSET), "w") as f:
            f.write(rep_json)
