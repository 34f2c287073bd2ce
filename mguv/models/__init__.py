"""Models, one module per family.

VAEs share ``vae.VAE`` (the ELBO) and differ in their encoder/decoder parts: ``lstm`` (lstm_vae),
``hier`` (hier_vae: a conductor wrapping an LSTM decoder), ``conv`` (the audio VAEs).

The other families of the Bach study are models of their own, each with its ``train_step``:
``autoregressive`` (lstm), ``attention_lstm`` (lstm_attention), ``vq`` + ``code_prior`` (vq_vae)
and ``wgan``. The training pipeline, export and generation use what a model offers:
  sample_input = "num" and sample(num, temperature, seed) -> (probs, roll): no continuous latent
      (lstm, lstm_attention, vq_vae); otherwise latent_shape and, for a VAE, decoder.generate(z,
      noise, temperature), for a GAN generate(z, noise, temperature)
  reconstructions(x) -> (teacher-forced, free-running) and reconstruction_titles: the run's figure
  monitor = None: no epoch is picked by validation loss (GANs)
  prior: a second stage fitted after the first (vq_vae; see mguv.training.prior)
"""
