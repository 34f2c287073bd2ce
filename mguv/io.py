"""Small file helpers: atomic writes, so an interrupted run never leaves a half-written file."""

import contextlib
import json
import os
import shutil
import tempfile


@contextlib.contextmanager
def atomic_path(path):
    """Yields a temporary path beside ``path``; renames it onto ``path`` only if the block succeeds.

    Works for files and for directories (a SavedModel): an existing target is replaced whole.
    """
    path = os.fspath(path)
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    base = os.path.basename(path)
    tmp = tempfile.mkdtemp(prefix=f".{base}.", dir=parent)
    target = os.path.join(tmp, base)
    try:
        yield target
        if os.path.isdir(target):
            old = None
            if os.path.exists(path):
                old = path + ".old"
                shutil.rmtree(old, ignore_errors=True)
                os.replace(path, old)
            os.replace(target, path)
            if old:
                shutil.rmtree(old, ignore_errors=True)
        elif os.path.exists(target):
            os.replace(target, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def unwritable_parent(path):
    """The folder that keeps ``path`` from being made and written (its nearest existing ancestor,
    when that is not a folder this user may write into), or None when ``path`` can be made."""
    parent = os.fspath(path)
    while not os.path.exists(parent):
        parent = os.path.dirname(os.path.abspath(parent))
    if os.path.isdir(parent) and os.access(parent, os.W_OK | os.X_OK):
        return None
    return parent


def write_json(path, obj):
    """Writes ``obj`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "w") as f:
            json.dump(obj, f, indent=2, sort_keys=True)
            f.write("\n")


def write_text(path, text):
    """Writes ``text`` to ``path``, atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "w") as f:
            f.write(text)
