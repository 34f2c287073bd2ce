"""TFDS CLI entry for the Nottingham dataset; the builder lives in ``mguv.data.nottingham``."""
