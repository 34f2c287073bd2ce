"""Training only fits: ``run.train`` fits a config on a corpus into a run folder, ``prior`` a
second stage, with the ``callbacks``; ``distribute`` picks the tf.distribute strategy; ``cli`` is
train.py. Nothing outside this package imports it except the commands that start a run."""
