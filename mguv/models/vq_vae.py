"""A VQ-VAE over short patterns of a piano-roll (family ``vq_vae``), with a code prior.

A segment is cut into patterns of ``pattern_steps`` steps (4 by default: 8 patterns in 32 steps).
An MLP encodes each pattern to a vector, the vector is replaced by its nearest codebook entry,
and an MLP decodes the entries back to note logits. The codebook is learned by exponential
moving averages (decay 0.99) rather than by gradients, with a commitment loss (weight 0.25) that
keeps the encoder near its codes. Codes that fall out of use are re-initialised from encoder
outputs of the current batch, so the codebook does not shrink to a few entries; codebook usage
and perplexity are tracked as metrics, which makes that visible.

Stage two (``mguv.training.prior``) trains the ``CodePrior`` held in ``VQVAE.prior`` on the code
sequences of the training data; ``sample`` draws codes from it and decodes them.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from mguv.models.losses import bernoulli_nll
from mguv.models.base import Losses, MusicModel
from mguv.models.code_prior import CodePrior
from mguv.models.metrics import roll_scores


@keras.saving.register_keras_serializable(package="mguv")
class VectorQuantizer(keras.layers.Layer):
    """A codebook of K vectors learned by exponential moving averages.

    ``call(e)`` -> (quantized, codes): the nearest entry of every vector of e [..., dim] with a
    straight-through gradient, and its index int32 [...]. ``update(e, codes)`` (training only)
    moves each entry toward the mean of the vectors assigned to it and re-initialises dead entries.

    Args:
      codebook_size: K.
      dim: vector size.
      decay: EMA decay of the assignment counts and sums.
      dead_code_threshold: an entry whose EMA count (vectors per batch) falls below this is
        re-initialised to a random encoder output of the batch (with an EMA count of 1). The first
        update initialises every entry that way, so the codebook starts from data.
      epsilon: Laplace smoothing of the counts.
    """

    def __init__(self, codebook_size=64, dim=64, decay=0.99, dead_code_threshold=0.1, epsilon=1e-5,
                 seed=None, **kwargs):
        super().__init__(**kwargs)
        self.codebook_size, self.dim = int(codebook_size), int(dim)
        self.decay, self.dead_code_threshold, self.epsilon = float(decay), float(dead_code_threshold), float(epsilon)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        shape = (self.codebook_size, self.dim)
        self.codebook = self.add_weight(shape, keras.initializers.RandomNormal(stddev=0.1, seed=self.seed),
                                        trainable=False, name="codebook")
        self.ema_count = self.add_weight((self.codebook_size,), "zeros", trainable=False, name="ema_count")
        self.ema_sum = self.add_weight(shape, "zeros", trainable=False, name="ema_sum")

    def nearest(self, e):
        """e [..., dim] -> index of the nearest entry (squared distance), int32 [...]."""
        flat = ops.reshape(e, (-1, self.dim))
        distance = (ops.sum(flat ** 2, axis=1, keepdims=True) - 2.0 * ops.matmul(flat, ops.transpose(self.codebook))
                    + ops.sum(self.codebook ** 2, axis=1)[None])
        return ops.reshape(ops.cast(ops.argmin(distance, axis=1), "int32"), ops.shape(e)[:-1])

    def lookup(self, codes):
        """codes int32 [...] -> entries [..., dim]."""
        return ops.take(self.codebook, codes, axis=0)

    def call(self, e):
        codes = self.nearest(e)
        quantized = self.lookup(codes)
        return e + ops.stop_gradient(quantized - e), codes

    def statistics(self, codes):
        """(perplexity, usage) of one batch of codes: exp(entropy) of the code histogram, and the
        fraction of the K entries used at least once."""
        counts = ops.sum(ops.one_hot(ops.reshape(codes, (-1,)), self.codebook_size), axis=0)
        p = counts / ops.maximum(ops.sum(counts), 1.0)
        perplexity = ops.exp(-ops.sum(p * ops.log(p + 1e-10)))
        return perplexity, ops.mean(ops.cast(counts > 0, "float32"))

    def update(self, e, codes):
        """One EMA step on a batch of encoder outputs e [..., dim] and their codes [...].

        Returns the number of entries re-initialised (a float32 scalar).
        """
        flat = ops.reshape(ops.stop_gradient(e), (-1, self.dim))
        one_hot = ops.one_hot(ops.reshape(codes, (-1,)), self.codebook_size)
        count = self.decay * self.ema_count + (1.0 - self.decay) * ops.sum(one_hot, axis=0)
        total = self.decay * self.ema_sum + (1.0 - self.decay) * ops.matmul(ops.transpose(one_hot), flat)
        dead = ops.logical_or(count < self.dead_code_threshold, self.ema_count == 0.0)  # 0: never set
        pick = ops.cast(ops.floor(keras.random.uniform((self.codebook_size,), seed=self.seed_generator)
                                  * ops.cast(ops.shape(flat)[0], "float32")), "int32")
        pick = ops.minimum(pick, ops.shape(flat)[0] - 1)
        total = ops.where(dead[:, None], ops.take(flat, pick, axis=0), total)
        count = ops.where(dead, 1.0, count)
        n = ops.sum(count)
        smoothed = (count + self.epsilon) / (n + self.codebook_size * self.epsilon) * n
        self.ema_count.assign(count)
        self.ema_sum.assign(total)
        self.codebook.assign(total / smoothed[:, None])
        return ops.sum(ops.cast(dead, "float32"))

    def get_config(self):
        return {**super().get_config(), "codebook_size": self.codebook_size, "dim": self.dim,
                "decay": self.decay, "dead_code_threshold": self.dead_code_threshold,
                "epsilon": self.epsilon, "seed": self.seed}


@keras.saving.register_keras_serializable(package="mguv")
class PatternMlp(keras.layers.Layer):
    """Two ReLU Dense layers and a linear one, applied to every pattern: [..., in] -> [..., out]."""

    def __init__(self, units, out, **kwargs):
        super().__init__(**kwargs)
        self.units, self.out = int(units), int(out)
        self.layers_ = [keras.layers.Dense(self.units, activation="relu", name="hidden_0"),
                        keras.layers.Dense(self.units, activation="relu", name="hidden_1"),
                        keras.layers.Dense(self.out, name="out")]

    def call(self, x):
        for layer in self.layers_:
            x = layer(x)
        return x

    def get_config(self):
        return {**super().get_config(), "units": self.units, "out": self.out}


@keras.saving.register_keras_serializable(package="mguv")
class VQVAE(MusicModel):
    """VQ-VAE over ``pattern_steps``-step patterns with an EMA codebook, plus its code prior.

    Loss per example (nats): weighted BCE of the reconstruction ("recon"; "nll" is the plain
    Bernoulli NLL) + commitment * ||e - sg(q)||^2 summed over patterns. Metrics also track
    codebook perplexity, usage (fraction of codes in a batch) and re-initialised dead codes.

    Args:
      steps, num_pitches: the segment shape.
      pattern_steps: steps per pattern (one code each); must divide ``steps``.
      codebook_size, code_dim: the codebook.
      hidden_units: units of the encoder and decoder MLPs.
      decay, commitment, dead_code_threshold: see ``VectorQuantizer`` and above.
      pos_weight: BCE weight of active cells.
      prior_units, prior_layers, prior_dropout, top_k: the ``CodePrior``.
      seed: seeds the codebook and its re-initialisation.
      pitch_groups: blocks of channels in a step (2 for a roll with onsets); the training log
        scores the frames and the onsets apart.
    """

    has_prior_stage = True  # stage two fits self.prior on the codes (mguv.training.prior)
    reconstruction_titles = ("original", "decoded from its codes p", "decoded roll")

    def __init__(self, steps, num_pitches, pattern_steps=4, codebook_size=64, code_dim=64, hidden_units=256,
                 decay=0.99, commitment=0.25, dead_code_threshold=0.1, pos_weight=1.0, prior_units=256,
                 prior_layers=2, prior_dropout=0.1, top_k=0, seed=None, pitch_groups=1, **kwargs):
        super().__init__(loss_names=("loss", "recon", "nll", "commitment", "perplexity", "usage", "dead_codes"),
                         output_metrics=roll_scores(pitch_groups), **kwargs)
        self.pitch_groups = int(pitch_groups)
        if steps % pattern_steps:
            raise ValueError(f"pattern_steps {pattern_steps} must divide the segment's {steps} steps")
        self.steps, self.num_pitches, self.pattern_steps = int(steps), int(num_pitches), int(pattern_steps)
        self.patterns = self.steps // self.pattern_steps
        self.codebook_size, self.code_dim, self.hidden_units = int(codebook_size), int(code_dim), int(hidden_units)
        self.decay, self.commitment = float(decay), float(commitment)
        self.dead_code_threshold, self.pos_weight = float(dead_code_threshold), float(pos_weight)
        self.prior_units, self.prior_layers, self.prior_dropout = int(prior_units), int(prior_layers), float(prior_dropout)
        self.top_k, self.seed = int(top_k), seed
        self.encoder = PatternMlp(self.hidden_units, self.code_dim, name="encoder")
        self.quantizer = VectorQuantizer(self.codebook_size, self.code_dim, self.decay, self.dead_code_threshold,
                                         seed=seed, name="quantizer")
        self.decoder = PatternMlp(self.hidden_units, self.pattern_steps * self.num_pitches, name="decoder")
        self.prior = CodePrior(self.codebook_size, self.patterns, self.prior_units, self.prior_layers,
                               self.prior_dropout, self.top_k, seed=seed, name="prior")

    @property
    def codes_shape(self):
        return (self.patterns,)

    def build(self, input_shape):
        """input_shape: [batch, steps, pitches]."""
        self.call(ops.zeros((1,) + tuple(input_shape[1:])))
        self.prior.build((None, self.patterns))

    @property
    def optimized_weights(self):
        """What stage one trains: the encoder and decoder (the codebook follows EMAs, and the
        prior is stage two)."""
        return self.encoder.trainable_weights + self.decoder.trainable_weights

    def compile(self, optimizer="adam", **kwargs):
        super().compile(optimizer=optimizer, **kwargs)
        if self.built:
            self.optimizer.build(self.optimized_weights)

    def compile_from_config(self, config):
        """Recompiles a model loaded from a .keras file (Keras skips a custom ``compile`` otherwise)."""
        optimizer = config.get("optimizer")
        self.compile(optimizer=keras.optimizers.deserialize(optimizer) if optimizer else "adam")

    # -- the model ------------------------------------------------------------------------------
    def _encode(self, x):
        """x [batch, steps, pitches] -> encoder outputs [batch, patterns, code_dim]."""
        return self.encoder(ops.reshape(x, (-1, self.patterns, self.pattern_steps * self.num_pitches)))

    def _decode(self, q):
        """Code vectors [batch, patterns, code_dim] -> logits [batch, steps, pitches]."""
        return ops.reshape(self.decoder(q), (-1, self.steps, self.num_pitches))

    def encode_codes(self, x):
        """x [batch, steps, pitches] -> codes int32 [batch, patterns]."""
        return self.quantizer.nearest(self._encode(ops.convert_to_tensor(x, "float32")))

    def encode_all(self, x, batch_size=256):
        """Codes of every segment, in batches: x [n, steps, pitches] (numpy) -> numpy int32 [n, patterns]."""
        parts = [np.asarray(self.encode_codes(np.asarray(x[i:i + batch_size], np.float32)))
                 for i in range(0, len(x), batch_size)]
        return np.concatenate(parts) if parts else np.zeros((0, self.patterns), np.int32)

    def decode_codes(self, codes):
        """codes int32 [batch, patterns] -> note probabilities [batch, steps, pitches]."""
        return ops.sigmoid(self._decode(self.quantizer.lookup(codes)))

    def call(self, x, training=False):
        """Reconstruction logits [batch, steps, pitches] through the quantizer."""
        quantized, _ = self.quantizer(self._encode(x))
        return self._decode(quantized)

    # -- training -------------------------------------------------------------------------------
    def loss_terms(self, x, training):
        """Weighted BCE ("recon"), plain Bernoulli NLL and commitment, per example [batch] in nats,
        and the batch's codebook perplexity and usage; the prediction is note probabilities."""
        e = self._encode(x)
        quantized, codes = self.quantizer(e)
        logits = self._decode(quantized)
        recon = bernoulli_nll(x, logits, self.pos_weight)
        commitment = self.commitment * ops.sum((e - ops.stop_gradient(self.quantizer.lookup(codes))) ** 2,
                                               axis=(1, 2))
        perplexity, usage = self.quantizer.statistics(codes)
        terms = {"loss": recon + commitment, "recon": recon, "nll": bernoulli_nll(x, logits),
                 "commitment": commitment, "perplexity": perplexity, "usage": usage}
        return Losses(terms, ops.sigmoid(logits), (e, codes))

    def after_update(self, state):
        """The codebook's EMA step on the batch's encoder outputs and codes (training only)."""
        return {"dead_codes": self.quantizer.update(*state)}

    # -- generation -----------------------------------------------------------------------------
    def sample(self, num, temperature=1.0, seed=(0, 0)):
        """Codes drawn from the prior at ``temperature`` (0 = greedy), then decoded.

        Returns (probs [num, steps, pitches], roll: probs > 0.5 in {0, 1}).
        """
        probs = self.decode_codes(self.prior.generate(num, temperature, seed))
        return probs, ops.cast(probs > 0.5, "float32")

    def reconstructions(self, x):
        """For the run's figure: (probabilities decoded from x's codes, the same thresholded)."""
        probs = self.decode_codes(self.encode_codes(x))
        return probs, ops.cast(probs > 0.5, "float32")

    def export_endpoints(self, rep):
        """sample(num, ...) as for every family without a latent, plus encode(x) -> {"codes": int32
        [None, patterns]} and decode(codes) -> probabilities [None, steps, pitches]."""
        endpoints, info = super().export_endpoints(rep)
        codes = list(self.codes_shape)
        endpoints += [
            ("encode", lambda x: {"codes": self.encode_codes(x)}, [tf.TensorSpec([None] + list(rep.shape), tf.float32)]),
            ("decode", self.decode_codes, [tf.TensorSpec([None] + codes, tf.int32)]),
        ]
        return endpoints, {**info, "codes_shape": codes, "codebook_size": self.codebook_size}

    def get_config(self):
        return {**super().get_config(), "steps": self.steps, "num_pitches": self.num_pitches,
                "pattern_steps": self.pattern_steps, "codebook_size": self.codebook_size,
                "code_dim": self.code_dim, "hidden_units": self.hidden_units, "decay": self.decay,
                "commitment": self.commitment, "dead_code_threshold": self.dead_code_threshold,
                "pos_weight": self.pos_weight, "prior_units": self.prior_units,
                "prior_layers": self.prior_layers, "prior_dropout": self.prior_dropout,
                "top_k": self.top_k, "seed": self.seed, "pitch_groups": self.pitch_groups}
