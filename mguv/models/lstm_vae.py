"""LSTM parts for piano-roll VAEs: a bidirectional encoder and an autoregressive decoder.

This is the Nottingham LSTM-VAE: a biLSTM reads the segment, its final states give the posterior;
the decoder LSTM starts from states computed from z and also sees z at every step.
"""

import math

import keras
from keras import ops

from mguv.models.losses import bernoulli_nll
from mguv.models.metrics import roll_scores
from mguv.models.nade import output_layer


@keras.saving.register_keras_serializable(package="mguv")
class BiLstmEncoder(keras.layers.Layer):
    """x [batch, steps, pitches] -> concatenated final forward/backward hidden states [batch, 2*units].

    Args:
      units: LSTM units per direction.
      num_layers: stacked bidirectional layers.
      dropout: input dropout of each LSTM layer.
    """

    def __init__(self, units=256, num_layers=1, dropout=0.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.num_layers, self.dropout = units, num_layers, dropout
        self.rnns = [
            keras.layers.Bidirectional(
                keras.layers.LSTM(units, dropout=dropout, return_sequences=i < num_layers - 1,
                                  return_state=i == num_layers - 1),
                name=f"bilstm_{i}")
            for i in range(num_layers)
        ]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 2 * self.units)

    def build(self, input_shape):
        shape = tuple(input_shape)
        for rnn in self.rnns:
            rnn.build(shape)
            shape = shape[:2] + (2 * self.units,)

    def call(self, x, training=False):
        h = x
        for rnn in self.rnns[:-1]:
            h = rnn(h, training=training)
        _, forward_h, _, backward_h, _ = self.rnns[-1](h, training=training)
        return ops.concatenate([forward_h, backward_h], axis=-1)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "num_layers": self.num_layers,
                "dropout": self.dropout}


@keras.saving.register_keras_serializable(package="mguv")
class LstmDecoder(keras.layers.Layer):
    """Autoregressive multi-layer LSTM decoder over piano-roll steps, conditioned on z.

    z sets every layer's initial (h, c) through a tanh Dense, and z is concatenated to the input
    at every step. The input at step t is the roll at step t-1 (zeros at t=0).

    Training uses teacher forcing: ``call(z, x)`` -> logits [batch, steps, pitches]. With
    ``input_dropout`` > 0, whole previous-step inputs are zeroed at random during training (word
    dropout), which forces the decoder to rely on z; at 1 the decoder is inputless (Bowman et al.
    2016): it never sees a previous step, in training or when it runs free, so every step is read
    from z (through the state z sets) and free-running decoding is teacher-forced decoding.

    With ``scheduled_sampling`` > 0, training runs the decoder twice (parallel scheduled sampling,
    Duckworth et al. 2019): the first, gradient-free pass predicts every step greedily, and each
    previous-step input of the second pass is that prediction instead of the data with this
    probability, so the decoder learns to recover from its own mistakes as it must when it runs
    free.

    Generation runs free: ``generate(z, noise, temperature)`` feeds its own samples back.

    Args:
      steps: segment length in steps.
      num_pitches: pitch columns.
      units: LSTM units per layer.
      num_layers: stacked LSTM layers.
      dropout: input dropout of each LSTM layer.
      input_dropout: probability of zeroing a teacher-forced previous step (0 = none, 1 =
        inputless: no previous step is ever seen).
      pos_weight: weight of active cells in the BCE (>1 counters the ~95% of silent cells).
      scheduled_sampling: probability of feeding the decoder's own greedy prediction instead of
        the data as a previous step, in training (0 = pure teacher forcing).
      output: "bernoulli" (the notes of a step are independent given the state) or "nade" (a
        ``mguv.models.nade.Nade`` gives their joint distribution: each note is drawn knowing the
        ones below it). Either way the outputs are per-channel logits and the NLL is exact: with
        "nade" they are the conditionals given the channels below, teacher-forced inside the step.
        "melody": one class per step, rest, a pitch held or a pitch struck (monophonic,
        ``mguv.models.melody``); the outputs are class logits [batch, steps, classes].
      nade_units: hidden units of the NADE.
      pitch_groups: blocks of channels in a step (2 for a roll with onsets: what sounds, then what
        starts); the training log scores the frames and the onsets apart.
    """

    extra_loss_terms = ("nll",)

    def __init__(self, steps, num_pitches, units=256, num_layers=2, dropout=0.0, input_dropout=0.0,
                 pos_weight=1.0, scheduled_sampling=0.0, output="bernoulli", nade_units=128, pitch_groups=1,
                 **kwargs):
        super().__init__(**kwargs)
        self.steps, self.num_pitches = int(steps), int(num_pitches)
        self.units, self.num_layers = units, num_layers
        self.dropout, self.input_dropout, self.pos_weight = dropout, input_dropout, pos_weight
        self.scheduled_sampling = float(scheduled_sampling)
        self.output_kind, self.nade_units = output, int(nade_units)
        self.pitch_groups = int(pitch_groups)
        self.init_state = keras.layers.Dense(2 * units * num_layers, activation="tanh", name="init_state")
        self.rnns = [keras.layers.LSTM(units, dropout=dropout, return_sequences=True, name=f"lstm_{i}")
                     for i in range(num_layers)]
        self.out = output_layer(output, num_pitches, self.nade_units, self.pitch_groups)
        self.seed_generator = keras.random.SeedGenerator()

    def build(self, z_shape, x_shape):
        batch = z_shape[0]
        self.init_state.build(z_shape)
        shape = (batch, self.steps, self.num_pitches + z_shape[-1])
        for rnn in self.rnns:
            rnn.build(shape)
            shape = (batch, self.steps, self.units)
        self.out.build(shape)

    def _initial_states(self, z):
        flat = self.init_state(z)
        parts = ops.split(flat, 2 * self.num_layers, axis=-1)
        return [[parts[2 * i], parts[2 * i + 1]] for i in range(self.num_layers)]

    def call(self, z, x, training=False, first=None):
        """z [batch, latent], x [batch, steps, pitches] -> logits [batch, steps, pitches]; ``first``
        [batch, pitches] is the input of step 0 (zeros when None)."""
        if self.inputless:  # the previous-step inputs are all zeros: x's shape, nothing to shift
            return self._logits(z, ops.zeros_like(x), training, x)
        prev = self._shift(x, first)
        if training and self.scheduled_sampling > 0:
            guess = self.greedy(ops.stop_gradient(self._logits(z, prev, training, x)))
            use = keras.random.uniform(ops.shape(prev)[:2], seed=self.seed_generator) < self.scheduled_sampling
            prev = ops.where(use[:, :, None], self._shift(guess, first), prev)
        if training and self.input_dropout > 0:
            keep = keras.random.uniform(ops.shape(prev)[:2], seed=self.seed_generator) >= self.input_dropout
            prev = prev * ops.cast(keep, prev.dtype)[:, :, None]
        return self._logits(z, prev, training, x)

    @property
    def inputless(self):
        """True when the decoder never sees a previous step (``input_dropout`` 1)."""
        return self.input_dropout >= 1.0

    @staticmethod
    def _shift(x, first=None):
        """The previous-step inputs: x [batch, steps, pitches] moved one step later, with ``first``
        [batch, pitches] (zeros when None) in front."""
        if first is None:
            return ops.pad(x[:, :-1], [[0, 0], [1, 0], [0, 0]])
        return ops.concatenate([ops.expand_dims(ops.cast(first, x.dtype), 1), x[:, :-1]], axis=1)

    def _logits(self, z, prev, training, x=None):
        """Per-channel logits [batch, steps, pitches]; a NADE's are conditioned on x inside a step."""
        z_seq = ops.repeat(ops.expand_dims(z, 1), ops.shape(prev)[1], axis=1)
        h = ops.concatenate([prev, z_seq], axis=-1)
        for rnn, state in zip(self.rnns, self._initial_states(z)):
            h = rnn(h, initial_state=state, training=training)
        return self.out(h, x) if self.output_kind == "nade" else self.out(h)

    def greedy(self, logits):
        """Teacher-forced outputs [batch, steps, ...] -> the most likely roll [batch, steps, pitches]
        (for a NADE, each channel's mode given the true channels below it)."""
        if self.output_kind == "melody":
            return self.out.greedy(logits)
        return ops.cast(logits > 0.0, logits.dtype)

    def _draw(self, h, noise, temperature, offset):
        """One step from the top LSTM's output h [batch, units] -> (probs, drawn) [batch, pitches]."""
        if self.output_kind == "melody":
            return self.out.sample(h, None if noise is None else noise[:, 0], temperature)
        if self.output_kind == "nade":
            return self.out.sample(h, noise, temperature, offset)
        logits = self.out(h)
        p = ops.sigmoid((logits - offset) / temperature)
        threshold = 0.5 if noise is None else noise
        return ops.sigmoid(logits), ops.cast(p > threshold, h.dtype)

    def generate(self, z, noise=None, temperature=1.0, first=None):
        """Free-running decoding inside the graph.

        Args:
          z: [batch, latent].
          noise: uniform [0, 1) draws [batch, steps, pitches] for Bernoulli sampling; None decodes
            greedily (a cell is on when its probability > 0.5).
          temperature: scalar; logits are divided by it before the sigmoid (-> 0 is greedy).
          first: the input of step 0 [batch, pitches] (zeros when None), as in ``call``.

        Sampling draws from the calibrated probabilities: the weighted BCE trains the logits to
        log(pos_weight) + the data's log-odds, so that offset is taken off before sampling (without
        it, prior samples come out about pos_weight times too dense). Greedy decoding keeps the
        trained threshold, which favours recall as the weighted loss intends.

        Returns:
          (probs, roll): the per-step note probabilities [batch, steps, pitches] given the fed-back
          history, and the roll that was fed back [batch, steps, pitches] in {0, 1}.
        """
        z = ops.convert_to_tensor(z, "float32")
        states = self._initial_states(z)
        prev = (ops.zeros((ops.shape(z)[0], self.num_pitches), z.dtype) if first is None or self.inputless
                else ops.cast(first, z.dtype))
        temperature = ops.maximum(ops.convert_to_tensor(temperature, "float32"), 1e-4)
        offset = 0.0 if noise is None else math.log(self.pos_weight)
        probs, roll = [], []
        for t in range(self.steps):  # Unrolled: steps is small and static; XLA-friendly.
            h = ops.concatenate([prev, z], axis=-1)
            new_states = []
            for rnn, state in zip(self.rnns, states):
                h, state = rnn.cell(h, state, training=False)
                new_states.append(state)
            states = new_states
            p, prev = self._draw(h, None if noise is None else noise[:, t], temperature, offset)
            probs.append(p)
            roll.append(prev)
            if self.inputless:
                prev = ops.zeros_like(prev)
        return ops.stack(probs, axis=1), ops.stack(roll, axis=1)

    def reconstruction_loss(self, x, logits):
        """Per-example weighted BCE ("recon") and plain Bernoulli NLL ("nll"), summed over cells, nats;
        with the melody output both are the class cross-entropy summed over steps (no pos_weight)."""
        if self.output_kind == "melody":
            nll = self.out.nll(x, logits)
            return {"recon": nll, "nll": nll}
        return {"recon": bernoulli_nll(x, logits, self.pos_weight), "nll": bernoulli_nll(x, logits)}

    def prediction(self, logits):
        """Outputs -> the probability of every cell [batch, steps, pitches] (marginals for "melody")."""
        return self.out.probabilities(logits) if self.output_kind == "melody" else ops.sigmoid(logits)

    def output_metrics(self):
        return [*roll_scores(self.pitch_groups), keras.metrics.BinaryAccuracy(name="accuracy", threshold=0.5)]

    def get_config(self):
        return {**super().get_config(), "steps": self.steps, "num_pitches": self.num_pitches,
                "units": self.units, "num_layers": self.num_layers, "dropout": self.dropout,
                "input_dropout": self.input_dropout, "pos_weight": self.pos_weight,
                "scheduled_sampling": self.scheduled_sampling, "output": self.output_kind,
                "nade_units": self.nade_units, "pitch_groups": self.pitch_groups}
