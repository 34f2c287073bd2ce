"""What a person gets to look at and listen to: example files with a figure each."""

import numpy as np
import pretty_midi

from mguv.reporting import write_examples
from mguv.representation import PianoRoll


def test_written_rolls_are_midi_with_the_notes_and_a_figure_each(tmp_path):
    rep = PianoRoll()
    rolls = np.zeros((2,) + rep.shape, np.float32)
    rolls[0, 0:4, 12] = 1  # one note of 4 steps at min_pitch + 12
    rolls[1, 8:16, 0] = 1
    paths = write_examples(rep, rolls, str(tmp_path), "sample", ["a", "b"])
    assert [p.rsplit("/", 1)[1] for p in paths] == ["sample_00.mid", "sample_01.mid"]
    notes = pretty_midi.PrettyMIDI(paths[0]).instruments[0].notes
    assert [n.pitch for n in notes] == [rep.min_pitch + 12]
    for name in ("sample_00.png", "sample_01.png", "sample.png"):
        assert (tmp_path / name).stat().st_size > 0
