"""The configs of the Bach chorales of music21 in four voices: ``make demo``'s and those of the
shipped models (``mguv.pretrained``, ``benchmarks/pretrain.py``).

The representation keeps what a listener hears of a chorale: C2..B5 (MIDI 36..83, where all but
0.2% of the chorales' notes lie; the default C3..B5 drops the bass's lowest notes, 6%), with
onsets (a repeated note stays two notes), cut at the bar lines of the 4/4 chorales. Training
transposes each batch by up to 3 semitones either way: 367 chorales are little data, and a chorale
in another key is still a chorale.
"""

import dataclasses

from mguv import representation as representations
from mguv.configs.families import HierVaeModel, LstmVaeModel
from mguv.configs.registry import register
from mguv.configs.schema import Config, TrainConfig

CHORALE_2BAR = representations.PianoRoll(onsets=True, segment_bars=2, min_pitch=36, num_pitches=48)
# 16 bars in eighth notes (128 steps; the chorales' sixteenths are passing notes, rare): a window
# starts every bar, so a chorale of 20 bars gives 5.
CHORALE_16BAR = representations.PianoRoll(onsets=True, segment_bars=16, hop_steps=8, steps_per_beat=2,
                                          min_pitch=36, num_pitches=48)
_TRAIN = TrainConfig(epochs=1000, batch_size=64, learning_rate=1e-3, weight_decay=1e-4, clipnorm=1.0, beta=0.2,
                     free_bits=16.0, beta_warmup_steps=800, pos_weight=2.0, transpose=3, split="file",
                     early_stopping_patience=30, reduce_lr_patience=8)

register(Config(
    name="lstm_vae-demo",
    description="A small LSTM-VAE that trains in minutes on a laptop CPU (used by `make demo`): 2 bars of "
                "four-voice chorales (C2..B5, onsets, cut at the bar lines of 4/4), as pretrained:bach-2bar sees "
                "them, so the two compare on the same validation chorales.",
    representation=CHORALE_2BAR,
    model=LstmVaeModel(latent_dim=32, encoder_units=128, decoder_units=128, decoder_layers=1),
    train=TrainConfig(epochs=40, batch_size=64, learning_rate=1e-3, beta_warmup_steps=800),
))
register(Config(
    name="lstm_vae-bach-2bar",
    description="pretrained:bach-2bar's recipe: 2 bars of four-voice Bach chorales (C2..B5, onsets), a 128-d z, "
                "128-unit biLSTM encoder, one 256-unit decoder LSTM with word dropout 0.3, beta 0.2; then a "
                "prior over z learned from the training chorales' codes, which samples draw from.",
    representation=CHORALE_2BAR,
    model=LstmVaeModel(latent_dim=128, encoder_units=128, decoder_units=256, decoder_layers=1, dropout=0.1,
                       input_dropout=0.3, prior="lstm"),
    train=_TRAIN,
))
register(Config(
    name="hier_vae-bach-16bar",
    description="pretrained:bach-16bar's recipe: 16 bars of four-voice Bach chorales in eighth notes (C2..B5, "
                "onsets), a conductor embedding per bar, 128-d z.",
    representation=CHORALE_16BAR,
    model=HierVaeModel(latent_dim=128, encoder_units=128, num_subsequences=16, conductor_units=256,
                       conductor_layers=1, decoder_units=256, decoder_layers=1, dropout=0.1, input_dropout=0.3,
                       prior="lstm"),
    train=dataclasses.replace(_TRAIN, free_bits=48.0, transpose=5, batch_size=32),
))
