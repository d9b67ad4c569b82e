"""Tests of sklearn_dynst._selection (BaseSensorSelector)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.pipeline import make_pipeline

from sklearn_dynst import make_windows, patchify
from sklearn_dynst._selection import BaseSensorSelector


class KeepLast(BaseSensorSelector):
    """Keep the last sensors; the score of a sensor is its index."""

    def _fit_support(self, X_tokens, y_tokens, layout, n_kept):
        support = np.zeros(layout.n_sensors, dtype=bool)
        support[layout.n_sensors - n_kept:] = True
        return support, np.arange(layout.n_sensors, dtype=float)


class KeepNone(BaseSensorSelector):
    def _fit_support(self, X_tokens, y_tokens, layout, n_kept):
        return np.zeros(layout.n_sensors, dtype=bool), None


def _data(shape, seed=0):
    return np.random.default_rng(seed).normal(size=shape)


# 4 sensors, sparsity 0.5 keeps sensors 2 and 3
LAYOUTS = {
    "2d": ((6, 4), lambda X, idx: X[:, idx]),
    "3d": ((6, 5, 4), lambda X, idx: X[:, :, idx]),
    "4d": ((6, 5, 4, 3), lambda X, idx: X[:, :, idx]),
}


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_fit_attributes_and_transform_values(name):
    shape, take = LAYOUTS[name]
    X = _data(shape)
    selector = KeepLast(sparsity=0.5).fit(X)
    assert selector.n_features_in_ == 4
    assert selector.input_layout_.ndim == len(shape)
    np.testing.assert_array_equal(selector.support_,
                                  [False, False, True, True])
    np.testing.assert_array_equal(selector.get_support(indices=True), [2, 3])
    np.testing.assert_array_equal(selector.sensor_scores_, [0, 1, 2, 3])
    assert selector.sparsity_ == pytest.approx(0.5)
    assert not hasattr(selector, "support_grid_")
    X_kept = selector.transform(X)
    np.testing.assert_array_equal(X_kept, take(X, [2, 3]))
    np.testing.assert_array_equal(selector.fit_transform(X), X_kept)


@pytest.mark.parametrize("name", list(LAYOUTS))
def test_inverse_transform_zero_fills_dropped_sensors(name):
    shape, take = LAYOUTS[name]
    X = _data(shape)
    X[(0, 3) if len(shape) == 2 else (0, slice(None), 3)] = np.nan
    selector = KeepLast(sparsity=0.5).fit(X)
    X_back = selector.inverse_transform(selector.transform(X))
    assert X_back.shape == X.shape
    np.testing.assert_array_equal(take(X_back, [0, 1]), 0.0)
    np.testing.assert_array_equal(take(X_back, [2, 3]), take(X, [2, 3]))
    assert np.isnan(X_back).sum() == np.isnan(X).sum() > 0


def test_grid_support_transform_and_inverse():
    grid = _data((3, 2, 2, 4, 6))  # 2 x 3 patches of 2 x 2 cells
    selector = KeepLast(sparsity=0.5, patch_size=2).fit(grid)
    assert selector.n_features_in_ == 6
    np.testing.assert_array_equal(selector.support_grid_,
                                  [[False, False, False], [True, True, True]])
    X_kept = selector.transform(grid)
    assert X_kept.shape == (3, 2, 3, 8)
    np.testing.assert_array_equal(X_kept, patchify(grid, 2)[:, :, 3:])
    back = selector.inverse_transform(X_kept)
    assert back.shape == grid.shape
    np.testing.assert_array_equal(back[..., 2:, :], grid[..., 2:, :])
    np.testing.assert_array_equal(back[..., :2, :], 0.0)


def test_grid_not_divisible_by_patch_size_errors():
    with pytest.raises(ValueError, match="divisible by patch_size=4"):
        KeepLast(patch_size=4).fit(_data((3, 2, 1, 4, 6)))


def test_transform_accepts_other_layouts_with_the_same_sensors():
    X = _data((6, 5, 4))
    selector = KeepLast(sparsity=0.25).fit(X)
    y = _data((6, 2, 4), seed=1)  # a target with 2 horizon steps
    np.testing.assert_array_equal(selector.transform(y), y[:, :, 1:])
    snapshots = _data((3, 4), seed=2)
    np.testing.assert_array_equal(selector.transform(snapshots),
                                  snapshots[:, 1:])


@pytest.mark.parametrize("shape", [(6, 5), (6, 2, 5), (6, 2, 5, 3)])
def test_wrong_number_of_sensors_errors(shape):
    selector = KeepLast().fit(_data((6, 2, 4)))
    with pytest.raises(ValueError, match="X has 5 features, but KeepLast is "
                       "expecting 4 features as input"):
        selector.transform(_data(shape))


def test_inverse_transform_wrong_number_of_sensors_errors():
    selector = KeepLast(sparsity=0.5).fit(_data((6, 4)))
    with pytest.raises(ValueError, match="X has 3 sensors, but KeepLast keeps "
                       "2 sensors"):
        selector.inverse_transform(_data((6, 3)))


def test_sparsity_that_leaves_no_sensor_errors():
    with pytest.raises(ValueError, match="switches off every one of the 4 "
                       "sensors"):
        KeepLast(sparsity=0.9).fit(_data((6, 4)))


@pytest.mark.parametrize("sparsity", [1.0, -0.1, "half"])
def test_invalid_sparsity_errors(sparsity):
    with pytest.raises(ValueError, match="'sparsity' parameter"):
        KeepLast(sparsity=sparsity).fit(_data((6, 4)))


def test_sparsity_zero_keeps_every_sensor():
    X = _data((6, 4))
    selector = KeepLast(sparsity=0.0).fit(X)
    assert selector.support_.all()
    assert selector.sparsity_ == 0.0
    np.testing.assert_array_equal(selector.transform(X), X)


def test_y_with_other_number_of_samples_errors():
    with pytest.raises(ValueError, match="X has 6 samples, y has 5"):
        KeepLast().fit(_data((6, 3, 4)), _data((5, 2, 4)))


def test_all_nan_sensor_and_infinite_values_error():
    X = _data((6, 3, 4))
    X[:, :, 1] = np.nan
    with pytest.raises(ValueError, match=r"sensor indices \[1\]"):
        KeepLast().fit(X)
    selector = KeepLast().fit(_data((6, 3, 4)))
    X = _data((6, 3, 4))
    X[2, 1, 0] = np.inf
    with pytest.raises(ValueError, match="1 infinite value"):
        selector.transform(X)
    with pytest.raises(ValueError, match="1 infinite value"):
        selector.transform(X[:, 1])


def test_nan_readings_pass_through_transform():
    X = _data((6, 3, 4))
    X[1, 2, 3] = np.nan
    X_kept = KeepLast(sparsity=0.5).fit(X).transform(X)
    assert np.isnan(X_kept[1, 2, 1])
    assert np.isnan(X_kept).sum() == 1


def test_subclass_keeping_no_sensor_is_a_runtime_error():
    with pytest.raises(RuntimeError, match="must keep at least one of the 4"):
        KeepNone().fit(_data((6, 4)))


def test_feature_names_and_pandas_output():
    frame = pd.DataFrame(_data((6, 4)), columns=["a", "b", "c", "d"])
    selector = KeepLast(sparsity=0.5).fit(frame)
    np.testing.assert_array_equal(selector.feature_names_in_, list("abcd"))
    np.testing.assert_array_equal(selector.get_feature_names_out(), ["c", "d"])
    selector.set_output(transform="pandas")
    out = selector.transform(frame)
    assert isinstance(out, pd.DataFrame)
    assert out.columns.tolist() == ["c", "d"]
    np.testing.assert_array_equal(out.to_numpy(), frame[["c", "d"]])
    from_numpy = selector.fit_transform(frame.to_numpy())
    assert from_numpy.columns.tolist() == ["x2", "x3"]
    # windows cannot be a DataFrame: they come back as arrays
    windows = _data((6, 2, 4))
    assert selector.fit_transform(windows).shape == (6, 2, 2)


def test_other_feature_names_error():
    frame = pd.DataFrame(_data((6, 4)), columns=["a", "b", "c", "d"])
    selector = KeepLast().fit(frame)
    with pytest.raises(ValueError, match="feature names should match"):
        selector.transform(frame.rename(columns={"a": "z"}))


def test_window_frames_keep_sensor_names():
    series = pd.DataFrame(_data((12, 4)), columns=["a", "b", "c", "d"])
    X, y = make_windows(series, 3, 2, as_frame=True)
    selector = KeepLast(sparsity=0.5).fit(X, y)
    np.testing.assert_array_equal(selector.feature_names_in_, list("abcd"))
    assert selector.input_layout_.ndim == 3
    X_kept = selector.transform(X)
    assert isinstance(X_kept, pd.DataFrame)
    assert X_kept.columns.tolist() == [(0, "c"), (0, "d"), (1, "c"),
                                       (1, "d"), (2, "c"), (2, "d")]
    np.testing.assert_array_equal(X_kept.to_numpy(), X[[(s, n) for s in
                                                        range(3) for n in
                                                        "cd"]].to_numpy())
    y_kept = selector.transform(y)
    assert y_kept.columns.tolist() == [(1, "c"), (1, "d"), (2, "c"), (2, "d")]
    back = selector.inverse_transform(X_kept)
    assert back.columns.equals(X.columns)
    np.testing.assert_array_equal(back[(1, "a")], 0.0)
    np.testing.assert_array_equal(back[(1, "c")], X[(1, "c")])
    other = X.rename(columns={"a": "z"}, level=1)
    with pytest.raises(ValueError, match="feature names should match"):
        selector.transform(other)


def test_pipeline_and_clone():
    X = _data((6, 3, 4))
    pipe = make_pipeline(KeepLast(sparsity=0.25))
    pipe.set_params(keeplast__sparsity=0.5)
    np.testing.assert_array_equal(pipe.fit_transform(X), X[:, :, 2:])
    fitted = KeepLast(sparsity=0.5).fit(X)
    fresh = clone(fitted)
    assert fresh.get_params() == {"sparsity": 0.5, "patch_size": None}
    assert not hasattr(fresh, "support_")
