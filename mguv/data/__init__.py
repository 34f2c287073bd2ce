"""Data: shared data types (``types``), scores <-> piano-rolls (``roll``), file parsing
(``parse``), corpora (``corpus``, ``nottingham``), the on-disk parse cache (``cache``), notes ->
segments (``segmenting``) and their cache (``segment_cache``), audio files (``audio_files``), the
rendered Bach chorales (``audio_render``), audio clips and their cache (``audio_cache``), splits
(``split``), a config's data split for training (``prepare``), converters per mode (``converters``)
and tf.data pipelines (``pipeline``). The data layer draws no figures (``mguv.reporting`` does)."""
