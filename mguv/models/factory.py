"""Builds the Keras model a ``Config`` describes: the one VAE base with the family's parts, or
(for the families that are not VAEs: lstm, lstm_attention, vq_vae, wgan) the family's own model."""

from mguv.errors import UsageError
from mguv.models.lstm import NextStepLstm
from mguv.models.lstm_attention import AttentionLstm
from mguv.models.conv_vae import ConvDecoder, ConvEncoder
from mguv.models.conv_vae_paper import PaperConvDecoder, PaperConvEncoder
from mguv.models.hier_vae import HierarchicalDecoder
from mguv.models.lstm_vae import BiLstmEncoder, LstmDecoder
from mguv.models.vae import VAE
from mguv.models.vq_vae import VQVAE
from mguv.models.wgan import WGAN


def _parts(config):
    rep, m, t = config.representation, config.model, config.train
    if m.family == "lstm_vae":
        return (BiLstmEncoder(m.encoder_units, m.encoder_layers, m.dropout, name="encoder"),
                LstmDecoder(rep.segment_steps, rep.num_pitches, m.decoder_units, m.decoder_layers,
                            m.dropout, m.input_dropout, t.pos_weight, m.scheduled_sampling, name="decoder"))
    if m.family == "hier_vae":
        if rep.segment_steps % m.num_subsequences:
            raise UsageError(f"num_subsequences {m.num_subsequences} must divide segment_steps {rep.segment_steps}")
        core = LstmDecoder(rep.segment_steps // m.num_subsequences, rep.num_pitches, units=m.decoder_units,
                           num_layers=m.decoder_layers, dropout=m.dropout, input_dropout=m.input_dropout,
                           pos_weight=t.pos_weight, name="core")
        return (BiLstmEncoder(m.encoder_units, m.encoder_layers, m.dropout, name="encoder"),
                HierarchicalDecoder(core, m.num_subsequences, m.conductor_units, m.conductor_layers,
                                    name="decoder"))
    if m.family == "conv_vae":
        return (ConvEncoder(m.channels, m.strides, m.features, name="encoder"),
                ConvDecoder(rep.clip_samples, m.channels, m.strides, m.stft_weight, name="decoder"))
    if m.family == "conv_vae_paper":
        return (PaperConvEncoder(m.encoder_filters, name="encoder"),
                PaperConvDecoder(rep.clip_samples, m.decoder_filters, name="decoder"))
    raise ValueError(f"unknown model family {m.family!r}")


def _other_model(config):
    """The model of a family that is not a VAE, or None for a VAE family."""
    rep, m, t = config.representation, config.model, config.train
    if m.family not in ("lstm", "lstm_attention", "vq_vae", "wgan"):
        return None
    steps, pitches = rep.segment_steps, rep.num_pitches
    if m.family == "lstm":
        return NextStepLstm(steps, pitches, m.units, m.num_layers, m.dropout, m.top_k, seed=t.seed, name="lstm")
    if m.family == "lstm_attention":
        return AttentionLstm(steps, pitches, m.units, m.num_layers, m.num_heads, m.window, m.num_voices,
                             m.head_units, m.dropout, m.top_k, seed=t.seed, name="lstm_attention")
    if m.family == "vq_vae":
        if steps % m.pattern_steps:
            raise UsageError(f"pattern_steps {m.pattern_steps} must divide segment_steps {steps}")
        return VQVAE(steps, pitches, m.pattern_steps, m.codebook_size, m.code_dim, m.hidden_units, m.decay,
                     m.commitment, m.dead_code_threshold, t.pos_weight, m.prior_units, m.prior_layers,
                     m.prior_dropout, m.top_k, seed=t.seed, name="vq_vae")
    if m.family == "wgan":
        return WGAN(steps, pitches, m.latent_dim, m.generator_units, m.critic_units, m.num_heads, m.n_critic,
                    m.clip_value, m.gp, m.critic_learning_rate, seed=t.seed, name="wgan")


def build_model(config):
    """Returns a built (weights created) but uncompiled model for ``config``."""
    t = config.train
    model = _other_model(config)
    if model is not None:  # built on what its call() takes: z for a GAN, else the data
        model.build((None,) + tuple(getattr(model, "latent_shape", config.representation.shape)))
        return model
    encoder, decoder = _parts(config)
    model = VAE(encoder, decoder, latent_dim=config.model.latent_dim, beta=t.beta,
                beta_warmup_steps=t.beta_warmup_steps, free_bits=t.free_bits, seed=t.seed,
                name=config.model.family)
    model.build((None,) + config.representation.shape)
    return model


def build_optimizer(train_config):
    """AdamW (or Adam, SGD, RMSprop) with the config's learning rate, weight decay and gradient clipping."""
    import keras

    t = train_config
    clip = {"clipnorm": t.clipnorm} if t.clipnorm > 0 else {}
    if t.optimizer == "adam":
        return keras.optimizers.Adam(t.learning_rate, **clip)
    if t.optimizer == "sgd":
        return keras.optimizers.SGD(t.learning_rate, **clip)
    if t.optimizer == "rmsprop":
        return keras.optimizers.RMSprop(t.learning_rate, **clip)
    return keras.optimizers.AdamW(t.learning_rate, weight_decay=t.weight_decay, **clip)
