"""Training: ``run.train`` fits a config on a corpus into a run directory; ``cli`` is train.py."""
