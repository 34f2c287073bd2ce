"""Converters: one per mode, mapping data to tensors and tensors back to files people can use.

A converter serves training (load, tf.data) and generation (read an example, write MIDI/WAV), so
the run directory, export and CLIs never branch on the mode themselves. Figures are drawn by
``mguv.reporting``, not here.
"""

import os

import numpy as np


class SymbolicConverter:
    """Piano-roll segments <-> MIDI. Examples are bool/float [segment_steps, rep.channels]."""

    mode = "symbolic"
    extension = ".mid"

    def __init__(self, rep):
        self.rep = rep

    def load(self, specs, cache_dir=None, workers=None, progress=True, genre=None):
        """A ``types.Segments`` (x, file_id, files, report) for ``--data`` specs (default: bach)."""
        from mguv.data import corpus
        from mguv.errors import UsageError

        if genre:
            raise UsageError("--genre applies to --mode audio only")
        return corpus.load_segments(list(specs) or ["bach"], self.rep, cache_dir=cache_dir,
                                    workers=workers, progress=progress)

    def describe(self, report):
        from mguv.data import corpus

        return corpus.describe(report)

    def dataset(self, x, batch_size, shuffle=False, seed=0, transpose=0, crop_seconds=0.0):
        """Batches of rolls (``crop_seconds`` is for audio; ``Config.build_model`` refuses it here)."""
        from mguv.data.pipeline import make_dataset

        return make_dataset(x, batch_size, shuffle=shuffle, seed=seed, transpose=transpose,
                            pitch_groups=self.rep.channels // self.rep.num_pitches)

    def write(self, example, path):
        """Writes one roll [steps, pitches] to ``path`` (.mid)."""
        from mguv.data.roll import write_midi

        write_midi(example, self.rep, path)

    def read_example(self, path):
        """The first non-silent segment of a score file, cut as training cuts it, float32
        [steps, rep.channels]."""
        from mguv.data.parse import parse_score
        from mguv.data.roll import cut_segments, notes_to_roll, parse_steps_per_beat, to_rep_grid
        from mguv.errors import UsageError

        notes, meter, _, reason = parse_score(os.path.basename(path), path, None, parse_steps_per_beat(self.rep))
        if notes is None:
            raise UsageError(f"{path}: cannot read it ({reason})")
        roll = notes_to_roll(to_rep_grid(notes, self.rep)[0], self.rep)[0]
        segments, _, per_meter = cut_segments(roll, self.rep, meter)
        if not len(segments):
            where = (f" of {self.rep.meter_numerator}/{self.rep.meter_denominator} bars (the file has "
                     f"{', '.join(per_meter) or 'no whole bars'})") if self.rep.segment_bars else ""
            raise UsageError(f"{path}: no non-silent {self.rep.segment_steps}-step segment{where} in "
                             f"pitches {self.rep.min_pitch}..{self.rep.max_pitch}")
        return segments[0].astype(np.float32)


class AudioConverter:
    """Waveform clips <-> WAV. Examples are float32 [clip_samples, 1] in [-1, 1]."""

    mode = "audio"
    extension = ".wav"

    def __init__(self, rep):
        self.rep = rep

    def load(self, specs, cache_dir=None, workers=None, progress=True, genre=None):
        """A ``types.Clips`` (x [clips, samples], file_id, files, report); no specs renders Bach."""
        from mguv.data import audio_cache

        clips = audio_cache.load_clips(list(specs) or None, self.rep, genre=genre, cache_dir=cache_dir,
                                       workers=workers, progress=progress)
        clips.x = clips.x[..., None]  # [clips, samples, 1]
        return clips

    def describe(self, report):
        from mguv.data import audio_cache

        return audio_cache.describe(report)

    def dataset(self, x, batch_size, shuffle=False, seed=0, transpose=0, crop_seconds=0.0):
        """Batches of clips x [n, samples, 1], or of random crops of ``crop_seconds`` (training; 0 =
        whole clips) taken inside each clip's valid part (``pipeline.make_audio_dataset``)."""
        from mguv.data.pipeline import make_audio_dataset

        crop = int(round(crop_seconds * self.rep.sample_rate))
        return make_audio_dataset(np.asarray(x)[..., 0], batch_size, shuffle=shuffle, seed=seed, crop=crop)

    def write(self, example, path):
        """Writes one clip [samples, 1] as 16-bit WAV at the representation's sample rate."""
        import soundfile

        from mguv.io import atomic_path

        with atomic_path(path) as tmp:
            soundfile.write(tmp, np.clip(np.asarray(example).reshape(-1), -1, 1), self.rep.sample_rate,
                            subtype="PCM_16", format="WAV")

    def read_example(self, path):
        """The first clip of an audio file, float32 [samples, 1]."""
        from mguv.data.audio_files import decode_file
        from mguv.errors import UsageError

        clips, reason = decode_file(os.path.basename(path), path, None, self.rep)
        if clips is None:
            raise UsageError(f"{path}: cannot read it ({reason})")
        return clips[0][:, None].astype(np.float32)


def converter_for(rep):
    """The converter for a representation (by its ``mode``)."""
    return {"symbolic": SymbolicConverter, "audio": AudioConverter}[rep.mode](rep)
