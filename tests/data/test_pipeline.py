import numpy as np

from mguv.data.pipeline import make_dataset, random_transpose


def rolls(n=16, seed=0):
    rng = np.random.default_rng(seed)
    x = np.zeros((n, 32, 36), bool)
    for i in range(n):
        x[i, :, rng.integers(10, 26, size=3)] = True  # three held pitches in the middle
    return x


def test_batches_are_float_rolls():
    batches = list(make_dataset(rolls(10), 4, shuffle=True, seed=1))
    assert [b.shape[0] for b in batches] == [4, 4, 2]
    assert batches[0].dtype.name == "float32" and batches[0].shape[1:] == (32, 36)


def test_shuffle_changes_order_between_epochs_but_keeps_the_data():
    ds = make_dataset(rolls(32), 32, shuffle=True, seed=1)
    a, b = (next(iter(ds)).numpy() for _ in range(2))
    assert not np.array_equal(a, b)
    assert sorted(map(bytes, a.astype(np.uint8))) == sorted(map(bytes, b.astype(np.uint8)))


def test_transposition_moves_whole_segments_and_never_drops_notes():
    x = rolls(64).astype(np.float32)
    x[0] = 0
    x[0, :, [0, 35]] = 1  # spans the whole range: can only stay put
    out = random_transpose(x, 6, seed=[1, 2]).numpy()
    assert np.array_equal(out.sum(axis=(1, 2)), x.sum(axis=(1, 2)))
    np.testing.assert_array_equal(out[0], x[0])
    shifts = set()
    for i in range(1, 64):
        src, dst = np.nonzero(x[i].any(0))[0], np.nonzero(out[i].any(0))[0]
        shift = dst[0] - src[0]
        np.testing.assert_array_equal(out[i], np.roll(x[i], shift, axis=1))
        shifts.add(int(shift))
    assert len(shifts) > 5 and max(abs(s) for s in shifts) <= 6


def test_augmented_dataset_differs_from_plain():
    plain = next(iter(make_dataset(rolls(32), 32))).numpy()
    aug = next(iter(make_dataset(rolls(32), 32, transpose=5, seed=2))).numpy()
    assert not np.array_equal(plain, aug)
    np.testing.assert_array_equal(plain.sum(axis=(1, 2)), aug.sum(axis=(1, 2)))
