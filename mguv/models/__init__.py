"""Models, one module per family, on one contract (``base.MusicModel``: what a model offers, and
the one train step driven by a dict of named per-example loss terms).

VAEs share ``vae.VAE`` (the ELBO) and differ in their encoder/decoder parts: ``lstm_vae``,
``hier_vae`` (a conductor wrapping an LSTM decoder), ``conv_vae`` and ``conv_vae_paper`` (audio).
The other families of the Bach study are models of their own on the same base: ``lstm`` (next-step
LSTM; ``NextStepModel`` is shared with ``lstm_attention``), ``vq_vae`` (+ ``code_prior``, its
second stage) and ``wgan``. ``losses`` holds the likelihoods they share, ``metrics`` the streaming
metrics, ``sampling`` the in-graph samplers, ``saving`` loads a saved model.
"""
