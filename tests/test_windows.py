"""Tests of sklearn_dynst._windows."""

import numpy as np
import pandas as pd
import pytest

from sklearn_dynst import make_windows, temporal_train_test_split
from sklearn_dynst._windows import chronological_split


def _series(n_timesteps=10, n_sensors=3):
    # value = 10 * step + sensor: each value tells where it came from
    return (10.0 * np.arange(n_timesteps)[:, None]
            + np.arange(n_sensors)[None, :])


def _frame(n_timesteps=10, n_sensors=3):
    index = pd.date_range("2024-01-01", periods=n_timesteps, freq="5min")
    return pd.DataFrame(_series(n_timesteps, n_sensors), index=index,
                        columns=[f"s{j}" for j in range(n_sensors)])


# ---------------------------------------------------------------- make_windows
def test_make_windows_values():
    series = _series()
    X, y = make_windows(series, n_steps_in=3, horizon=2)
    assert X.shape == (6, 3, 3)
    assert y.shape == (6, 2, 3)
    for i in range(6):
        np.testing.assert_array_equal(X[i], series[i:i + 3])
        np.testing.assert_array_equal(y[i], series[i + 3:i + 5])


def test_make_windows_zero_copy_and_read_only():
    series = _series()
    X, y = make_windows(series, 3, 2)
    assert np.shares_memory(X, series)
    assert np.shares_memory(y, series)
    assert not X.flags.writeable


def test_make_windows_int_series_is_converted():
    series = np.arange(20).reshape(10, 2)
    X, _ = make_windows(series, 3, 2)
    assert X.dtype.kind == "f"
    np.testing.assert_array_equal(X[1, :, 1], [3.0, 5.0, 7.0])


def test_make_windows_stride():
    series = _series(n_timesteps=12)
    X, y, index = make_windows(series, 3, 2, stride=3, return_index=True)
    # starts at 0, 3, 6 (9 + 5 > 12)
    assert X.shape == (3, 3, 3)
    np.testing.assert_array_equal(X[:, 0, 0], [0.0, 30.0, 60.0])
    np.testing.assert_array_equal(y[:, 0, 0], [30.0, 60.0, 90.0])
    np.testing.assert_array_equal(index, [2, 5, 8])


def test_make_windows_channels():
    series = np.random.default_rng(0).normal(size=(12, 3, 2))
    X, y = make_windows(series, 4, 3)
    assert X.shape == (6, 4, 3, 2)
    assert y.shape == (6, 3, 3, 2)
    np.testing.assert_array_equal(X[2], series[2:6])
    np.testing.assert_array_equal(y[2], series[6:9])


def test_make_windows_grid_series():
    series = np.random.default_rng(0).normal(size=(10, 2, 4, 6))
    X, y = make_windows(series, 3, 2)
    assert X.shape == (6, 3, 2, 4, 6)
    assert y.shape == (6, 2, 2, 4, 6)
    np.testing.assert_array_equal(X[4], series[4:7])
    np.testing.assert_array_equal(y[4], series[7:9])


def test_make_windows_keeps_nan():
    series = _series()
    series[4, 1] = np.nan
    X, y = make_windows(series, 3, 2)
    assert np.isnan(X[2, 2, 1])
    assert np.isnan(y[0, 1, 1])
    assert np.isnan(X).sum() == 3


def test_make_windows_return_index_array():
    _, _, index = make_windows(_series(), 3, 2, return_index=True)
    np.testing.assert_array_equal(index, np.arange(2, 8))


def test_make_windows_frame():
    frame = _frame()
    X, y = make_windows(frame, 3, 2, as_frame=True)
    assert isinstance(X, pd.DataFrame) and isinstance(y, pd.DataFrame)
    assert X.shape == (6, 9) and y.shape == (6, 6)
    assert X.columns.names == ["step", "sensor"]
    assert y.columns.names == ["horizon", "sensor"]
    assert X.columns.tolist()[:4] == [(0, "s0"), (0, "s1"), (0, "s2"),
                                      (1, "s0")]
    assert y.columns.get_level_values("horizon").unique().tolist() == [1, 2]
    # index: time of the last input step
    assert X.index.equals(frame.index[2:8])
    assert y.index.equals(frame.index[2:8])
    assert X.loc[frame.index[2], (0, "s1")] == 1.0
    assert X.loc[frame.index[2], (2, "s2")] == 22.0
    assert y.loc[frame.index[2], (1, "s0")] == 30.0
    assert y.loc[frame.index[2], (2, "s2")] == 42.0


def test_make_windows_frame_as_arrays_with_time_index():
    frame = _frame()
    X, y, index = make_windows(frame, 3, 2, return_index=True)
    assert isinstance(X, np.ndarray)
    np.testing.assert_array_equal(X, make_windows(_series(), 3, 2)[0])
    assert isinstance(index, pd.DatetimeIndex)
    assert index.equals(frame.index[2:8])


def test_make_windows_drop_empty():
    series = _series(n_timesteps=12, n_sensors=2)
    # steps 3-5 missing: the targets of windows 0 and 1 (steps 3-4, 4-5)
    # and the inputs of window 3 (steps 3-5) are empty
    series[3:6] = np.nan
    X, y, index = make_windows(series, 3, 2, drop_empty=True,
                               return_index=True)
    X_all, y_all = make_windows(series, 3, 2)
    assert len(X_all) == 8
    np.testing.assert_array_equal(index, [4, 6, 7, 8, 9])
    assert len(X) == len(y) == 5
    np.testing.assert_array_equal(X[1], X_all[4])
    np.testing.assert_array_equal(y[0], y_all[2])
    # window 2 has partly missing inputs and targets and is kept
    assert np.isnan(X[0]).any() and np.isnan(y[0]).any()


def test_make_windows_too_short():
    with pytest.raises(ValueError,
                       match=r"at least n_steps_in \+ horizon = 12 steps; got "
                             r"n_timesteps=10"):
        make_windows(_series(), 8, 4)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [({"n_steps_in": 0}, ValueError, "n_steps_in must be an int >= 1; got 0"),
     ({"n_steps_in": 2.0}, TypeError,
      "n_steps_in must be an int >= 1; got 2.0 of type float"),
     ({"horizon": -1}, ValueError, "horizon must be an int >= 1; got -1"),
     ({"horizon": True}, TypeError,
      "horizon must be an int >= 1; got True of type bool"),
     ({"stride": 0}, ValueError, "stride must be an int >= 1; got 0")],
)
def test_make_windows_bad_ints(kwargs, error, match):
    params = {"n_steps_in": 3, "horizon": 2, **kwargs}
    with pytest.raises(error, match=match):
        make_windows(_series(), **params)


def test_make_windows_non_chronological_frame():
    frame = _frame().iloc[[0, 1, 3, 2, 4, 5, 6, 7, 8, 9]]
    with pytest.raises(ValueError, match="index of series must be "
                                         "chronological"):
        make_windows(frame, 3, 2)


def test_make_windows_as_frame_needs_frame():
    with pytest.raises(TypeError, match="as_frame=True needs a pandas "
                                        "DataFrame.*got ndarray"):
        make_windows(_series(), 3, 2, as_frame=True)


def test_make_windows_wrong_ndim():
    with pytest.raises(ValueError, match=r"got shape \(10,\)"):
        make_windows(np.arange(10.0), 3, 2)


def test_make_windows_infinite():
    series = _series()
    series[5, 0] = np.inf
    with pytest.raises(ValueError, match="infinite value"):
        make_windows(series, 3, 2)


def test_make_windows_strings():
    with pytest.raises(TypeError, match="must hold numbers"):
        make_windows(np.array([["a", "b"]] * 10), 3, 2)


# --------------------------------------------------------- chronological split
def test_chronological_split_fraction_and_gap():
    train, test = chronological_split(10, 0.2, gap=1)
    np.testing.assert_array_equal(train, np.arange(7))
    np.testing.assert_array_equal(test, [8, 9])


def test_chronological_split_int_and_rounding():
    train, test = chronological_split(10, 3)
    np.testing.assert_array_equal(test, [7, 8, 9])
    np.testing.assert_array_equal(train, np.arange(7))
    # a fraction is rounded up
    assert len(chronological_split(10, 0.15)[1]) == 2


@pytest.mark.parametrize("n_samples, test_size, gap",
                         [(10, 10, 0), (5, 2, 3), (10, 0.01, 9)])
def test_chronological_split_too_small(n_samples, test_size, gap):
    with pytest.raises(ValueError, match="both need at least one"):
        chronological_split(n_samples, test_size, gap=gap)


@pytest.mark.parametrize(
    "test_size, gap, error, match",
    [(0, 0, ValueError, "test_size must be an int >= 1; got 0"),
     (2.5, 0, ValueError, r"int >= 1 or a float in \(0, 1\); got 2.5"),
     (1.0, 0, ValueError, r"float in \(0, 1\); got 1.0"),
     ("a", 0, TypeError, "got 'a' of type str"),
     (True, 0, TypeError, "got True of type bool"),
     (0.2, -1, ValueError, "gap must be an int >= 0; got -1"),
     (0.2, 1.5, TypeError, "gap must be an int >= 0; got 1.5 of type float")],
)
def test_split_rejects_bad_test_size_and_gap(test_size, gap, error, match):
    # a negative gap used to put rows in both parts
    with pytest.raises(error, match=match):
        chronological_split(10, test_size, gap=gap)
    with pytest.raises(error, match=match):
        temporal_train_test_split(np.arange(10), test_size=test_size, gap=gap)


def test_temporal_train_test_split_order():
    X, y = np.arange(20).reshape(10, 2), np.arange(10)
    X_train, X_test, y_train, y_test = temporal_train_test_split(
        X, y, test_size=0.3)
    np.testing.assert_array_equal(y_train, np.arange(7))
    np.testing.assert_array_equal(y_test, [7, 8, 9])
    np.testing.assert_array_equal(X_test, X[7:])


def test_temporal_train_test_split_gap():
    y = np.arange(10)
    y_train, y_test = temporal_train_test_split(y, test_size=2, gap=3)
    np.testing.assert_array_equal(y_train, np.arange(5))
    np.testing.assert_array_equal(y_test, [8, 9])


def test_temporal_train_test_split_frames_and_lists():
    frame = _frame()
    f_train, f_test, l_train, l_test = temporal_train_test_split(
        frame, list(range(10)), test_size=0.2)
    pd.testing.assert_frame_equal(f_test, frame.iloc[8:])
    assert l_train == list(range(8))
    assert l_test == [8, 9]


def test_temporal_train_test_split_non_chronological():
    frame = _frame().iloc[::-1]
    with pytest.raises(ValueError, match="index of array 1 must be "
                                         "chronological"):
        temporal_train_test_split(np.zeros(10), frame)


def test_temporal_train_test_split_mismatched_lengths():
    with pytest.raises(ValueError, match=r"same number of rows; got \[10, 9\]"):
        temporal_train_test_split(np.zeros(10), np.zeros(9))


def test_temporal_train_test_split_no_array():
    with pytest.raises(ValueError, match="needs at least one array"):
        temporal_train_test_split()


def test_make_windows_frame_drop_empty_returns_time_stamps():
    frame = _frame(n_timesteps=12, n_sensors=2)
    frame.iloc[3:6] = np.nan
    X, y, index = make_windows(frame, 3, 2, as_frame=True, drop_empty=True,
                               return_index=True)
    assert index.equals(frame.index[[4, 6, 7, 8, 9]])
    assert X.index.equals(index) and y.index.equals(index)
    # the window ending at step 6 reads steps 4 and 5 (missing) and 6
    np.testing.assert_array_equal(X.iloc[1].to_numpy(),
                                  [np.nan, np.nan, np.nan, np.nan, 60.0, 61.0])
