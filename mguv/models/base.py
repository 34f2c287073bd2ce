"""What every mguv model offers, and the one train step they share.

``MusicModel`` is the contract that training, evaluation, export and generation ask instead of
probing a model:

  latent_shape      shape of one continuous latent z, e.g. (64,) or (352, 16); None for a family
                    without one (lstm, lstm_attention, vq_vae), which samples from a count
  call_input_shape(rep)  what ``call()`` takes, to build on: the data's shape (z's for a GAN)
  encodes           True when ``encode(x) -> (mean, logvar)`` maps data to that latent (the VAEs)
  exact_likelihood  True when ``loss_terms(x).terms["nll"]`` is the exact negative log-likelihood
                    of each example in nats (the next-step families); a VAE bounds it instead
                    (``VAE.log_importance_weights``, ``mguv.likelihood``)
  monitor           the validation metric that picks the best epoch ("val_loss"); None for a
                    model whose losses cannot (a GAN): no early stopping, the last weights are kept
  has_prior_stage   trained in two stages: after ``fit()`` a second model, ``self.prior``, is
                    fitted on the first one's codes (vq_vae; see ``mguv.training.prior``)
  sample(num, temperature, seed) -> (probs, roll)
                    prior samples drawn inside the graph, [num, *example] each
  reconstructions(x) -> (a, b) or None, titled by ``reconstruction_titles`` (None: the mode's
                    standard titles): what the run's reconstruction figure shows
  export_endpoints(rep) -> the SavedModel's endpoints and the keys it adds to the representation

The one train step (DDSP's loss-dict pattern): a family implements ``loss_terms(x, training)``,
returning ``Losses(terms, prediction, state)``. ``terms`` maps names to per-example values [batch]
in nats (or batch scalars such as beta); ``terms["loss"]`` is what the optimizer minimises. Each
name listed in ``loss_names`` gets a ``keras.metrics.Mean``; ``prediction`` (or None) feeds the
output metrics (note F1, SNR, ...) against x; ``state`` goes to ``after_update``, where a family
makes updates that are not gradient steps (the VQ-VAE's codebook EMA).
"""

import collections

import keras
import tensorflow as tf
from keras import ops

from mguv.models.sampling import step_seed

Losses = collections.namedtuple("Losses", ["terms", "prediction", "state"], defaults=[None, None])


def _multi_worker():
    """True inside a MultiWorkerMirroredStrategy that spans several workers."""
    strategy = tf.distribute.get_strategy()
    return (isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
            and strategy.extended._in_multi_worker_mode())


def features(data):
    """The model input of a batch from ``fit()``: x itself, or x of an (x, y) tuple."""
    return data[0] if isinstance(data, tuple) else data


class MusicModel(keras.Model):
    """Base of every mguv model: the contract above and the shared ``train_step``/``test_step``.

    Args:
      loss_names: the terms tracked as metrics, "loss" first.
      output_metrics: metrics updated with (x, prediction) every step.
    """

    latent_shape = None
    encodes = False
    exact_likelihood = False
    monitor = "val_loss"
    has_prior_stage = False
    reconstruction_titles = None

    def __init__(self, loss_names=("loss",), output_metrics=(), **kwargs):
        super().__init__(**kwargs)
        self.trackers = {name: keras.metrics.Mean(name=name) for name in loss_names}
        self.output_metrics_list = list(output_metrics)

    # -- the contract ---------------------------------------------------------------------------
    def call_input_shape(self, rep):
        """The shape ``call()`` takes, to build the model on: the data's, [None, *rep.shape]."""
        return (None,) + tuple(rep.shape)

    def loss_terms(self, x, training):
        """x [batch, *example] -> ``Losses`` (see the module docstring)."""
        raise NotImplementedError

    def after_update(self, state):
        """Non-gradient updates after an optimizer step; returns more terms to track."""
        return {}

    @property
    def optimized_weights(self):
        """What the optimizer trains in ``train_step`` (all trainable weights by default)."""
        return self.trainable_weights

    def generate(self, z, noise=None, temperature=1.0):
        """z [batch, *latent] -> (probs, roll), each [batch, *example]; ``noise`` uniform draws of
        the example's shape sample at ``temperature``, None decodes greedily. Latent models only."""
        raise NotImplementedError(f"{self.name} has no continuous latent to decode")

    def sample(self, num, temperature=1.0, seed=(0, 0)):
        """``num`` prior samples in the graph: z ~ N(0, I), decoded by ``generate`` with Bernoulli
        noise at ``temperature`` (0 = greedy). Families without a latent override this.

        Args:
          num: an int or an int32 scalar tensor.
          seed: int32 [2]; the same seed gives the same samples, in Keras and in a SavedModel.

        Returns (probs, roll), float32 [num, *example] each.
        """
        seed = tf.convert_to_tensor(seed, tf.int32)
        shape = tf.concat([tf.reshape(tf.cast(num, tf.int32), [1]), tf.constant(self.latent_shape, tf.int32)], 0)
        z = tf.random.stateless_normal(shape, seed=step_seed(seed, 0))
        return self.decode_sample(z, temperature, step_seed(seed, 1))

    def decode_sample(self, z, temperature, seed):
        """z [batch, *latent] -> (probs, roll), sampling each cell at ``temperature`` with
        stateless noise from ``seed`` int32 [2]."""
        noise = tf.random.stateless_uniform(tf.concat([tf.shape(z)[:1], self.example_shape], 0), seed=seed)
        return self.generate(z, noise=noise, temperature=temperature)

    def reconstructions(self, x):
        """Two views of x [n, *example] for the run's figure, each [n, *example]; None when the
        family does not reconstruct (a GAN)."""
        return None

    def export_endpoints(self, rep):
        """([(name, function, input signature)], extra representation keys) of the SavedModel.

        Latent models: decode(z), encode(x) when ``encodes``, and sample(z, temperature, seed) for
        piano-rolls. Models without a latent: sample(num, temperature, seed).
        """
        example = list(rep.shape)
        if self.latent_shape is None:
            def sample_count(num, temperature, seed):
                probs, roll = self.sample(num, temperature, seed)
                return {"probs": probs, "roll": roll}

            return ([("sample", sample_count, [tf.TensorSpec([], tf.int32), tf.TensorSpec([], tf.float32),
                                               tf.TensorSpec([2], tf.int32)])],
                    {"sample_input": "num", "latent_dim": None, "latent_shape": None})
        latent = list(self.latent_shape)

        def decode(z):
            return self.generate(z)[0]

        def sample(z, temperature, seed):
            probs, roll = self.decode_sample(z, temperature, seed)
            return {"probs": probs, "roll": roll}

        def encode(x):
            mean, logvar = self.encode(x, training=False)
            return {"mean": mean, "logvar": logvar}

        endpoints = [("decode", decode, [tf.TensorSpec([None] + latent, tf.float32)])]
        if self.encodes:
            endpoints.append(("encode", encode, [tf.TensorSpec([None] + example, tf.float32)]))
        if rep.mode == "symbolic":
            endpoints.append(("sample", sample, [tf.TensorSpec([None] + latent, tf.float32),
                                                 tf.TensorSpec([], tf.float32), tf.TensorSpec([2], tf.int32)]))
        return endpoints, {"sample_input": "z", "latent_dim": int(self.latent_dim), "latent_shape": latent}

    # -- the one train step ---------------------------------------------------------------------
    def train_step(self, data):
        x = features(data)
        weights = self.optimized_weights
        with tf.GradientTape() as tape:
            losses = self.loss_terms(x, training=True)
            # Summed and divided by the *global* batch: right when replicas' gradients are summed.
            loss = tf.nn.compute_average_loss(losses.terms["loss"])
        self.optimizer.apply(tape.gradient(loss, weights), weights)
        terms = {**losses.terms, **self.after_update(losses.state)}
        return self.update_metrics(x, terms, losses.prediction)

    def test_step(self, data):
        x = features(data)
        losses = self.loss_terms(x, training=False)
        return self.update_metrics(x, losses.terms, losses.prediction)

    def update_metrics(self, x, terms, prediction=None):
        """Feeds ``terms`` to their trackers and (x, prediction) to the output metrics; returns the
        results of those updated. Per-example values weight every example equally and stay finite
        when a replica's share of a last, partial batch is empty."""
        for name, value in terms.items():
            self.trackers[name].update_state(value)
        if prediction is not None:
            for metric in self.output_metrics_list:
                metric.update_state(x, prediction)
        results = {name: self.trackers[name].result() for name in self.trackers if name in terms}
        if prediction is not None:
            results.update({m.name: m.result() for m in self.output_metrics_list})
        if _multi_worker():
            # Keras reduces step outputs across workers with reduce("MEAN", axis=0), which needs a
            # batch axis: give each scalar one (the mean over workers comes back as a scalar).
            results = {k: ops.reshape(v, (1,)) for k, v in results.items()}
        return results

    @property
    def metrics(self):
        return list(self.trackers.values()) + list(self.output_metrics_list)
