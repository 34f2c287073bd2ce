"""The second cache level: a corpus's segments for one representation, in one file.

The parse cache (``mguv.data.cache``) keeps note lists, which do not depend on the representation.
Turning them into piano-roll segments still costs about 0.4 ms per file (rasterizing, cutting),
which on Nottingham is most of an epoch read from the cache. This cache keeps that result:
``segments-<key>.npz`` holds the bit-packed segments, their file ids and start steps, the file list
and the corpus report (no pickle).

The key covers each source's parse-cache key (file names and contents, parser version, parse grid),
the representation, and the source code of the modules that turn notes into segments
(``mguv.data.segmenting`` and ``mguv.data.roll``), so editing the corpus, the representation or
that code never serves stale segments.
"""

import hashlib
import json
import os

import numpy as np

from mguv.data import roll, segmenting
from mguv.data.cache import _cache_key, default_cache_dir
from mguv.data.types import Segments
from mguv.io import atomic_path

_CODE_DIGEST = None


def _code_digest():
    """SHA-1 of the source of the modules whose code decides the segments (read once)."""
    global _CODE_DIGEST
    if _CODE_DIGEST is None:
        digest = hashlib.sha1()
        for module in (segmenting, roll):
            with open(module.__file__, "rb") as f:
                digest.update(f.read())
        _CODE_DIGEST = digest.hexdigest()
    return _CODE_DIGEST


def path_for(sources, rep, cache_dir):
    """Where the segments of ``sources`` (``types.Source``s) for ``rep`` are cached; None when
    ``cache_dir`` is "" (caching off)."""
    cache_dir = default_cache_dir() if cache_dir is None else cache_dir
    if not cache_dir:
        return None
    digest = hashlib.sha1(rep.to_json().encode())
    digest.update(_code_digest().encode())
    steps_per_beat = roll.parse_steps_per_beat(rep)
    for source in sources:
        digest.update(f"\0{source.label}\0{_cache_key(source.items, steps_per_beat)}".encode())
    return os.path.join(cache_dir, f"segments-{digest.hexdigest()[:20]}.npz")


def save(path, segments):
    """Writes a ``types.Segments`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez_compressed(
                f,
                x=np.packbits(np.asarray(segments.x, bool), axis=-1),
                num_pitches=np.int64(segments.x.shape[-1]),
                file_id=np.asarray(segments.file_id, np.int64),
                start_step=np.asarray(segments.start_step, np.int64),
                labels=np.asarray([label for label, _ in segments.files], dtype=str),
                names=np.asarray([name for _, name in segments.files], dtype=str),
                report=np.asarray(json.dumps(segments.report)),
            )


def load(path):
    """The ``types.Segments`` cached at ``path`` (every source marked ``from_cache``), or None when
    there is none or it is unreadable (it is then rebuilt)."""
    if not path or not os.path.exists(path):
        return None
    try:
        with np.load(path, allow_pickle=False) as z:
            x = np.unpackbits(z["x"], axis=-1, count=int(z["num_pitches"])).astype(bool)
            report = json.loads(str(z["report"]))
            files = list(zip((str(s) for s in z["labels"]), (str(n) for n in z["names"])))
            segments = Segments(x, z["file_id"], z["start_step"], files, report)
    except (OSError, ValueError, KeyError):
        return None
    for source in report["sources"].values():
        source["from_cache"] = True
    return segments
