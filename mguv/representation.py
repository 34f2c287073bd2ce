"""The representation: what one training example means, as a single value saved with every run.

Training writes it to ``RUN/representation.json`` and into the SavedModel; generation reads it back
and never guesses.
"""

import dataclasses
import json


def bar_steps(steps_per_beat, numerator, denominator):
    """Steps in one bar of numerator/denominator at ``steps_per_beat`` per quarter note (a float:
    7/16 at 2 steps per beat is 3.5)."""
    return steps_per_beat * 4 * numerator / denominator


@dataclasses.dataclass(frozen=True)
class PianoRoll:
    """A binary piano-roll segment of shape [segment_steps, channels].

    Without ``onsets`` (the papers' binary roll) a channel is a pitch: cell (t, j) is on while MIDI
    pitch ``min_pitch + j`` sounds at step t, so a note struck again right where the same pitch
    ends merges with it. With ``onsets`` there are two channels per pitch: channels [0, num_pitches)
    say a pitch sounds (the frame), channels [num_pitches, 2 * num_pitches) that a note of that
    pitch starts at that step, so repeated notes stay separate notes.

    Attributes:
      steps_per_beat: grid resolution, in steps per quarter note (4 = sixteenth notes).
      min_pitch: MIDI pitch of column 0 (48 = C3).
      num_pitches: number of pitch columns (36 covers C3..B5).
      segment_steps: segment length in steps (32 = two 4/4 bars at 4 steps per beat). With
        ``segment_bars`` it follows from the bars and the meter, whatever is passed.
      hop_steps: distance between segment starts, in steps; 0 means ``segment_steps`` (no overlap).
        With ``segment_bars`` a whole number of bars.
      segment_bars: 0 cuts a file every ``hop`` steps from its first step, whatever its meter (the
        papers' segments). > 0 cuts segments of this many bars at the file's bar lines (its time
        signatures and first downbeat, so a pickup is skipped), and keeps only bars in the meter
        ``meter_numerator/meter_denominator``: train on the 6/8 jigs with
        ``--set meter_numerator=6 --set meter_denominator=8``.
      tempo: tempo in quarter notes per minute used when writing MIDI.
      program: General MIDI program (0-127) used when writing MIDI.
      velocity: MIDI velocity (1-127) of every note written.
      meter_numerator, meter_denominator: the time signature written into MIDI (4/4, 6/8, ...), and
        the meter of the bars kept with ``segment_bars``.
      track_name: the name of the MIDI track written.
      melody_only: keep only the highest sounding note per step.
      onsets: record note starts beside the frames (see above).
      adaptive_step: the paper's adaptive time step: each piece gets its own step, the shortest
        note duration that accounts for more than 20% of its notes (``mguv.data.roll``). The
        grid then differs from piece to piece, and ``steps_per_beat`` is only the step written
        back to MIDI (2 suits the Bach chorales, whose adaptive step is mostly an eighth note).
      max_file_ratio: a file that gives more than this many times the corpus's median segments per
        file is skipped and reported (a corrupted header can make one file a thousand times longer
        than it is and take the corpus over); 0 keeps every file. Applies to corpora of 5+ files.
    """

    steps_per_beat: int = 4
    min_pitch: int = 48
    num_pitches: int = 36
    segment_steps: int = 32
    hop_steps: int = 0
    segment_bars: int = 0
    tempo: float = 120.0
    program: int = 0
    velocity: int = 90
    meter_numerator: int = 4
    meter_denominator: int = 4
    track_name: str = "mguv"
    melody_only: bool = False
    adaptive_step: bool = False
    max_file_ratio: float = 50.0
    onsets: bool = False
    mode: str = dataclasses.field(default="symbolic", init=False)

    def __post_init__(self):
        if self.steps_per_beat < 1 or self.segment_steps < 1 or self.num_pitches < 1:
            raise ValueError("steps_per_beat, segment_steps and num_pitches must be positive")
        if not 0 <= self.min_pitch <= 127 or self.min_pitch + self.num_pitches > 128:
            raise ValueError(f"pitch range {self.min_pitch}..{self.max_pitch} is outside MIDI 0..127")
        if not 1 <= self.velocity <= 127 or not 0 <= self.program <= 127:
            raise ValueError("velocity must be in 1..127 and program in 0..127")
        if self.meter_numerator < 1 or self.meter_denominator not in (1, 2, 4, 8, 16, 32):
            raise ValueError(f"meter {self.meter_numerator}/{self.meter_denominator}: the numerator must be "
                             "positive and the denominator a power of two up to 32")
        if not self.tempo > 0 or self.tempo == float("inf"):
            raise ValueError("tempo must be positive and finite")
        if not self.max_file_ratio >= 0:
            raise ValueError("max_file_ratio must be 0 (off) or positive")
        if self.segment_bars:
            bar = self.steps_per_bar
            if self.segment_bars < 0 or bar != int(bar):
                raise ValueError(f"segment_bars {self.segment_bars}: a {self.meter_numerator}/{self.meter_denominator} "
                                 f"bar must be a whole number of steps at {self.steps_per_beat} per beat")
            if self.adaptive_step:
                raise ValueError("segment_bars needs the fixed grid; it cannot be combined with adaptive_step")
            if self.hop_steps % int(bar):
                raise ValueError(f"hop_steps {self.hop_steps} must be a whole number of {int(bar)}-step bars")
            object.__setattr__(self, "segment_steps", self.segment_bars * int(bar))

    @property
    def max_pitch(self):
        """Highest representable MIDI pitch (inclusive)."""
        return self.min_pitch + self.num_pitches - 1

    @property
    def steps_per_bar(self):
        """Steps in one bar of the meter (``bar_steps``)."""
        return bar_steps(self.steps_per_beat, self.meter_numerator, self.meter_denominator)

    @property
    def hop(self):
        """Hop between segments in steps (resolves the 0 = no-overlap default)."""
        return self.hop_steps or self.segment_steps

    @property
    def seconds_per_step(self):
        """Duration of one step in seconds at ``tempo``."""
        return 60.0 / (self.tempo * self.steps_per_beat)

    @property
    def channels(self):
        """Values per step: num_pitches, or 2 * num_pitches with ``onsets``."""
        return self.num_pitches * (2 if self.onsets else 1)

    @property
    def shape(self):
        """Shape of one segment: (segment_steps, channels)."""
        return (self.segment_steps, self.channels)

    def frames(self, x):
        """The sounding-pitch part of rolls x [..., channels] -> [..., num_pitches] (a slice, for
        numpy arrays and tensors alike)."""
        return x[..., :self.num_pitches]

    def to_dict(self):
        return dataclasses.asdict(self)

    def to_json(self):
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)


@dataclasses.dataclass(frozen=True)
class AudioClip:
    """A mono waveform clip of shape [clip_samples, 1], float32 in [-1, 1].

    Attributes:
      sample_rate: Hz (3000 in the GTZAN jazz paper).
      clip_samples: samples per clip (90,000 = 30 s at 3 kHz; the paper's librosa load gives 90,001).
      clips_per_file: consecutive clips cut from each file (the last one zero-padded).
      normalization: "peak" (scale each clip to peak 0.95), "rms" (scale to RMS 0.1, clipped to
        [-1, 1]) or "none".
    """

    sample_rate: int = 3000
    clip_samples: int = 90000
    clips_per_file: int = 1
    normalization: str = "peak"
    mode: str = dataclasses.field(default="audio", init=False)

    def __post_init__(self):
        if self.sample_rate < 1 or self.clip_samples < 1 or self.clips_per_file < 1:
            raise ValueError("sample_rate, clip_samples and clips_per_file must be positive")
        if self.normalization not in ("peak", "rms", "none"):
            raise ValueError(f"normalization must be peak, rms or none, not {self.normalization!r}")

    @property
    def clip_seconds(self):
        """Clip length in seconds."""
        return self.clip_samples / self.sample_rate

    @property
    def shape(self):
        """Shape of one example: (clip_samples, 1)."""
        return (self.clip_samples, 1)

    def to_dict(self):
        return dataclasses.asdict(self)

    def to_json(self):
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)


_KINDS = {"symbolic": PianoRoll, "audio": AudioClip}


def from_dict(d):
    """Rebuilds a representation from ``to_dict()`` output; the ``mode`` key picks the class."""
    d = dict(d)
    cls = _KINDS[d.pop("mode", "symbolic")]
    return cls(**d)


def from_json(text):
    return from_dict(json.loads(text))
