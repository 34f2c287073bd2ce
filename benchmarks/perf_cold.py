"""One cold start of a SavedModel, timed from inside a fresh process (run by ``benchmarks/perf.py``).

    python benchmarks/perf_cold.py SAVED_MODEL OUT.mid [--baseline]

Takes the path ``python -m mguv.generate`` takes: ``fast_start`` (left out with ``--baseline``, to
measure what it gains), ``TrainedModel.from_run``, one 2-bar sample, written as MIDI. Prints one JSON line of wall-clock
timestamps (``time.time()``, seconds): "start" (this script's first line), "imported" (TensorFlow and
mguv imported), "loaded", "sampled" and "written"; the parent subtracts its own launch time.
"""

import time

START = time.time()

import json  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main():
    path, out = sys.argv[1], sys.argv[2]
    stamps = {"start": START}
    from mguv.cli import quiet_tensorflow

    quiet_tensorflow()
    import tensorflow  # noqa: F401  (timed on its own: it is most of a cold start)

    from mguv.data.converters import converter_for
    from mguv.generate import fast_start
    from mguv.trained_model import TrainedModel

    stamps["imported"] = time.time()
    if "--baseline" not in sys.argv:
        fast_start(path)
    model = TrainedModel.from_run(path)
    stamps["loaded"] = time.time()
    roll = model.sample(1, temperature=1.0, seed=0)[0]
    stamps["sampled"] = time.time()
    converter_for(model.rep).write(roll, out)
    stamps["written"] = time.time()
    print(json.dumps(stamps))


if __name__ == "__main__":
    main()
