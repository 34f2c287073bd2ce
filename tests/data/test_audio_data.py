"""Audio corpora: decoding, clipping and normalization, bad files, the clip cache, genres, the
rendered Bach chorales and the tf.data pipeline, on tiny WAVs written in the test."""

import subprocess
import sys

import numpy as np
import pytest
import soundfile

from mguv.data import audio_cache, audio_files, audio_render
from mguv.data.split import train_val_indices
from mguv.errors import UsageError
from mguv.representation import AudioClip

REP = AudioClip(sample_rate=3000, clip_samples=3000)


def write_sine(path, seconds=1.0, freq=440.0, sr=22050, amplitude=0.5, channels=2):
    """Writes a 16-bit sine WAV (``channels`` identical channels) and returns the path."""
    t = np.arange(int(seconds * sr)) / sr
    wave = amplitude * np.sin(2 * np.pi * freq * t)
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), np.stack([wave] * channels, axis=1), sr, subtype="PCM_16")
    return path


def load(specs, tmp_path, rep=REP, **kw):
    return audio_cache.load_clips([str(s) for s in specs], rep, cache_dir=str(tmp_path / "cache"),
                                  workers=1, progress=False, **kw)


def dominant_hz(clip, sr):
    spectrum = np.abs(np.fft.rfft(clip * np.hanning(len(clip))))
    return np.argmax(spectrum) * sr / len(clip)


def test_stereo_wav_becomes_one_mono_peak_normalized_clip(tmp_path):
    path = write_sine(tmp_path / "a.wav", seconds=1.0, freq=440.0, sr=22050, channels=2)
    clips, reason = audio_files.decode_file("a.wav", str(path), None, REP)
    assert reason is None and clips.shape == (1, 3000) and clips.dtype == np.float32
    assert np.max(np.abs(clips)) == pytest.approx(0.95, abs=1e-5)
    assert dominant_hz(clips[0], 3000) == pytest.approx(440.0, abs=2.0)
    from_bytes, _ = audio_files.decode_file("a.wav", None, path.read_bytes(), REP)
    np.testing.assert_array_equal(clips, from_bytes)


def test_short_files_are_zero_padded_and_long_ones_give_several_clips(tmp_path):
    rep = AudioClip(sample_rate=3000, clip_samples=1000, clips_per_file=3)
    short = write_sine(tmp_path / "short.wav", seconds=0.2)  # 600 samples at 3 kHz
    clips, _ = audio_files.decode_file("short.wav", str(short), None, rep)
    assert clips.shape == (1, 1000)
    assert np.all(clips[0, 620:] == 0) and np.max(np.abs(clips[0, :580])) > 0.9
    long = write_sine(tmp_path / "long.wav", seconds=2.5)  # 7500 samples: only 3 clips wanted
    clips, _ = audio_files.decode_file("long.wav", str(long), None, rep)
    assert clips.shape == (3, 1000) and np.all(np.max(np.abs(clips), axis=1) > 0.9)
    middle = write_sine(tmp_path / "middle.wav", seconds=0.8)  # 2400 samples: 2 full + 1 padded
    clips, _ = audio_files.decode_file("middle.wav", str(middle), None, rep)
    assert clips.shape == (3, 1000) and np.all(clips[2, 420:] == 0)


def test_silent_clips_are_dropped_and_silent_files_rejected(tmp_path):
    rep = AudioClip(sample_rate=3000, clip_samples=1000, clips_per_file=3)
    sr = 3000
    wave = np.zeros(3000)
    wave[1000:2000] = 0.5 * np.sin(2 * np.pi * 300 * np.arange(1000) / sr)
    soundfile.write(str(tmp_path / "gap.wav"), wave, sr)
    clips, _ = audio_files.decode_file("gap.wav", str(tmp_path / "gap.wav"), None, rep)
    assert clips.shape == (1, 1000)
    soundfile.write(str(tmp_path / "silent.wav"), np.zeros(3000), sr)
    clips, reason = audio_files.decode_file("silent.wav", str(tmp_path / "silent.wav"), None, rep)
    assert clips is None and "silent" in reason


def test_rms_and_no_normalization(tmp_path):
    path = write_sine(tmp_path / "a.wav", amplitude=0.5)
    rms_rep = AudioClip(sample_rate=3000, clip_samples=3000, normalization="rms")
    clips, _ = audio_files.decode_file("a.wav", str(path), None, rms_rep)
    assert np.sqrt(np.mean(clips ** 2)) == pytest.approx(0.1, rel=1e-3)
    raw, _ = audio_files.decode_file("a.wav", str(path), None, AudioClip(3000, 3000, normalization="none"))
    assert np.max(np.abs(raw)) == pytest.approx(0.5, abs=0.01)
    # A loud spike next to quiet audio: scaling to RMS 0.1 would exceed full scale, so it is clipped.
    spike = np.full(3000, 0.001)
    spike[100] = 0.9
    soundfile.write(str(tmp_path / "spike.wav"), spike, 3000, subtype="FLOAT")
    clips, _ = audio_files.decode_file("spike.wav", str(tmp_path / "spike.wav"), None, rms_rep)
    assert np.max(np.abs(clips)) == pytest.approx(1.0)


def test_bad_files_are_skipped_and_counted(tmp_path):
    folder = tmp_path / "wavs"
    good = write_sine(folder / "good.wav")
    (folder / "empty.wav").write_bytes(b"")
    (folder / "text.wav").write_text("this is not audio")
    (folder / "truncated.wav").write_bytes(good.read_bytes()[:30])  # cut inside the header
    clips = load([folder], tmp_path)
    report = clips.report["sources"][str(folder)]
    assert report == {"files": 4, "decoded": 1, "bad": 3, "clips": 1, "from_cache": False}
    assert {b["file"] for b in clips.report["bad_files"]} == {"empty.wav", "text.wav", "truncated.wav"}
    assert all(b["reason"] for b in clips.report["bad_files"])
    assert "3 skipped" in audio_cache.describe(clips.report)


def test_a_wav_cut_inside_its_data_keeps_what_is_there(tmp_path):
    good = write_sine(tmp_path / "good.wav", seconds=1.0, channels=1)
    data = good.read_bytes()
    (tmp_path / "cut.wav").write_bytes(data[: 44 + (len(data) - 44) // 2])
    clips, reason = audio_files.decode_file("cut.wav", str(tmp_path / "cut.wav"), None, REP)
    assert reason is None and clips.shape == (1, 3000) and np.all(clips[0, 1550:] == 0)


def test_bad_specs_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="no such file or folder"):
        audio_files.resolve_audio([str(tmp_path / "missing")])
    (tmp_path / "empty").mkdir()
    with pytest.raises(UsageError, match="no audio files"):
        audio_files.resolve_audio([str(tmp_path / "empty")])
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(UsageError, match="not an audio file"):
        audio_files.resolve_audio([str(tmp_path / "notes.txt")])
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.wav").write_bytes(b"junk")
    with pytest.raises(UsageError, match="no usable audio"):
        load([bad], tmp_path)


def test_folders_are_searched_recursively_and_single_files_work(tmp_path):
    folder = tmp_path / "music"
    write_sine(folder / "b.wav")
    write_sine(folder / "sub" / "a.flac")
    write_sine(folder / "a.wav")
    (folder / "readme.txt").write_text("not audio")
    source = audio_files.resolve_audio([str(folder)])[0]
    assert [it.name for it in source.items] == ["a.wav", "b.wav", "sub/a.flac"]
    clips = load([folder, folder / "a.wav"], tmp_path)
    assert len(clips) == 4 and clips.x.shape == (4, 3000) and clips.x.dtype == np.float32
    assert clips.files[-1] == (str(folder / "a.wav"), "a.wav")
    train, val = train_val_indices(clips, 0.25, "file", seed=0)
    assert len(train) == 3 and len(val) == 1


def test_second_run_decodes_nothing_and_changing_a_file_changes_the_key(tmp_path, monkeypatch):
    folder = tmp_path / "wavs"
    write_sine(folder / "a.wav", freq=440)
    write_sine(folder / "b.wav", freq=330, seconds=2.0)
    rep = AudioClip(sample_rate=3000, clip_samples=3000, clips_per_file=2)
    first = load([folder], tmp_path, rep)
    assert len(first) == 3

    def fail(*args):
        raise AssertionError("decoded again despite the cache")

    with monkeypatch.context() as m:
        m.setattr(audio_cache, "_decode_job", fail)
        second = load([folder], tmp_path, rep)
    np.testing.assert_array_equal(first.x, second.x)
    np.testing.assert_array_equal(first.file_id, second.file_id)
    assert second.report["sources"][str(folder)]["from_cache"]
    assert np.max(np.abs(second.x)) == pytest.approx(0.95, abs=1e-4)  # 16-bit cache, back to float

    write_sine(folder / "a.wav", freq=550, seconds=2.0)
    again = load([folder], tmp_path, rep)
    assert not again.report["sources"][str(folder)]["from_cache"] and len(again) == 4
    other_rep = load([folder], tmp_path, AudioClip(sample_rate=3000, clip_samples=2000))
    assert not other_rep.report["sources"][str(folder)]["from_cache"]


def test_genre_filter_on_a_gtzan_layout(tmp_path):
    root = tmp_path / "gtzan"
    write_sine(root / "genres" / "jazz" / "jazz.00000.wav")
    write_sine(root / "genres" / "jazz" / "jazz.00001.wav")
    write_sine(root / "genres" / "rock" / "rock.00000.wav")
    write_sine(root / "flat" / "jazz.00002.wav")
    source = audio_files.resolve_audio([str(root)], genre="Jazz")[0]
    assert [it.name for it in source.items] == ["flat/jazz.00002.wav", "genres/jazz/jazz.00000.wav",
                                                "genres/jazz/jazz.00001.wav"]
    assert len(audio_files.resolve_audio([str(root / "genres" / "jazz")], genre="jazz")[0].items) == 2
    with pytest.raises(UsageError, match="genres here: flat, jazz, rock"):
        audio_files.resolve_audio([str(root)], genre="blues")
    with pytest.raises(UsageError, match="--genre"):
        audio_cache.load_clips([], REP, genre="jazz", cache_dir=str(tmp_path / "cache"), progress=False)


def test_rendered_bach_is_rendered_once(tmp_path, monkeypatch):
    pytest.importorskip("music21", reason="the Bach chorales ship inside music21")
    cache_dir = str(tmp_path / "cache")
    source = audio_render.rendered_bach_source(REP, max_files=2, cache_dir=cache_dir, workers=1,
                                               progress=False)
    assert source.label == "bach (rendered)" and len(source.items) == 2
    wavs = sorted((tmp_path / "cache").glob("rendered-bach-*-3000/*.wav"))
    assert len(wavs) == 2 and wavs[0].name.endswith("-mxl.wav")
    info = soundfile.info(str(wavs[0]))
    assert info.samplerate == 3000 and info.channels == 1 and info.subtype == "PCM_16"
    assert info.duration > 5

    def fail(*args):
        raise AssertionError("rendered again")

    monkeypatch.setattr(audio_render, "_render_job", fail)
    again = audio_render.rendered_bach_source(REP, max_files=2, cache_dir=cache_dir, workers=1,
                                              progress=False)
    assert again == source
    clips = audio_cache.decode_source(again, REP, cache_dir=cache_dir, workers=1, progress=False)
    assert len(clips.names) == 2 and not clips.bad


def test_make_audio_dataset_batches(tmp_path):
    from mguv.data.pipeline import make_audio_dataset

    x = np.random.default_rng(0).uniform(-1, 1, (10, 3000)).astype(np.float32)
    batches = list(make_audio_dataset(x, 4))
    assert [tuple(b.shape) for b in batches] == [(4, 3000, 1), (4, 3000, 1), (2, 3000, 1)]
    assert batches[0].dtype.name == "float32"
    np.testing.assert_array_equal(batches[0].numpy()[..., 0], x[:4])
    ds = make_audio_dataset(x, 4, shuffle=True, seed=1)
    one, two = (np.concatenate([b.numpy() for b in ds]) for _ in range(2))
    assert not np.array_equal(one, two)  # reshuffled each epoch
    np.testing.assert_array_equal(np.sort(one[..., 0], axis=0), np.sort(x, axis=0))


def test_parallel_decoding_matches_serial_without_tensorflow(tmp_path):
    folder = tmp_path / "wavs"
    for i in range(4):
        write_sine(folder / f"{i}.wav", freq=200.0 + 100 * i)
    source = audio_files.resolve_audio([str(folder)])[0]
    serial = audio_cache.decode_source(source, REP, cache_dir="", workers=1, progress=False)
    parallel = audio_cache.decode_source(source, REP, cache_dir="", workers=2, progress=False)
    assert serial.names == parallel.names
    for a, b in zip(serial.pcm, parallel.pcm):
        np.testing.assert_array_equal(a, b)
    # Decoder workers import this module; TensorFlow would cost seconds and threads in each.
    code = ("import sys, mguv.data.audio_files, mguv.data.audio_render, mguv.data.audio_cache; "
            "sys.exit('tensorflow' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_each_clip_records_its_valid_length_and_the_cache_keeps_it(tmp_path):
    rep = AudioClip(sample_rate=3000, clip_samples=1000, clips_per_file=3)
    audio = np.concatenate([np.zeros(1000), 0.5 * np.ones(1400)]).astype(np.float32)  # a silent first clip
    (clips, lengths), _ = audio_files.cut_clips(audio, rep, with_lengths=True)
    assert clips.shape == (2, 1000) and lengths.tolist() == [1000, 400]  # the silent one dropped with its length
    np.testing.assert_array_equal(audio_files.valid_lengths(clips), lengths)
    folder = tmp_path / "wavs"
    write_sine(folder / "short.wav", seconds=0.5)   # 1500 samples: one clip of 3000, half padding
    write_sine(folder / "long.wav", seconds=1.5)    # one full clip
    first = load([folder], tmp_path)
    assert first.lengths[0] == 3000 and abs(int(first.lengths[1]) - 1500) <= 1  # long.wav, short.wav
    assert first.report["padded_clips"] == 1 and "1 zero-padded" in audio_cache.describe(first.report)
    second = load([folder], tmp_path)
    assert second.report["sources"][str(folder)]["from_cache"]
    np.testing.assert_array_equal(second.lengths, first.lengths)


def test_training_crops_are_random_windows_inside_each_clips_valid_part():
    from mguv.data.pipeline import make_audio_dataset

    n, samples, crop = 3, 1000, 200
    lengths = np.array([1000, 1000, 150])  # the last clip is shorter than a crop
    x = np.zeros((n, samples), np.float32)
    for i in range(n):  # sample t of clip i holds (i + 1) * 10000 + t + 1 inside the valid part
        x[i, :lengths[i]] = (i + 1) * 10000 + np.arange(lengths[i]) + 1

    def epoch(ds):
        return np.concatenate([b.numpy()[..., 0] for b in ds])

    ds = make_audio_dataset(x, 4, shuffle=True, seed=3, crop=crop, lengths=lengths)
    one, two = epoch(ds), epoch(ds)
    assert one.shape == (n * samples // crop, crop)  # an epoch: 5 crops of every clip
    for c in one:
        i, start = int(c[0]) // 10000 - 1, int(c[0]) % 10000 - 1
        valid = min(crop, lengths[i] - start)
        np.testing.assert_array_equal(c[:valid], x[i, start:start + valid])  # a contiguous window ...
        assert np.all(c[valid:] == 0) and (lengths[i] < crop or start + crop <= lengths[i])  # ... inside
    assert np.bincount(one[:, 0].astype(int) // 10000 - 1).tolist() == [5, 5, 5]
    assert not np.array_equal(one, two)  # new offsets (and order) every epoch
    np.testing.assert_array_equal(one, epoch(make_audio_dataset(x, 4, shuffle=True, seed=3, crop=crop,
                                                                lengths=lengths)))  # seeded
    starts = {int(c[0]) % 10000 for c in np.concatenate([one, two]) if int(c[0]) // 10000 == 1}
    assert len(starts) > 3  # offsets vary per crop
    whole = epoch(make_audio_dataset(x, 4))  # validation: whole clips, in order
    np.testing.assert_array_equal(whole, x)
