"""Builds the Keras model a ``Config`` describes: the one VAE base with the family's parts."""

from mguv.models.conv import ConvDecoder, ConvEncoder, PaperConvDecoder, PaperConvEncoder
from mguv.models.lstm import BiLstmEncoder, LstmDecoder
from mguv.models.vae import VAE


def _parts(config):
    rep, m, t = config.representation, config.model, config.train
    if m.family == "lstm_vae":
        return (BiLstmEncoder(m.encoder_units, m.encoder_layers, m.dropout, name="encoder"),
                LstmDecoder(rep.segment_steps, rep.num_pitches, m.decoder_units, m.decoder_layers,
                            m.dropout, m.input_dropout, t.pos_weight, m.scheduled_sampling, name="decoder"))
    if m.family == "conv_vae":
        return (ConvEncoder(m.channels, m.strides, m.features, name="encoder"),
                ConvDecoder(rep.clip_samples, m.channels, m.strides, m.stft_weight, name="decoder"))
    if m.family == "conv_vae_paper":
        return (PaperConvEncoder(m.encoder_filters, name="encoder"),
                PaperConvDecoder(rep.clip_samples, m.decoder_filters, name="decoder"))
    raise ValueError(f"unknown model family {m.family!r}")


def build_model(config):
    """Returns a built (weights created) but uncompiled model for ``config``."""
    t = config.train
    encoder, decoder = _parts(config)
    model = VAE(encoder, decoder, latent_dim=config.model.latent_dim, beta=t.beta,
                beta_warmup_steps=t.beta_warmup_steps, free_bits=t.free_bits, seed=t.seed,
                name=config.model.family)
    model.build((None,) + config.representation.shape)
    return model


def build_optimizer(train_config):
    """AdamW (or Adam, or SGD) with the config's learning rate, weight decay and gradient clipping."""
    import keras

    t = train_config
    clip = {"clipnorm": t.clipnorm} if t.clipnorm > 0 else {}
    if t.optimizer == "adam":
        return keras.optimizers.Adam(t.learning_rate, **clip)
    if t.optimizer == "sgd":
        return keras.optimizers.SGD(t.learning_rate, **clip)
    return keras.optimizers.AdamW(t.learning_rate, weight_decay=t.weight_decay, **clip)
