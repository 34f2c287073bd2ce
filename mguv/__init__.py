"""mguv: variational autoencoders for music, on Keras 3 and TensorFlow.

The package is layered so that each stage can be used without the next:

- ``mguv.representation``: what a tensor means (steps per beat, pitch range, tempo).
- ``mguv.data``: MIDI/MusicXML <-> piano-rolls, corpora, on-disk cache, tf.data.
- ``mguv.models``: one VAE base (the ELBO) and encoder/decoder parts per family, and the other
  families of the Bach study (next-step LSTMs, a VQ-VAE with a code prior, a WGAN).
- ``mguv.configs``: named, frozen configurations.
- ``mguv.training``: ``fit()`` with callbacks, run directories.
- ``mguv.export`` / ``mguv.generate`` / ``mguv.evaluate``: SavedModels, samples, metrics.

Importing ``mguv`` itself is cheap: TensorFlow is only imported by the modules that need it.
"""

__version__ = "0.1.0"
