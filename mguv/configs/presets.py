"""The shipped configs, registered by name (``train.py --config NAME``, ``--list-configs``)."""

import dataclasses

from mguv import representation as representations
from mguv.configs.families import ConvVaeModel, HierVaeModel, LstmVaeModel, PaperConvVaeModel
from mguv.configs.study_families import AttentionLstmModel, NextStepLstmModel, VqVaeModel, WganModel
from mguv.configs.registry import get, register
from mguv.configs.schema import Config, TrainConfig

register(Config(
    name="lstm_vae",
    description="The default symbolic LSTM-VAE: 2-bar segments cut at the bar lines of 4/4 tunes (32 steps at "
                "4 per beat), C3..B5, with onsets (a note struck again stays two notes).",
    representation=representations.PianoRoll(onsets=True, segment_bars=2),
    model=LstmVaeModel(),
    train=TrainConfig(),
))
register(Config(
    name="lstm_vae-paper",
    description="The Nottingham LSTM-VAE paper's recipe as written: biLSTM encoder, autoregressive LSTM "
                "decoder, KL annealing 0->1, weighted BCE, AdamW 3e-4 / 1e-4, clipping, dropout, "
                "LR-on-plateau and early stopping, 85:15 random segment split. The paper leaves the "
                "sizes out: latent 32, 128 encoder units per direction, one 256-unit decoder layer.",
    representation=representations.PianoRoll(),
    model=LstmVaeModel(latent_dim=32, encoder_units=128, decoder_units=256, decoder_layers=1, dropout=0.2),
    train=TrainConfig(epochs=100, batch_size=64, learning_rate=3e-4, weight_decay=1e-4, clipnorm=1.0,
                      beta=1.0, beta_warmup_steps=2000, pos_weight=2.0, split="segment"),
))
register(Config(
    name="lstm_vae-nottingham",
    description="mguv's best Nottingham recipe (benchmarks/nottingham.py): the paper's model with a "
                "64-d z, beta 0.2, decoder word dropout 0.5 (the decoder must read the segment from "
                "z), batch 256 at lr 2e-3 so that a 2-core CPU sees many epochs.",
    representation=representations.PianoRoll(),
    model=LstmVaeModel(latent_dim=64, encoder_units=128, decoder_units=128, decoder_layers=1, dropout=0.1,
                       input_dropout=0.5),
    train=TrainConfig(epochs=200, batch_size=256, learning_rate=2e-3, weight_decay=1e-4, clipnorm=1.0,
                      beta=0.2, beta_warmup_steps=600, pos_weight=2.0, split="segment",
                      early_stopping_patience=8),
))
_NOTTINGHAM = get("lstm_vae-nottingham")
register(dataclasses.replace(
    _NOTTINGHAM,
    name="lstm_vae-nottingham-onsets",
    description="lstm_vae-nottingham's model and recipe on the note-faithful representation: rolls with "
                "onsets, 2-bar segments cut at the bar lines of 4/4 tunes (benchmarks/nottingham.py).",
    representation=dataclasses.replace(_NOTTINGHAM.representation, onsets=True, segment_bars=2),
))
register(dataclasses.replace(
    get("lstm_vae"),
    name="lstm_vae-nade",
    description="The default LSTM-VAE with a NADE output: the notes of a step (what sounds and what starts) "
                "are drawn knowing each other, so chords come out whole.",
    model=LstmVaeModel(output="nade"),
    train=TrainConfig(pos_weight=1.0),
))
register(Config(
    name="lstm_vae-tiny",
    description="A tiny LSTM-VAE for tests and smoke runs (seconds per epoch).",
    representation=representations.PianoRoll(),
    model=LstmVaeModel(latent_dim=8, encoder_units=16, decoder_units=16, decoder_layers=1),
    train=TrainConfig(epochs=1, batch_size=32, learning_rate=1e-3, beta_warmup_steps=10),
))


register(Config(
    name="conv_vae",
    description="Audio: a temporal 1D-ResNet VAE on 30 s, 3 kHz clips, trained on random 3 s crops; "
                "256x downsampling to a latent sequence (352 frames x 16), nearest-neighbour "
                "upsampling, Laplace + log-magnitude multi-resolution STFT reconstruction, then an "
                "LSTM prior over the latent frames for sampling.",
    representation=representations.AudioClip(),
    model=ConvVaeModel(),
    # Crops: a step of 16 x 3 s costs about a fifth of one of 8 x 30 s, and an epoch still covers
    # every clip's length (ten crops per clip), so the same minutes give five times the steps.
    # Give real corpora more with --epochs.
    train=TrainConfig(epochs=8, batch_size=16, learning_rate=1e-3, beta=1.0, beta_warmup_steps=500,
                      crop_seconds=3.0, early_stopping_patience=8),
))
register(Config(
    name="conv_vae-paper",
    description="Audio: the GTZAN-jazz notebook's conv VAE, faithful in shapes: (1, 90001) input, "
                "kernel-1 convolutions, latent 2, Adam 3e-4, BCE on audio mapped to [0, 1].",
    representation=representations.AudioClip(clip_samples=90001),
    model=PaperConvVaeModel(),
    train=TrainConfig(epochs=30, batch_size=8, optimizer="adam", learning_rate=3e-4, weight_decay=0.0,
                      clipnorm=0.0, beta=1.0, beta_warmup_steps=0, pos_weight=1.0,
                      early_stopping_patience=8),
))
register(Config(
    name="conv_vae-tiny",
    description="A tiny audio VAE on 1 s clips for tests and smoke runs.",
    representation=representations.AudioClip(clip_samples=3000),
    model=ConvVaeModel(latent_dim=4, channels=(8, 8), strides=(4, 4), features=8, prior_units=8,
                       prior_layers=1, prior_epochs=1),
    train=TrainConfig(epochs=1, batch_size=4, learning_rate=1e-3, beta_warmup_steps=10, crop_seconds=0.5),
))


# The Bach study's families. They default to its data: 88-key rolls (MIDI 21..108, A0..C8) of the
# Bach chorales, 32 steps at 4 per beat. `--set adaptive_step=true --set steps_per_beat=2` gives
# its adaptive time step instead.
BACH88 = representations.PianoRoll(min_pitch=21, num_pitches=88)
_NEXT_STEP_TRAIN = TrainConfig(optimizer="adam", learning_rate=1e-3, weight_decay=0.0, beta_warmup_steps=0,
                               pos_weight=1.0)
_TINY_TRAIN = TrainConfig(epochs=1, batch_size=32, learning_rate=1e-3, beta_warmup_steps=10)

register(Config(
    name="lstm_vae-bach88",
    description="The LSTM-VAE on the Bach study's 88-key rolls (the VAE baseline of benchmarks/compare.py).",
    representation=BACH88,
    model=LstmVaeModel(),
    train=TrainConfig(learning_rate=1e-3, beta_warmup_steps=400),
))
register(Config(
    name="hier_vae",
    description="MusicVAE's hierarchical decoder (conductor LSTM, 8 subsequences of 4 steps) on the VAE "
                "base; 88-key Bach rolls.",
    representation=BACH88,
    model=HierVaeModel(),
    train=TrainConfig(learning_rate=1e-3, beta_warmup_steps=400),
))
register(Config(
    name="lstm",
    description="Autoregressive LSTM baseline: 2 x 512, dropout 0.5, Adam 1e-3, next-step BCE; top-k "
                "sampling; 88-key Bach rolls.",
    representation=BACH88,
    model=NextStepLstmModel(),
    train=_NEXT_STEP_TRAIN,
))
register(Config(
    name="lstm_attention",
    description="2 LSTM layers, attention over a 16-step window, one head per voice (SATB); 88-key "
                "Bach rolls.",
    representation=BACH88,
    model=AttentionLstmModel(),
    train=_NEXT_STEP_TRAIN,
))
register(Config(
    name="vq_vae",
    description="VQ-VAE over 4-step patterns (EMA codebook of 64, commitment 0.25, dead-code reinit), "
                "then an LSTM prior over the codes; 88-key Bach rolls.",
    representation=BACH88,
    model=VqVaeModel(),
    train=TrainConfig(optimizer="adam", learning_rate=1e-3, weight_decay=0.0, beta_warmup_steps=0),
))
register(Config(
    name="wgan",
    description="WGAN, LSTM + multi-head attention generator and critic; weight clipping 0.01 "
                "(--set gp=10 for WGAN-GP), RMSprop 1e-4 (G) / 2e-4 (D), 5 critic steps; 88-key Bach rolls.",
    representation=BACH88,
    model=WganModel(),
    train=TrainConfig(optimizer="rmsprop", learning_rate=1e-4, weight_decay=0.0, clipnorm=0.0,
                      beta_warmup_steps=0, pos_weight=1.0),
))
# The likelihood benchmark's models (benchmarks/likelihood.py): the binary roll of the polyphonic
# music benchmark (Boulanger-Lewandowski et al. 2012): 88 keys, eighth-note frames, 2-bar (16-step)
# segments; plain likelihood (pos_weight 1). Sizes train in minutes on a 2-core CPU.
LIKELIHOOD88 = representations.PianoRoll(steps_per_beat=2, min_pitch=21, num_pitches=88, segment_steps=16)
_LIKELIHOOD_TRAIN = TrainConfig(epochs=200, batch_size=64, learning_rate=1e-3, beta_warmup_steps=1000,
                                pos_weight=1.0, early_stopping_patience=6)
register(Config(
    name="rnn_nade-88",
    description="RNN-NADE (Boulanger-Lewandowski et al. 2012) as mguv's lstm family with a NADE output: "
                "one 256-unit LSTM, a 128-unit NADE per step; 88 keys, eighth notes, 16 steps.",
    representation=LIKELIHOOD88,
    model=NextStepLstmModel(units=256, num_layers=1, dropout=0.3, top_k=0, output="nade"),
    train=dataclasses.replace(_LIKELIHOOD_TRAIN, optimizer="adam", weight_decay=0.0, beta_warmup_steps=0),
))
register(Config(
    name="lstm_vae-nade-88",
    description="The LSTM-VAE with a NADE output on the likelihood benchmark's 88-key eighth-note rolls "
                "(16 steps): 32-d z, 256-unit encoder and decoder.",
    representation=LIKELIHOOD88,
    model=LstmVaeModel(latent_dim=32, encoder_units=256, decoder_units=256, decoder_layers=1, output="nade"),
    train=_LIKELIHOOD_TRAIN,
))
register(Config(
    name="hier_vae-nade-88",
    description="The hierarchical VAE (a conductor over 2 one-bar subsequences) with a NADE output on the "
                "likelihood benchmark's 88-key eighth-note rolls (16 steps).",
    representation=LIKELIHOOD88,
    model=HierVaeModel(latent_dim=32, encoder_units=256, num_subsequences=2, conductor_units=256,
                       conductor_layers=1, decoder_units=256, decoder_layers=1, output="nade"),
    train=_LIKELIHOOD_TRAIN,
))
register(Config(
    name="hier_vae-tiny",
    description="A tiny hierarchical VAE for tests and smoke runs.",
    representation=representations.PianoRoll(),
    model=HierVaeModel(latent_dim=8, encoder_units=16, conductor_units=16, conductor_layers=1,
                       decoder_units=16, decoder_layers=1),
    train=_TINY_TRAIN,
))
register(Config(
    name="lstm-tiny",
    description="A tiny next-step LSTM for tests and smoke runs.",
    representation=representations.PianoRoll(),
    model=NextStepLstmModel(units=16, num_layers=1),
    train=dataclasses.replace(_TINY_TRAIN, optimizer="adam"),
))
register(Config(
    name="lstm_attention-tiny",
    description="A tiny attention LSTM for tests and smoke runs.",
    representation=representations.PianoRoll(),
    model=AttentionLstmModel(units=16, num_layers=1, num_heads=2, window=8, head_units=16),
    train=dataclasses.replace(_TINY_TRAIN, optimizer="adam"),
))
register(Config(
    name="vq_vae-tiny",
    description="A tiny VQ-VAE and code prior for tests and smoke runs.",
    representation=representations.PianoRoll(),
    model=VqVaeModel(codebook_size=8, code_dim=8, hidden_units=16, prior_units=16, prior_layers=1,
                     prior_epochs=1),
    train=dataclasses.replace(_TINY_TRAIN, optimizer="adam"),
))
register(Config(
    name="wgan-tiny",
    description="A tiny WGAN for tests and smoke runs.",
    representation=representations.PianoRoll(),
    model=WganModel(latent_dim=8, generator_units=16, critic_units=8, num_heads=2, n_critic=2),
    train=dataclasses.replace(_TINY_TRAIN, optimizer="rmsprop", learning_rate=1e-4, clipnorm=0.0),
))
