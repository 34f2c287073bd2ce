"""Models: ``vae.VAE`` owns the ELBO; families are encoder/decoder parts (``lstm``)."""
