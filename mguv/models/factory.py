"""Builds the Keras model a ``Config`` describes."""

from mguv.models.lstm import BiLstmEncoder, LstmDecoder
from mguv.models.vae import VAE


def build_model(config):
    """Returns a built (weights created) but uncompiled model for ``config``."""
    rep, m, t = config.representation, config.model, config.train
    if m.family != "lstm_vae":
        raise ValueError(f"unknown model family {m.family!r}")
    model = VAE(
        encoder=BiLstmEncoder(m.encoder_units, m.encoder_layers, m.dropout, name="encoder"),
        decoder=LstmDecoder(rep.segment_steps, rep.num_pitches, m.decoder_units, m.decoder_layers,
                            m.dropout, m.input_dropout, t.pos_weight, name="decoder"),
        latent_dim=m.latent_dim,
        beta=t.beta,
        beta_warmup_steps=t.beta_warmup_steps,
        free_bits=t.free_bits,
        seed=t.seed,
        name=m.family,
    )
    model.build((None,) + rep.shape)
    return model
