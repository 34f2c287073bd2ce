"""Shared command-line plumbing: an argparse parser whose errors are one line and exit status 2."""

import argparse
import os
import sys


class ArgumentParser(argparse.ArgumentParser):
    """argparse, but a bad option prints one ``error:`` line (no usage block) and exits 2."""

    def error(self, message):
        print(f"error: {message} (see --help)", file=sys.stderr)
        raise SystemExit(2)


def quiet_tensorflow():
    """Hides TensorFlow's C++ start-up chatter; must run before TensorFlow is imported."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def log(message):
    """A progress or status line for the user, on stderr (stdout stays for results)."""
    print(message, file=sys.stderr, flush=True)
