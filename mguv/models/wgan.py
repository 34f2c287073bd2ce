"""A Wasserstein GAN over piano-roll segments (family ``wgan``), the Bach study's adversarial model.

The generator maps z ~ N(0, I) to note probabilities with an LSTM and multi-head self-attention;
the critic, a smaller network of the same kind, scores segments. Two ways to keep the critic
1-Lipschitz:
  - weight clipping (the original WGAN, ``gp=0``, the default): every critic weight is clipped
    to [-clip_value, clip_value] after each critic step;
  - gradient penalty (WGAN-GP, ``gp > 0``, e.g. ``--set gp=10``): gp * (||grad D(x_hat)|| - 1)^2 on
    random interpolates between real and generated segments, and no clipping. It is usually the
    more stable of the two.
Each ``train_step`` makes ``n_critic`` critic updates (on the same real batch with fresh z, as in
the keras-io WGAN-GP example), then one generator update. The generator uses the optimizer the
model is compiled with; the critic gets a copy of it at ``critic_learning_rate``.
"""

import keras
import tensorflow as tf
from keras import ops

from mguv.models.base import Losses, MusicModel, features
from mguv.models.sampling import probability_logits


@keras.saving.register_keras_serializable(package="mguv")
class SequenceGenerator(keras.layers.Layer):
    """z [batch, latent] -> note probabilities [batch, steps, pitches].

    z and a learned embedding of the step index feed an LSTM at every step; self-attention over
    the LSTM outputs (residual, layer-normalised) lets distant steps agree; a sigmoid Dense gives
    the probabilities.
    """

    def __init__(self, steps, num_pitches, units=256, num_heads=4, **kwargs):
        super().__init__(**kwargs)
        self.steps, self.num_pitches, self.units, self.num_heads = int(steps), int(num_pitches), int(units), int(num_heads)
        self.position = keras.layers.Embedding(self.steps, self.units, name="position")
        self.rnn = keras.layers.LSTM(self.units, return_sequences=True, name="lstm")
        self.attention = keras.layers.MultiHeadAttention(self.num_heads, max(self.units // self.num_heads, 1),
                                                         name="attention")
        self.norm = keras.layers.LayerNormalization(name="norm")
        self.out = keras.layers.Dense(self.num_pitches, activation="sigmoid", name="probs")

    def call(self, z, training=False):
        positions = self.position(ops.arange(self.steps))[None]                        # [1, steps, units]
        z_seq = ops.repeat(ops.expand_dims(z, 1), self.steps, axis=1)
        h = self.rnn(ops.concatenate([z_seq, ops.broadcast_to(positions, (ops.shape(z)[0], self.steps,
                                                                           self.units))], axis=-1),
                     training=training)
        h = self.norm(h + self.attention(h, h, training=training))
        return self.out(h)

    def get_config(self):
        return {**super().get_config(), "steps": self.steps, "num_pitches": self.num_pitches,
                "units": self.units, "num_heads": self.num_heads}


@keras.saving.register_keras_serializable(package="mguv")
class SequenceCritic(keras.layers.Layer):
    """Segments [batch, steps, pitches] -> critic scores [batch] (unbounded).

    An LSTM, self-attention with a residual connection, the mean over steps and a linear Dense.
    No normalisation layers: clipping would clip their scales too, and the gradient penalty is
    defined per example.
    """

    def __init__(self, units=128, num_heads=4, **kwargs):
        super().__init__(**kwargs)
        self.units, self.num_heads = int(units), int(num_heads)
        self.rnn = keras.layers.LSTM(self.units, return_sequences=True, name="lstm")
        self.attention = keras.layers.MultiHeadAttention(self.num_heads, max(self.units // self.num_heads, 1),
                                                         name="attention")
        self.out = keras.layers.Dense(1, name="score")

    def call(self, x, training=False):
        h = self.rnn(x, training=training)
        h = h + self.attention(h, h, training=training)
        return self.out(ops.mean(h, axis=1))[:, 0]

    def get_config(self):
        return {**super().get_config(), "units": self.units, "num_heads": self.num_heads}


@keras.saving.register_keras_serializable(package="mguv")
class WGAN(MusicModel):
    """Generator + critic trained with the Wasserstein loss (see the module docstring).

    Metrics: ``loss`` is the critic's Wasserstein estimate mean D(real) - mean D(fake) (on
    validation data, with fixed z: lower means the generator is harder to tell apart);
    ``critic_loss`` includes the penalty, ``generator_loss`` is -mean D(fake), ``gradient_penalty``
    (0 when clipping).

    Args:
      steps, num_pitches: the segment shape.
      latent_dim: size of z.
      generator_units, critic_units: LSTM units (the critic is the smaller one).
      num_heads: attention heads of both.
      n_critic: critic updates per generator update.
      clip_value: weight clipping bound (used when gp == 0).
      gp: gradient-penalty weight; > 0 switches from clipping to WGAN-GP.
      critic_learning_rate: the critic's learning rate (the generator's is the optimizer's).
      seed: seeds z during training.
    """

    monitor = None  # A GAN's losses do not pick the best epoch: no early stopping, keep the last weights.

    def __init__(self, steps, num_pitches, latent_dim=64, generator_units=256, critic_units=128, num_heads=4,
                 n_critic=5, clip_value=0.01, gp=0.0, critic_learning_rate=2e-4, seed=None, **kwargs):
        super().__init__(loss_names=("loss", "critic_loss", "generator_loss", "gradient_penalty"), **kwargs)
        self.steps, self.num_pitches, self.latent_dim = int(steps), int(num_pitches), int(latent_dim)
        self.generator_units, self.critic_units, self.num_heads = int(generator_units), int(critic_units), int(num_heads)
        self.n_critic, self.clip_value, self.gp = int(n_critic), float(clip_value), float(gp)
        self.critic_learning_rate, self.seed = float(critic_learning_rate), seed
        self.generator = SequenceGenerator(self.steps, self.num_pitches, self.generator_units, self.num_heads,
                                           name="generator")
        self.critic = SequenceCritic(self.critic_units, self.num_heads, name="critic")
        self.seed_generator = keras.random.SeedGenerator(seed)

    @property
    def latent_shape(self):
        return (self.latent_dim,)

    @property
    def example_shape(self):
        return (self.steps, self.num_pitches)

    def call_input_shape(self, rep):
        """The generator's input: z [None, latent_dim]."""
        return (None, self.latent_dim)

    def build(self, input_shape):
        """input_shape: z's [batch, latent] (what ``call`` takes)."""
        self.critic(self.generator(ops.zeros((1, self.latent_dim))))

    def compile(self, optimizer="rmsprop", **kwargs):
        """The optimizer trains the generator; the critic gets the same kind at its own rate."""
        super().compile(optimizer=optimizer, **kwargs)
        config = {**self.optimizer.get_config(), "learning_rate": self.critic_learning_rate,
                  "name": "critic_optimizer"}
        self.critic_optimizer = type(self.optimizer).from_config(config)
        if self.built:  # each optimizer holds the slots of its own network only
            self.optimizer.build(self.generator.trainable_variables)
            self.critic_optimizer.build(self.critic.trainable_variables)

    def compile_from_config(self, config):
        """Recompiles a model loaded from a .keras file (Keras skips a custom ``compile`` otherwise)."""
        optimizer = config.get("optimizer")
        self.compile(optimizer=keras.optimizers.deserialize(optimizer) if optimizer else "rmsprop")

    def call(self, z, training=False):
        """z [batch, latent] -> note probabilities [batch, steps, pitches]."""
        return self.generator(z, training=training)

    # -- training -------------------------------------------------------------------------------
    def _noise(self, batch):
        return keras.random.normal((batch, self.latent_dim), seed=self.seed_generator)

    def _penalty(self, real, fake):
        alpha = keras.random.uniform((ops.shape(real)[0], 1, 1), seed=self.seed_generator)
        mixed = real + alpha * (fake - real)
        with tf.GradientTape() as tape:
            tape.watch(mixed)
            score = self.critic(mixed, training=True)
        grads = tape.gradient(score, mixed)
        norm = ops.sqrt(ops.sum(ops.square(grads), axis=(1, 2)) + 1e-12)
        return ops.mean(ops.square(norm - 1.0))

    def train_step(self, data):
        """Two optimizers: ``n_critic`` critic steps, then one generator step (the one family that
        writes its own step; its metrics go through ``update_metrics`` like every other's)."""
        real = features(data)
        batch = ops.shape(real)[0]
        critic_weights = self.critic.trainable_weights

        def critic_step(i, *_):
            with tf.GradientTape() as tape:
                fake = self.generator(self._noise(batch), training=True)
                scores = self.critic(ops.concatenate([real, fake], axis=0), training=True)
                distance = ops.mean(scores[:batch]) - ops.mean(scores[batch:])
                penalty = self._penalty(real, fake) if self.gp > 0 else ops.zeros(())
                critic_loss = -distance + self.gp * penalty
            self.critic_optimizer.apply(tape.gradient(critic_loss, critic_weights), critic_weights)
            if self.gp <= 0:
                for w in critic_weights:
                    w.assign(ops.clip(w, -self.clip_value, self.clip_value))
            return i + 1, distance, critic_loss, penalty

        # A graph loop rather than a Python one: its body is traced once, whatever n_critic is.
        zero = tf.zeros(())
        _, distance, critic_loss, penalty = tf.while_loop(
            lambda i, *_: i < self.n_critic, critic_step, [tf.constant(0), zero, zero, zero])
        generator_weights = self.generator.trainable_weights
        with tf.GradientTape() as tape:
            generator_loss = -ops.mean(self.critic(self.generator(self._noise(batch), training=True), training=True))
        self.optimizer.apply(tape.gradient(generator_loss, generator_weights), generator_weights)
        return self.update_metrics(real, {"loss": distance, "critic_loss": critic_loss,
                                          "generator_loss": generator_loss, "gradient_penalty": penalty})

    def loss_terms(self, real, training):
        """Validation terms (batch scalars) with a fixed z: the Wasserstein estimate ("loss"), the
        critic's and the generator's losses, and no penalty."""
        batch = ops.shape(real)[0]
        z = tf.random.stateless_normal(tf.stack([batch, self.latent_dim]), seed=[self.seed or 0, 1])
        fake_score = ops.mean(self.critic(self.generator(z)))
        distance = ops.mean(self.critic(real)) - fake_score
        return Losses({"loss": distance, "critic_loss": -distance, "generator_loss": -fake_score,
                       "gradient_penalty": ops.zeros(())})

    # -- generation -----------------------------------------------------------------------------
    def generate(self, z, noise=None, temperature=1.0):
        """Like a VAE decoder's ``generate``: z [batch, latent] -> (probs, roll), each
        [batch, steps, pitches]. ``noise`` uniform [batch, steps, pitches] draws Bernoulli cells
        at ``temperature``; None is greedy (p > 0.5)."""
        probs = self.generator(ops.convert_to_tensor(z, "float32"))
        if noise is None:
            return probs, ops.cast(probs > 0.5, "float32")
        p = ops.sigmoid(probability_logits(probs) / ops.maximum(ops.convert_to_tensor(temperature, "float32"), 1e-4))
        return probs, ops.cast(p > noise, "float32")

    def get_config(self):
        return {**super().get_config(), "steps": self.steps, "num_pitches": self.num_pitches,
                "latent_dim": self.latent_dim, "generator_units": self.generator_units,
                "critic_units": self.critic_units, "num_heads": self.num_heads, "n_critic": self.n_critic,
                "clip_value": self.clip_value, "gp": self.gp, "critic_learning_rate": self.critic_learning_rate,
                "seed": self.seed}
