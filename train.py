#!/usr/bin/env python
"""Train a music VAE: ``python train.py --mode symbolic [--data ...] [--config NAME] [--out RUN]``.

See ``python train.py --help``; the work is done by ``mguv.training``.
"""

from mguv.training.cli import main

if __name__ == "__main__":
    main()
