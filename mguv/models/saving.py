"""Loading a saved mguv model (``RUN/model.keras``): every family's classes registered first."""

import keras

from mguv.models import (code_prior, conv_vae, conv_vae_paper, hier_vae, latent_prior, lstm, lstm_attention,
                         lstm_vae, metrics, vae, vq_vae, wgan)

# Each module registers its classes with Keras (package "mguv") when imported.
REGISTERING_MODULES = (code_prior, conv_vae, conv_vae_paper, hier_vae, latent_prior, lstm, lstm_attention,
                       lstm_vae, metrics, vae, vq_vae, wgan)


def load_model(path):
    """The model saved at ``path`` (a ``.keras`` file), compiled as it was saved."""
    return keras.saving.load_model(path)
