"""The representation: what one training example means, as a single value saved with every run.

Training writes it to ``RUN/representation.json`` and into the SavedModel; generation reads it back
and never guesses.
"""

import dataclasses
import json


@dataclasses.dataclass(frozen=True)
class PianoRoll:
    """A binary piano-roll segment of shape [segment_steps, num_pitches].

    Attributes:
      steps_per_beat: grid resolution, in steps per quarter note (4 = sixteenth notes).
      min_pitch: MIDI pitch of column 0 (48 = C3).
      num_pitches: number of pitch columns (36 covers C3..B5).
      segment_steps: segment length in steps (32 = two 4/4 bars at 4 steps per beat).
      hop_steps: distance between segment starts, in steps; 0 means ``segment_steps`` (no overlap).
      tempo: tempo in quarter notes per minute used when writing MIDI.
      program: General MIDI program (0-127) used when writing MIDI.
      melody_only: keep only the highest sounding note per step.
      adaptive_step: the paper's adaptive time step: each piece gets its own step, the shortest
        note duration that accounts for more than 20% of its notes (``mguv.data.roll``). The
        grid then differs from piece to piece, and ``steps_per_beat`` is only the step written
        back to MIDI (2 suits the Bach chorales, whose adaptive step is mostly an eighth note).
    """

    steps_per_beat: int = 4
    min_pitch: int = 48
    num_pitches: int = 36
    segment_steps: int = 32
    hop_steps: int = 0
    tempo: float = 120.0
    program: int = 0
    melody_only: bool = False
    adaptive_step: bool = False
    mode: str = dataclasses.field(default="symbolic", init=False)

    def __post_init__(self):
        if self.steps_per_beat < 1 or self.segment_steps < 1 or self.num_pitches < 1:
            raise ValueError("steps_per_beat, segment_steps and num_pitches must be positive")
        if not 0 <= self.min_pitch <= 127 or self.min_pitch + self.num_pitches > 128:
            raise ValueError(f"pitch range {self.min_pitch}..{self.max_pitch} is outside MIDI 0..127")

    @property
    def max_pitch(self):
        """Highest representable MIDI pitch (inclusive)."""
        return self.min_pitch + self.num_pitches - 1

    @property
    def hop(self):
        """Hop between segments in steps (resolves the 0 = no-overlap default)."""
        return self.hop_steps or self.segment_steps

    @property
    def seconds_per_step(self):
        """Duration of one step in seconds at ``tempo``."""
        return 60.0 / (self.tempo * self.steps_per_beat)

    @property
    def shape(self):
        """Shape of one segment: (segment_steps, num_pitches)."""
        return (self.segment_steps, self.num_pitches)

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
