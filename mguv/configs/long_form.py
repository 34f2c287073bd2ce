"""The 16-bar configs (``benchmarks/long_form.py``): whole tunes of 16 bars of 4/4, a flat LSTM-VAE
against MusicVAE's hierarchical decoder with one conductor embedding per bar.

The representation is the note-faithful one (onsets, segments cut at bar lines) with 16-bar
segments (256 steps at 4 steps per beat) that start every 2 bars, so a 32-bar tune gives 9
overlapping windows; validate on mguv's file split, where no tune is on both sides.

Sizes are chosen to train on a 2-core CPU in well under an hour: a 128-d z, 128-unit biLSTMs in the
encoder and 256-unit LSTMs in the decoder; MusicVAE's 16-bar models are far larger (a 512-d z, a
2048-unit encoder). As in MusicVAE's melody models, a step is one class (rest, a pitch held, a pitch
struck: ``mguv.models.melody``): with independent Bernoulli cells no pitch of a melody's next note
reaches 0.5 and greedy decoding holds or rests. The encoder reads each bar, then the 16 bar
summaries (``HierarchicalEncoder``), so the first bar is 32 steps from z rather than 256.
Training sees each window in a random key (up to 5 semitones either way, never pushing a note out
of range): 450 training tunes are few, and without it a 16-bar model overfits within 10 minutes.
The flat and the hierarchical model share the encoder, the latent, the lower LSTM and the recipe,
so the conductor is the difference. The ``-nade`` variants are for melody and chords (a NADE over
the notes of a step, pitches C2..B5).
"""

import dataclasses

from mguv import representation as representations
from mguv.configs.families import HierVaeModel, LstmVaeModel
from mguv.configs.registry import get, register
from mguv.configs.schema import Config, TrainConfig

BARS = 16
BATCH = 16  # 4x the updates of 64 per epoch at about the same time per epoch on 2 cores
LONG16 = representations.PianoRoll(onsets=True, segment_bars=BARS, hop_steps=2 * 16)
# Melody and chords: the chords of the Nottingham files reach down to C2 (a third of their notes lie
# below the melodies' C3), so the full files get C2..B5, as the chorales do.
FULL16 = dataclasses.replace(LONG16, min_pitch=36, num_pitches=48)
_TRAIN = TrainConfig(epochs=200, batch_size=BATCH, learning_rate=1e-3, weight_decay=1e-4, clipnorm=1.0, beta=0.2,
                     free_bits=128.0, beta_warmup_steps=500, pos_weight=1.0, split="file", early_stopping_patience=8,
                     transpose=5)
_SHARED = dict(latent_dim=128, encoder_units=128, encoder_subsequences=BARS, decoder_units=256, decoder_layers=1,
               dropout=0.1, input_dropout=0.5, output="melody")

register(Config(
    name="lstm_vae-16bar",
    description="A flat LSTM-VAE on 16-bar melodies in 4/4 (256 steps, onsets, cut at bar lines, a window every "
                "2 bars, one class per step): one 256-unit decoder LSTM runs the whole 16 bars from z (the "
                "baseline of the long-form benchmark).",
    representation=LONG16,
    model=LstmVaeModel(**_SHARED),
    train=_TRAIN,
))
register(Config(
    name="hier_vae-16bar",
    description="MusicVAE's hierarchical decoder on 16-bar melodies in 4/4: a conductor LSTM gives one embedding "
                "per bar and each bar is decoded from its embedding alone (same encoder, z and lower LSTM as "
                "lstm_vae-16bar).",
    representation=LONG16,
    model=HierVaeModel(num_subsequences=BARS, conductor_units=256, conductor_layers=1, **_SHARED),
    train=_TRAIN,
))
for _name in ("lstm_vae-16bar", "hier_vae-16bar"):
    _base = get(_name)
    register(dataclasses.replace(
        _base,
        name=f"{_name}-nade",
        description=_base.description.replace("16-bar melodies", "16 bars of melody and chords").replace(
            ", one class per step", "") + " With a NADE output: the notes of a step are drawn knowing each other.",
        representation=FULL16,
        model=dataclasses.replace(_base.model, output="nade", nade_units=64),
    ))
