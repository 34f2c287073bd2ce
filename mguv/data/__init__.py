"""Data: scores <-> piano-rolls (``roll``), file parsing (``parse``), corpora (``corpus``),
the on-disk parse cache (``cache``), splits (``split``) and tf.data pipelines (``pipeline``)."""
