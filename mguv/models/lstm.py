"""Autoregressive next-step models over piano-roll steps: the Bach study's LSTM baselines.

``NextStepModel`` is what they share: a ``MusicModel`` (``mguv.models.base``) whose loss is the
negative log-likelihood of each step given the steps before it (teacher forcing, the input at step t is the roll at step t-1, zeros at t=0), and a ``sample``
loop that feeds its own draws back (temperature and top-k: see ``mguv.models.sampling``).
``NextStepLstm`` (family ``lstm``) is here; ``AttentionLstm`` (``lstm_attention``) has its own
module.

A subclass provides:
  teacher_outputs(x, training) -> outputs that predict every step of x [batch, steps, pitches]
  nll(x, outputs) -> per-example negative log-likelihood [batch] in nats
  prediction(outputs) -> note probabilities [batch, steps, pitches]
  initial_state(batch) -> the generation state (any nest of tensors and Python lists)
  step(prev, state, temperature, seed) -> (probs [batch, pitches], roll [batch, pitches], state)
"""

import keras
import tensorflow as tf
from keras import ops

from mguv.models.base import Losses, MusicModel
from mguv.models.losses import bernoulli_nll
from mguv.models.metrics import roll_scores
from mguv.models.nade import output_layer
from mguv.models.sampling import bernoulli_step, step_seed


def shift_right(x):
    """The teacher-forced inputs of x [batch, steps, pitches]: x moved one step later, zeros first."""
    return ops.pad(x[:, :-1], [[0, 0], [1, 0], [0, 0]])


class NextStepModel(MusicModel):
    """Shared training and sampling of the next-step models (see the module docstring).

    Metrics: ``loss`` and ``nll`` (nats per segment; they are the same number), and note
    precision/recall/F1 of the teacher-forced next-step predictions.

    Args:
      steps: segment length in steps (the length ``sample`` generates).
      num_pitches: pitch columns.
      top_k: sampling restriction (0 = none); its meaning is the subclass's.
      seed: seeds dropout; sampling takes explicit seeds.
      pitch_groups: blocks of channels in a step (2 for a roll with onsets: what sounds, then what
        starts); the training log scores the frames and the onsets apart.
    """

    reconstruction_titles = ("original", "teacher-forced next-step p", "continuation of the first half")
    exact_likelihood = True

    def __init__(self, steps, num_pitches, top_k=0, seed=None, pitch_groups=1, **kwargs):
        super().__init__(loss_names=("loss", "nll"), output_metrics=roll_scores(pitch_groups), **kwargs)
        self.pitch_groups = int(pitch_groups)
        self.steps, self.num_pitches = int(steps), int(num_pitches)
        self.top_k, self.seed = int(top_k), seed

    def build(self, input_shape):
        """input_shape: [batch, steps, pitches]. One teacher-forced pass creates every weight."""
        self.teacher_outputs(ops.zeros((1,) + tuple(input_shape[1:])))

    def call(self, x, training=False):
        return self.teacher_outputs(x, training=training)

    # -- training -------------------------------------------------------------------------------
    def loss_terms(self, x, training):
        """The exact negative log-likelihood of each segment [batch] in nats ("loss" and "nll")."""
        outputs = self(x, training=training)
        nll = self.nll(x, outputs)
        return Losses({"loss": nll, "nll": nll}, self.prediction(outputs))

    # -- generation -----------------------------------------------------------------------------
    def sample(self, num, temperature=1.0, seed=(0, 0), prime=None, prime_steps=0):
        """Free-running generation inside the graph.

        Args:
          num: number of samples (an int or an int32 scalar tensor).
          temperature: scalar; 0 is greedy (see ``mguv.models.sampling`` for why that loops).
          seed: int32 [2]; the same seed gives the same samples.
          prime: optional rolls [num, steps, pitches] whose first ``prime_steps`` steps are fed
            instead of the model's own draws (a continuation).

        Returns:
          (probs, roll): the predicted note probabilities of every step given the fed-back
          history, float32 [num, steps, pitches], and the roll fed back, in {0, 1}.
        """
        seed = tf.convert_to_tensor(seed, tf.int32)
        temperature = tf.convert_to_tensor(temperature, tf.float32)
        state = self.initial_state(num)
        prev = tf.zeros(tf.stack([num, self.num_pitches]), tf.float32)
        probs, roll = [], []
        for t in range(self.steps):  # unrolled: steps is small and static
            p, drawn, state = self.step(prev, state, temperature, step_seed(seed, t))
            if t < prime_steps:
                drawn = tf.cast(prime[:, t], tf.float32)
            probs.append(p)
            roll.append(drawn)
            prev = drawn
        return tf.stack(probs, axis=1), tf.stack(roll, axis=1)

    def reconstructions(self, x, seed=0):
        """For the run's figure: (teacher-forced next-step probabilities, a continuation at
        temperature 1 of each segment's first half), both [n, steps, pitches]."""
        x = tf.convert_to_tensor(x, tf.float32)
        teacher = self.prediction(self(x, training=False))
        _, continued = self.sample(tf.shape(x)[0], 1.0, [seed, 1], prime=x, prime_steps=self.steps // 2)
        return teacher, continued

    def get_config(self):
        return {**super().get_config(), "steps": self.steps, "num_pitches": self.num_pitches,
                "top_k": self.top_k, "seed": self.seed, "pitch_groups": self.pitch_groups}


@keras.saving.register_keras_serializable(package="mguv")
class NextStepLstm(NextStepModel):
    """The autoregressive LSTM baseline (family ``lstm``): stacked LSTMs over the previous steps,
    then independent note logits (a Dense layer) or a NADE over the notes of the step (RNN-NADE,
    Boulanger-Lewandowski et al. 2012); the loss is the exact negative log-likelihood either way.

    Sampling draws every note of a step at the temperature; with ``top_k`` > 0 (Bernoulli output
    only) only the k most probable pitches of a step may sound.

    Args:
      units: LSTM units per layer (512 in the study).
      num_layers: stacked LSTMs (2).
      dropout: dropout on each LSTM's outputs (0.5).
      pitch_groups: blocks of pitch channels in a step (2 for a roll with onsets), for ``top_k``
        and the training log's scores.
      output: "bernoulli" or "nade" (see ``mguv.models.lstm_vae.LstmDecoder``).
      nade_units: hidden units of the NADE.
      (steps, num_pitches, top_k, seed: see ``NextStepModel``; num_pitches counts every channel.)
    """

    def __init__(self, steps, num_pitches, units=512, num_layers=2, dropout=0.5, top_k=0, seed=None,
                 pitch_groups=1, output="bernoulli", nade_units=128, **kwargs):
        super().__init__(steps, num_pitches, top_k=top_k, seed=seed, pitch_groups=pitch_groups, **kwargs)
        self.units, self.num_layers, self.dropout = int(units), int(num_layers), float(dropout)
        if output == "melody":
            raise ValueError("the melody output is for VAE decoders; choose bernoulli or nade")
        if output == "nade" and self.top_k:
            raise ValueError(f"top_k {self.top_k} needs the bernoulli output, not the nade")
        self.output_kind, self.nade_units = output, int(nade_units)
        self.rnns = [keras.layers.LSTM(self.units, return_sequences=True, name=f"lstm_{i}")
                     for i in range(self.num_layers)]
        self.drop = keras.layers.Dropout(self.dropout, seed=seed)
        self.out = output_layer(output, self.num_pitches, self.nade_units)

    def teacher_outputs(self, x, training=False):
        """x [batch, steps, pitches] -> next-step logits [batch, steps, pitches] (a NADE's are the
        conditionals of each channel given the channels below it in x)."""
        h = shift_right(x)
        for rnn in self.rnns:
            h = self.drop(rnn(h, training=training), training=training)
        return self.out(h, x) if self.output_kind == "nade" else self.out(h)

    def nll(self, x, logits):
        return bernoulli_nll(x, logits)

    def prediction(self, logits):
        return ops.sigmoid(logits)

    def initial_state(self, batch):
        zeros = tf.zeros(tf.stack([batch, self.units]), tf.float32)
        return [[zeros, zeros] for _ in self.rnns]

    def step(self, prev, state, temperature, seed):
        h, new_state = prev, []
        for rnn, s in zip(self.rnns, state):
            h, s = rnn.cell(h, s, training=False)
            new_state.append(s)
        if self.output_kind == "nade":
            noise = tf.random.stateless_uniform(tf.stack([tf.shape(h)[0], self.num_pitches]), seed)
            probs, drawn = self.out.sample(h, noise, temperature)
            return probs, drawn, new_state
        logits = self.out(h)
        return ops.sigmoid(logits), bernoulli_step(logits, temperature, seed, self.top_k, self.pitch_groups), new_state

    def get_config(self):
        return {**super().get_config(), "units": self.units, "num_layers": self.num_layers,
                "dropout": self.dropout, "output": self.output_kind,
                "nade_units": self.nade_units}
