"""Tests of sklearn_dynst._layouts."""

import numpy as np
import pytest

from sklearn_dynst._layouts import (
    SensorLayout,
    from_tokens,
    infer_layout,
    patchify,
    put_sensors,
    take_sensors,
    to_tokens,
    unpatchify,
)


def _random(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


# One array per layout: (array, patch_size, expected n_sensors, n_steps,
# n_channels, n_values).
LAYOUTS = {
    "2d": ((7, 5), None, 5, 1, 1, 1),
    "3d": ((7, 4, 5), None, 5, 4, 1, 1),
    "4d": ((7, 4, 5, 3), None, 5, 4, 3, 3),
    "5d": ((7, 4, 2, 6, 9), 3, 6, 4, 2, 18),
}


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_infer_layout_sizes(name):
    shape, patch_size, n_sensors, n_steps, n_channels, n_values = LAYOUTS[name]
    layout = infer_layout(np.zeros(shape), patch_size=patch_size)
    assert layout.ndim == len(shape)
    assert layout.n_sensors == n_sensors
    assert layout.n_steps == n_steps
    assert layout.n_channels == n_channels
    assert layout.n_values == n_values
    assert layout.is_grid == (len(shape) == 5)
    assert layout.sample_shape() == shape[1:]


def test_infer_layout_grid_attributes():
    layout = infer_layout(np.zeros((2, 3, 1, 6, 9)), patch_size=3)
    assert layout.grid_shape == (6, 9)
    assert layout.patch_grid == (2, 3)
    assert layout.patch_size == 3
    assert "height, width" in layout.axes


def test_sample_shape_with_other_sensor_count():
    layout = infer_layout(np.zeros((2, 3, 5, 2)))
    assert layout.sample_shape(n_sensors=2) == (3, 2, 2)
    assert infer_layout(np.zeros((2, 5))).sample_shape(1) == (1,)


def test_sensor_layout_is_not_grid():
    layout = SensorLayout(3, 4, 5, 1)
    assert layout.patch_grid is None
    assert not layout.is_grid


def test_infer_layout_grid_needs_patch_size():
    with pytest.raises(ValueError, match="needs patch_size; got patch_size=None"):
        infer_layout(np.zeros((2, 3, 1, 4, 4)))


def test_infer_layout_grid_not_divisible():
    with pytest.raises(ValueError,
                       match=r"height=4, width=6\) must be divisible by "
                             r"patch_size=4"):
        infer_layout(np.zeros((2, 3, 1, 4, 6)), patch_size=4)


@pytest.mark.parametrize("shape", [(5,), (2, 3, 4, 5, 6, 7)])
def test_infer_layout_wrong_ndim(shape):
    with pytest.raises(ValueError, match=r"must have 2 to 5 axes.*got an array "
                                         r"of shape"):
        infer_layout(np.zeros(shape))


def test_infer_layout_one_dimensional_says_reshape():
    with pytest.raises(ValueError, match=r"Reshape your data: X\.reshape\(-1, "
                                         r"1\) for one sensor"):
        infer_layout(np.zeros(4))
    with pytest.raises(ValueError) as excinfo:
        infer_layout(np.zeros((1, 2, 3, 4, 5, 6)))
    assert "Reshape" not in str(excinfo.value)


def test_infer_layout_uses_name():
    with pytest.raises(ValueError, match="^y must have 2 to 5 axes"):
        infer_layout(np.zeros(3), name="y")


def test_patchify_values():
    grid = np.arange(1 * 1 * 1 * 4 * 6, dtype=float).reshape(1, 1, 1, 4, 6)
    patches = patchify(grid, 2)
    assert patches.shape == (1, 1, 6, 4)
    # patches are row-major over the patch grid, cells row-major inside
    np.testing.assert_array_equal(patches[0, 0, 0], [0, 1, 6, 7])
    np.testing.assert_array_equal(patches[0, 0, 1], [2, 3, 8, 9])
    np.testing.assert_array_equal(patches[0, 0, 3], [12, 13, 18, 19])


def test_patchify_channel_major_values():
    grid = np.stack([np.zeros((2, 2)), np.ones((2, 2))])[None, None]
    np.testing.assert_array_equal(patchify(grid, 2)[0, 0, 0],
                                  [0, 0, 0, 0, 1, 1, 1, 1])


def test_patchify_unpatchify_round_trip():
    grid = _random((3, 2, 2, 6, 9))
    patches = patchify(grid, 3)
    assert patches.shape == (3, 2, 6, 18)
    np.testing.assert_array_equal(unpatchify(patches, (2, 3), 3), grid)


def test_patchify_pad_fills_nan_and_crops_back():
    grid = _random((2, 3, 1, 5, 7))
    patches = patchify(grid, 2, pad=True)
    assert patches.shape == (2, 3, 12, 4)
    # 3 x 4 patches of 4 cells = 48 cells, 35 of them real
    assert np.isnan(patches).sum() == 2 * 3 * (48 - 35)
    padded = unpatchify(patches, (3, 4), 2)
    assert padded.shape == (2, 3, 1, 6, 8)
    assert np.isnan(padded[..., 5, :]).all()
    assert np.isnan(padded[..., :, 7]).all()
    back = unpatchify(patches, (3, 4), 2, grid_shape=(5, 7))
    np.testing.assert_array_equal(back, grid)


def test_patchify_pad_noop_when_divisible():
    grid = _random((1, 1, 1, 4, 4))
    np.testing.assert_array_equal(patchify(grid, 2, pad=True),
                                  patchify(grid, 2))


def test_patchify_not_divisible_without_pad():
    with pytest.raises(ValueError, match="must be divisible by patch_size=2"):
        patchify(np.zeros((1, 1, 1, 5, 4)), 2)


def test_patchify_wrong_ndim():
    with pytest.raises(ValueError, match=r"grid must have 5 axes.*got shape "
                                         r"\(2, 3, 4\)"):
        patchify(np.zeros((2, 3, 4)), 2)


def test_unpatchify_mismatch():
    with pytest.raises(ValueError, match=r"do not match patch_grid=\(2, 2\)"):
        unpatchify(np.zeros((1, 1, 6, 4)), (2, 2), 2)
    with pytest.raises(ValueError, match=r"patches must have 4 axes .* got "
                                         r"shape \(6, 4\)"):
        unpatchify(np.zeros((6, 4)), (2, 3), 2)
    with pytest.raises(ValueError, match=r"patch_grid must be .* got \(6,\)"):
        unpatchify(np.zeros((1, 1, 6, 4)), (6,), 2)


@pytest.mark.parametrize("patch_size, error, match", [
    (0, ValueError, "patch_size must be an int >= 1; got 0"),
    (-2, ValueError, "got -2"),
    (2.0, TypeError, "got 2.0 of type float"),
    (None, TypeError, "got None of type NoneType"),
])
def test_patchify_and_unpatchify_reject_a_bad_patch_size(patch_size, error,
                                                         match):
    with pytest.raises(error, match=match):
        patchify(np.zeros((1, 1, 1, 4, 4)), patch_size)
    with pytest.raises(error, match=match):
        unpatchify(np.zeros((1, 1, 4, 4)), (2, 2), patch_size)


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_tokens_round_trip(name):
    shape, patch_size, n_sensors, n_steps, _, n_values = LAYOUTS[name]
    X = _random(shape)
    layout = infer_layout(X, patch_size=patch_size)
    tokens = to_tokens(X, layout)
    assert tokens.shape == (shape[0], n_sensors, n_steps, n_values)
    np.testing.assert_array_equal(from_tokens(tokens, layout), X)


def test_to_tokens_values_3d_and_view():
    X = _random((2, 4, 3))
    tokens = to_tokens(X, infer_layout(X))
    # token of sensor j holds that sensor's steps
    np.testing.assert_array_equal(tokens[1, 2, :, 0], X[1, :, 2])
    assert np.shares_memory(tokens, X)


def test_to_tokens_grid_token_is_patch():
    X = _random((2, 3, 1, 4, 4))
    layout = infer_layout(X, patch_size=2)
    tokens = to_tokens(X, layout)
    # sensor 1 is the top-right patch; at step 2 its values are its 4 cells
    np.testing.assert_array_equal(tokens[0, 1, 2],
                                  X[0, 2, 0, :2, 2:].ravel())


@pytest.mark.parametrize("name", ["2d", "3d", "4d"])
def test_take_put_sensors_round_trip(name):
    shape, patch_size, *_ = LAYOUTS[name]
    X = _random(shape)
    layout = infer_layout(X, patch_size=patch_size)
    indices = np.array([0, 2, 3])
    kept = take_sensors(X, layout, indices)
    sensor_axis = 1 if X.ndim == 2 else 2
    expected_shape = list(shape)
    expected_shape[sensor_axis] = 3
    assert kept.shape == tuple(expected_shape)
    np.testing.assert_array_equal(kept, np.take(X, indices, axis=sensor_axis))
    back = put_sensors(kept, layout, indices, fill_value=-1.0)
    assert back.shape == shape
    np.testing.assert_array_equal(np.take(back, indices, axis=sensor_axis),
                                  kept)
    dropped = np.take(back, [1, 4], axis=sensor_axis)
    assert (dropped == -1.0).all()


def test_take_put_sensors_grid():
    X = _random((2, 3, 2, 4, 6))
    layout = infer_layout(X, patch_size=2)
    indices = np.array([1, 4])
    kept = take_sensors(X, layout, indices)
    assert kept.shape == (2, 3, 2, 8)
    np.testing.assert_array_equal(kept, patchify(X, 2)[:, :, indices])
    back = put_sensors(kept, layout, indices)
    assert back.shape == X.shape
    # patch 1 = rows 0:2, cols 2:4; patch 4 = rows 2:4, cols 2:4
    np.testing.assert_array_equal(back[..., 0:2, 2:4], X[..., 0:2, 2:4])
    np.testing.assert_array_equal(back[..., 2:4, 2:4], X[..., 2:4, 2:4])
    assert (back[..., :, 0:2] == 0).all()
    assert (back[..., :, 4:6] == 0).all()
