"""Note preservation and sound statistics on hand-made clips (``mguv.audio_metrics``)."""

import numpy as np
import pytest

from mguv import audio_metrics

SR = 3000
T = np.arange(3 * SR) / SR


def chord(*hz):
    return sum(0.3 * np.sin(2 * np.pi * f * T) for f in hz)


C_MAJOR = (261.63, 329.63, 392.00)        # C4 E4 G4
F_SHARP_MAJOR = (369.99, 466.16, 554.37)  # F#4 A#4 C#5: no pitch class in common


def test_chroma_agreement_is_one_for_the_same_notes_and_low_for_others():
    c = chord(*C_MAJOR)
    assert audio_metrics.chroma_agreement(c, c, SR) == pytest.approx(1.0)
    assert audio_metrics.chroma_agreement(c, 0.2 * c, SR) == pytest.approx(1.0)  # loudness does not count
    other = audio_metrics.chroma_agreement(c, chord(*F_SHARP_MAJOR), SR)
    missing = audio_metrics.chroma_agreement(c, chord(*C_MAJOR[:2]), SR)  # the G dropped
    assert other < 0.3 < missing < 0.9
    assert audio_metrics.chroma_agreement(c, np.zeros_like(c), SR) == 0.0  # silence keeps no note
    assert np.isnan(audio_metrics.chroma_agreement(np.zeros_like(c), c, SR))  # nothing to keep


def test_chroma_agreement_ignores_what_comes_after_the_valid_length():
    c = chord(*C_MAJOR)
    wrong_tail = c.copy()
    wrong_tail[SR:] = chord(*F_SHARP_MAJOR)[SR:]
    assert audio_metrics.chroma_agreement(c, wrong_tail, SR) < 0.6
    assert audio_metrics.chroma_agreement(c, wrong_tail, SR, length=SR - 600) == pytest.approx(1.0, abs=0.02)


def test_statistics_tell_tones_from_noise_and_changing_notes_from_a_drone():
    noise = np.random.default_rng(0).standard_normal(len(T)) * 0.1
    drone = audio_metrics.clip_statistics(chord(*C_MAJOR), SR)
    third = len(T) // 3
    changing = np.concatenate([chord(*C_MAJOR)[:third], chord(*F_SHARP_MAJOR)[:third], chord(*C_MAJOR)[:third]])
    moving = audio_metrics.clip_statistics(changing, SR)
    hiss = audio_metrics.clip_statistics(noise, SR)
    assert drone["spectral_flatness"] < 0.01 < 0.3 < hiss["spectral_flatness"]
    assert drone["chroma_entropy"] < hiss["chroma_entropy"] <= np.log2(12)
    assert drone["chroma_flux"] < 0.01 and moving["chroma_flux"] > 0.1
    summary = audio_metrics.compare_to_real(audio_metrics.statistics_of(np.stack([noise, noise]), SR),
                                            audio_metrics.statistics_of(np.stack([changing, changing]), SR))
    assert summary["spectral_flatness"]["w1_to_real"] > 0.3 and summary["silent_clips"] == 0


def test_periodic_level_finds_a_stride_tone_and_representative_clips_skip_padding():
    x = np.zeros(9000)
    x[::4] = 0.01  # what a stride-4 transposed convolution adds to silence: 750 Hz and 1500 Hz at 3 kHz
    assert audio_metrics.periodic_level_db(x, 16) > -50
    assert audio_metrics.periodic_level_db(np.full(9000, 0.3), 16) == -200.0  # a constant is not a tone
    assert audio_metrics.representative_clips([100, 3000, 2900, 50, 3000, 10], 3).tolist() == [1, 2, 4]
