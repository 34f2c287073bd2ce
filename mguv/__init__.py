"""mguv: variational autoencoders for music, on Keras 3 and TensorFlow.

The package is layered so that each stage can be used without the next (see docs/architecture.md):

- ``mguv.representation``: what a tensor means (steps per beat, pitch range, tempo, sample rate).
- ``mguv.data``: MIDI/MusicXML <-> piano-rolls, audio clips, corpora, on-disk caches, tf.data, the
  split of a config's data (``data.prepare``).
- ``mguv.models``: the contract every model offers and the one train step (``models.base``), one
  VAE base (the ELBO) with encoder/decoder parts per family, and the other families of the Bach
  study (next-step LSTMs, a VQ-VAE with a code prior, a WGAN).
- ``mguv.configs``: named, frozen configurations; each family's dataclass builds its model.
- ``mguv.training``: ``fit()`` with callbacks, and nothing else; it writes a run folder through
  ``mguv.run_dir`` (paths and reports) and ``mguv.reporting`` (figures and sample files).
- ``mguv.export`` / ``mguv.trained_model`` / ``mguv.generate`` / ``mguv.evaluate``: SavedModels,
  the facade over them, its CLI, and metrics.

Importing ``mguv`` itself is cheap: TensorFlow is only imported by the modules that need it.
"""

__version__ = "0.1.0"
