"""Statistics of piano-rolls, to compare generated samples with real data.

Rolls are numpy [segments, steps, rep.channels] with 0/1 (or bool) cells; pitch column ``i`` is
MIDI pitch ``rep.min_pitch + i``, and a roll with onsets also marks where notes start. Polyphony and scale consistency come from muspy (its definitions, applied
per segment); the rest are plain numpy.

  note_density          fraction of active cells
  polyphony             mean number of sounding pitches over steps where at least one sounds
  pitch_class_histogram 12 fractions (C..B) of active cells, summed over the set
  scale_consistency     per segment, the fraction of notes in its best-fitting major/minor scale
                        (muspy.scale_consistency), averaged over segments with notes
  empty_step_rate       fraction of steps with no sounding pitch
  restruck_rate         fraction of notes that start on the step where a note of the same pitch
                        ends (0 in a binary roll, which merges them)
"""

import numpy as np

PITCH_CLASSES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


def _muspy_music(roll, min_pitch, steps_per_beat):
    import muspy

    full = np.zeros((roll.shape[0], 128), bool)
    full[:, min_pitch:min_pitch + roll.shape[1]] = roll
    return muspy.from_pianoroll_representation(full, resolution=steps_per_beat, encode_velocity=False)


def pitch_class_histogram(rolls, min_pitch):
    """Fractions of active cells per pitch class: [segments, steps, pitches] -> float64 [12]."""
    per_pitch = (np.asarray(rolls) > 0.5).sum(axis=(0, 1)).astype(np.float64)
    classes = (min_pitch + np.arange(len(per_pitch))) % 12
    hist = np.bincount(classes, weights=per_pitch, minlength=12)
    total = hist.sum()
    return hist / total if total > 0 else hist


def restruck_rate(rolls, rep):
    """The share of notes (``mguv.data.roll.roll_to_notes``) of rolls [segments, steps, channels]
    that start where a note of the same pitch ends; 0 when there are no notes."""
    from mguv.data.roll import restruck, roll_to_notes

    flags = [restruck(roll_to_notes(roll, rep)) for roll in rolls]
    notes = sum(len(f) for f in flags)
    return sum(int(f.sum()) for f in flags) / notes if notes else 0.0


def sample_statistics(rolls, rep):
    """The statistics above for one set of rolls [segments, steps, rep.channels] of the
    representation ``rep``; returns a dict."""
    import muspy

    min_pitch, steps_per_beat = rep.min_pitch, rep.steps_per_beat
    on = rep.frames(np.asarray(rolls)) > 0.5
    sounding = on.sum(axis=-1)  # [segments, steps]
    musics = [_muspy_music(r, min_pitch, steps_per_beat) for r in on]
    with np.errstate(invalid="ignore"):
        polyphony = [muspy.polyphony(m) for m in musics if m.tracks and m.tracks[0].notes]
        scale = [muspy.scale_consistency(m) for m in musics if m.tracks and m.tracks[0].notes]
    return {
        "segments": int(len(on)),
        "note_density": float(on.mean()) if on.size else 0.0,
        # muspy's per-segment polyphony, weighted by the segment's sounding steps, is the mean over
        # all sounding steps of the set; the plain mean over segments is what muspy users expect.
        "polyphony": float(np.nanmean(polyphony)) if polyphony else 0.0,
        "pitch_class_histogram": [float(v) for v in pitch_class_histogram(on, min_pitch)],
        "scale_consistency": float(np.nanmean(scale)) if scale else 0.0,
        "empty_step_rate": float((sounding == 0).mean()) if sounding.size else 0.0,
        "restruck_rate": float(restruck_rate(np.asarray(rolls) > 0.5, rep)),
    }


def relative_error(value, reference):
    """|value - reference| / |reference| (inf when the reference is 0 and the value is not)."""
    if reference == 0:
        return 0.0 if value == 0 else float("inf")
    return abs(value - reference) / abs(reference)


def compare_statistics(samples, reference):
    """Compares two ``sample_statistics`` dicts; returns relative errors and the histogram L1.

    Keys: note_density_rel_err, polyphony_rel_err, scale_consistency_rel_err,
    empty_step_rate_rel_err, restruck_rate_rel_err (fractions), pitch_class_l1 (L1 distance of the two pitch-class
    histograms, 0..2).
    """
    out = {f"{k}_rel_err": relative_error(samples[k], reference[k])
           for k in ("note_density", "polyphony", "scale_consistency", "empty_step_rate", "restruck_rate")}
    out["pitch_class_l1"] = float(np.abs(np.subtract(samples["pitch_class_histogram"],
                                                     reference["pitch_class_histogram"])).sum())
    return out
