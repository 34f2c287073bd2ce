"""The one VAE base: posterior head, reparameterization, KL, beta annealing, free bits, and the
ELBO as the loss terms of the shared train step (``mguv.models.base``). Model families plug in an
encoder and a decoder part.

Part interface:
  encoder(x, training) -> features [batch, features] or a sequence [batch, frames, features];
      encoder.build(x_shape), encoder.compute_output_shape(x_shape)
  decoder(z, x, training) -> outputs (teacher-forced; e.g. logits [batch, steps, pitches]);
      decoder.build(z_shape, x_shape)
  decoder.reconstruction_loss(x, outputs) -> dict of per-example terms [batch] in nats; the
      term "recon" is the one optimized, the others (named in decoder.extra_loss_terms, e.g.
      "nll") are tracked as metrics
  decoder.prediction(outputs) -> what the output metrics compare to x (e.g. probabilities)
  decoder.greedy(outputs) -> the most likely teacher-forced roll (piano-roll decoders, for
      ``mguv.evaluate``)
  decoder.output_metrics() -> new keras metrics with update_state(x, prediction)
  decoder.generate(z, noise, temperature) -> (probs, roll) running free (sampling and export)

An optional third part, ``prior`` (a ``LatentPrior`` over latent sequences or vectors), makes the VAE a
two-stage model: after ``fit()`` the prior is fitted on the posterior means of the training data
(``mguv.training.prior``), and ``sample`` draws z from it instead of N(0, I).
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from mguv.models.base import Losses, MusicModel
from mguv.models.losses import gaussian_kl
from mguv.models.sampling import step_seed


@keras.saving.register_keras_serializable(package="mguv")
class VAE(MusicModel):
    """A VAE with pluggable parts, trained with ``fit()``.

    Loss per example (nats): recon + beta * max(KL - free_bits, 0), averaged over the global batch.
    beta ramps linearly from 0 to ``beta`` over ``beta_warmup_steps`` optimizer steps (0 = no
    annealing), read from ``optimizer.iterations`` so it resumes correctly after a restart. The
    best epoch is picked on "objective", the same loss at the final beta, which the annealing does
    not move (an early epoch's small beta would otherwise make its loss look best).

    Args:
      encoder: a layer mapping x to features [batch, features].
      decoder: a decoder part (see the module docstring).
      latent_dim: size of z.
      beta: final KL weight (beta < 1 or > 1 gives a beta-VAE).
      beta_warmup_steps: linear KL annealing length in optimizer steps.
      free_bits: nats of KL per example that cost nothing (MusicVAE's free bits).
      seed: seed of the reparameterization noise.
      prior: None (sample z ~ N(0, I)), or a model over z with ``generate(num, frames, temperature,
        seed)`` fitted in stage two (``LatentPrior``; a sequence latent only).
    """

    encodes = True
    monitor = "val_objective"

    def __init__(self, encoder, decoder, latent_dim, beta=1.0, beta_warmup_steps=0, free_bits=0.0,
                 seed=None, prior=None, **kwargs):
        names = ("loss", "objective", "recon", "kl", "beta") + tuple(decoder.extra_loss_terms)
        super().__init__(loss_names=names, output_metrics=decoder.output_metrics(), **kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.latent_dim = int(latent_dim)
        self.beta = float(beta)
        self.beta_warmup_steps = int(beta_warmup_steps)
        self.free_bits = float(free_bits)
        self.seed = seed
        self.posterior = keras.layers.Dense(2 * self.latent_dim, name="posterior")
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.prior = prior

    @property
    def has_prior_stage(self):
        """True with a learned prior: it is fitted after ``fit()`` (``mguv.training.prior``)."""
        return self.prior is not None

    @property
    def optimized_weights(self):
        """What stage one trains: everything but the prior (stage two)."""
        if self.prior is None:
            return self.trainable_weights
        fitted_later = {id(w) for w in self.prior.weights}
        return [w for w in self.trainable_weights if id(w) not in fitted_later]

    def compile(self, optimizer="adam", **kwargs):
        super().compile(optimizer=optimizer, **kwargs)
        if self.prior is not None and self.built:  # the optimizer holds stage one's weights only
            self.optimizer.build(self.optimized_weights)

    def compile_from_config(self, config):
        """Recompiles a model loaded from a .keras file as Keras would (it skips a custom ``compile``)."""
        self.compile(**keras.saving.deserialize_keras_object(config))
        if self.built and not self.optimizer.built:
            self.optimizer.build(self.optimized_weights)

    def build(self, input_shape):
        """input_shape: the data shape, e.g. [batch, steps, pitches]."""
        # Parts restored from a .keras config may have built themselves already.
        if not self.encoder.built:
            self.encoder.build(input_shape)
        features = tuple(self.encoder.compute_output_shape(tuple(input_shape)))
        self.posterior.build(features)
        if not self.decoder.built:
            self.decoder.build(features[:-1] + (self.latent_dim,), input_shape)
        self.latent_shape = features[1:-1] + (self.latent_dim,)
        self.example_shape = tuple(input_shape[1:])
        if self.prior is not None and not self.prior.built:
            self.prior.build((None,) + self.latent_shape)

    # -- the model ------------------------------------------------------------------------------
    def encode(self, x, training=False):
        """x [batch, ...] -> (mean, logvar), each [batch, *latent_shape].

        ``latent_shape`` is (latent_dim,) for a vector latent, or (frames, latent_dim) when the
        encoder returns a sequence (the posterior head is applied per frame).
        """
        params = self.posterior(self.encoder(x, training=training))
        mean, logvar = ops.split(params, 2, axis=-1)
        # A bounded log-variance keeps exp() finite early in training.
        return mean, ops.clip(logvar, -12.0, 8.0)

    def encode_all(self, x, batch_size=16):
        """Posterior means of every example, in batches: x [n, *example] (numpy) -> numpy float32
        [n, *latent]; what stage two fits the prior on."""
        parts = [np.asarray(self.encode(np.asarray(x[i:i + batch_size], np.float32))[0])
                 for i in range(0, len(x), batch_size)]
        return np.concatenate(parts) if parts else np.zeros((0,) + tuple(self.latent_shape), np.float32)

    def sample_posterior(self, mean, logvar):
        """mean + sigma * eps, eps ~ N(0, I) drawn from the seed generator (inference use)."""
        eps = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return mean + ops.exp(0.5 * logvar) * eps

    def _replica_noise(self, mean):
        """Reparameterization noise [batch, *latent] for training and validation steps.

        One stateless draw for the *global* batch, keyed by (seed, optimizer step), of which each
        replica takes its own rows. The noise an example gets therefore depends on its position in
        the global batch, not on how the batch is split: training on N replicas gives the same
        losses as on one device (dropout masks aside), and every replica gets different noise.
        """
        ctx = tf.distribute.get_replica_context()
        replicas = ctx.num_replicas_in_sync if ctx is not None else 1
        replica = ctx.replica_id_in_sync_group if ctx is not None else 0
        local = tf.shape(mean)[0]
        step = tf.cast(self.optimizer.iterations, tf.int32) if getattr(self, "optimizer", None) else 0
        seed = tf.stack([tf.constant(self.seed or 0, tf.int32), step])
        full = tf.random.stateless_normal(tf.concat([[local * replicas], tf.shape(mean)[1:]], 0), seed,
                                          dtype=mean.dtype)
        return full[replica * local:(replica + 1) * local]

    def call(self, x, training=False):
        """Teacher-forced reconstruction outputs from a posterior sample (training) or mean."""
        mean, logvar = self.encode(x, training=training)
        z = self.sample_posterior(mean, logvar) if training else mean
        return self.decoder(z, x, training=training)

    # -- the ELBO -------------------------------------------------------------------------------
    def current_beta(self):
        """The annealed KL weight at the optimizer's current step (a scalar)."""
        if self.beta_warmup_steps <= 0 or getattr(self, "optimizer", None) is None:
            return ops.convert_to_tensor(self.beta, "float32")
        step = ops.cast(self.optimizer.iterations, "float32")
        return self.beta * ops.minimum(1.0, step / float(self.beta_warmup_steps))

    def loss_terms(self, x, training):
        """The ELBO's terms: per-example values [batch] in nats (loss, recon, kl and the decoder's
        extra terms) plus the scalar beta; the prediction is the decoder's (e.g. probabilities)."""
        mean, logvar = self.encode(x, training=training)
        z = mean + ops.exp(0.5 * logvar) * self._replica_noise(mean)
        outputs = self.decoder(z, x, training=training)
        recon_terms = self.decoder.reconstruction_loss(x, outputs)
        kl = ops.sum(ops.reshape(gaussian_kl(mean, logvar), (ops.shape(mean)[0], -1)), axis=-1)
        kl_cost = ops.maximum(kl - self.free_bits, 0.0)
        beta = self.current_beta()
        terms = {"loss": recon_terms["recon"] + beta * kl_cost, "objective": recon_terms["recon"] + self.beta * kl_cost,
                 "kl": kl, "beta": beta, **recon_terms}
        return Losses(terms, self.decoder.prediction(outputs))

    def log_importance_weights(self, x, num_samples, seed):
        """log p(x | z_k) + log p(z_k) - log q(z_k | x) for K = ``num_samples`` draws z_k ~ q(z | x).

        Their mean estimates the ELBO; logsumexp over k minus log K is the importance-weighted bound
        of Burda et al. (2016), a lower bound on log p(x) that tightens as K grows. log p(x | z) is
        the decoder's plain likelihood term ("nll" when it tracks one, else "recon").

        Args:
          x: float32 [batch, *example].
          num_samples: K, a Python int.
          seed: int32 [2] for the stateless draws.

        Returns:
          float32 [batch, K], nats.
        """
        x = tf.convert_to_tensor(x, tf.float32)
        mean, logvar = self.encode(x, training=False)
        batch = tf.shape(x)[0]
        eps = tf.random.stateless_normal(tf.concat([[num_samples], tf.shape(mean)], 0), seed, dtype=mean.dtype)
        z = mean[None] + tf.exp(0.5 * logvar)[None] * eps                      # [K, batch, *latent]
        flat_z = tf.reshape(z, tf.concat([[-1], tf.shape(mean)[1:]], 0))
        flat_x = tf.reshape(tf.tile(x[None], [num_samples] + [1] * len(x.shape)),
                            tf.concat([[-1], tf.shape(x)[1:]], 0))
        terms = self.decoder.reconstruction_loss(flat_x, self.decoder(flat_z, flat_x, training=False))
        nll = tf.reshape(terms["nll" if "nll" in self.decoder.extra_loss_terms else "recon"], [num_samples, batch])
        log_2pi = tf.math.log(2.0 * 3.141592653589793)
        axes = list(range(2, len(z.shape)))
        log_prior = -0.5 * tf.reduce_sum(tf.square(z) + log_2pi, axis=axes)
        log_posterior = -0.5 * tf.reduce_sum(tf.square(eps) + logvar[None] + log_2pi, axis=axes)
        return tf.transpose(-nll + log_prior - log_posterior)

    # -- what the model offers ------------------------------------------------------------------
    def generate(self, z, noise=None, temperature=1.0):
        """The decoder running free from z (see ``MusicModel.generate``)."""
        return self.decoder.generate(z, noise=noise, temperature=temperature)

    def sample(self, num, temperature=1.0, seed=(0, 0), prior=None):
        """``num`` prior samples (``MusicModel.sample``), from the learned prior when there is one.

        Args:
          prior: "learned" (the default with a prior: z drawn from it, see ``_prior_latents``) or
            "normal" (z ~ N(0, I), the default without one; kept for comparison).
        """
        if prior not in (None, "learned", "normal"):
            raise ValueError(f"prior must be 'learned' or 'normal', not {prior!r}")
        if prior == "learned" and self.prior is None:
            raise ValueError(f"{self.name} has no learned prior; sample with prior='normal'")
        if self.prior is None or prior == "normal":
            return super().sample(num, temperature, seed)
        seed = tf.convert_to_tensor(seed, tf.int32)
        z = self._prior_latents(num, temperature, seed)
        return self.decode_sample(z, temperature, step_seed(seed, 1))

    def _prior_latents(self, num, temperature, seed):
        """z [num, *latent] from the learned prior. A decoder that draws its output (piano-rolls)
        takes the temperature itself, so z is drawn at 1 (at 0 every sample would be the prior's
        mean); a deterministic one (a waveform decoder) has the prior's spread scaled instead."""
        spread = temperature if getattr(self.decoder, "deterministic", False) else 1.0
        return self.prior.sample_latents(num, self.latent_shape, spread, step_seed(seed, 0))

    def export_endpoints(self, rep):
        """The latent models' endpoints (``MusicModel.export_endpoints``); with a learned prior,
        ``sample(num: int32 [], temperature: float32 [], seed: int32 [2])`` draws from it instead:
        {"wave": [num, samples, 1], "z": [num, *latent]} for audio, {"probs", "roll", "z"} for rolls;
        the sampler from z becomes ``decode_sample(z, temperature, seed)``."""
        endpoints, info = super().export_endpoints(rep)
        if self.prior is None:
            return endpoints, info

        def sample_count(num, temperature, seed):
            seed = tf.convert_to_tensor(seed, tf.int32)
            z = self._prior_latents(num, temperature, seed)
            probs, roll = self.decode_sample(z, temperature, step_seed(seed, 1))
            return {"wave": probs, "z": z} if rep.mode == "audio" else {"probs": probs, "roll": roll, "z": z}

        signature = [tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.float32), tf.TensorSpec([2], tf.int32)]
        # The sampler from z stays, as decode_sample (symbolic: {"probs", "roll"} at a temperature).
        endpoints = [("decode_sample",) + e[1:] if e[0] == "sample" else e for e in endpoints]
        endpoints.append(("sample", sample_count, signature))
        return endpoints, {**info, "sample_input": "num", "prior": "learned"}

    def reconstructions(self, x):
        """(teacher-forced prediction from the posterior mean, free-running greedy decoding of the
        mean), each [n, *example]."""
        teacher = self.decoder.prediction(self(x, training=False))
        mean, _ = self.encode(x)
        _, free = self.decoder.generate(mean)
        return teacher, free

    # -- serialization --------------------------------------------------------------------------
    def get_config(self):
        return {
            **super().get_config(),
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "latent_dim": self.latent_dim,
            "beta": self.beta,
            "beta_warmup_steps": self.beta_warmup_steps,
            "free_bits": self.free_bits,
            "seed": self.seed,
            "prior": None if self.prior is None else keras.saving.serialize_keras_object(self.prior),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for part in ("encoder", "decoder", "prior"):
            if config.get(part) is not None:
                config[part] = keras.saving.deserialize_keras_object(config[part])
        return cls(**config)
