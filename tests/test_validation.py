"""Tests of sklearn_dynst._validation."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from sklearn_dynst import make_windows
from sklearn_dynst._validation import (
    check_adjacency,
    check_chronological,
    check_coverage,
    check_n_kept,
    check_n_samples,
    check_sensor_array,
    check_sensor_names,
    get_sensor_names,
)


# ---------------------------------------------------------- check_sensor_array
def test_check_sensor_array_float_is_a_view():
    X = np.zeros((4, 3, 2))
    X_checked, layout = check_sensor_array(X)
    assert X_checked is X
    assert layout.n_sensors == 2 and layout.n_steps == 3


def test_check_sensor_array_ints_and_lists_become_float():
    X_checked, layout = check_sensor_array([[1, 2, 3], [4, 5, 6]])
    assert X_checked.dtype == np.float64
    np.testing.assert_array_equal(X_checked, [[1, 2, 3], [4, 5, 6]])
    assert layout.ndim == 2 and layout.n_sensors == 3


def test_check_sensor_array_keeps_nan():
    X = np.array([[1.0, np.nan], [2.0, 3.0]])
    X_checked, _ = check_sensor_array(X)
    assert np.isnan(X_checked[0, 1])


def test_check_sensor_array_plain_frame():
    frame = pd.DataFrame({"a": [1, 2], "b": [3.0, np.nan]})
    X_checked, layout = check_sensor_array(frame)
    assert layout.ndim == 2 and layout.n_sensors == 2
    np.testing.assert_array_equal(X_checked, [[1.0, 3.0], [2.0, np.nan]])


@pytest.mark.parametrize("X", [np.array([["a", "b"], ["c", "d"]]),
                               np.array([[object(), 1.0]], dtype=object)])
def test_check_sensor_array_non_numeric(X):
    with pytest.raises(TypeError, match="X must hold numbers"):
        check_sensor_array(X)


def test_check_sensor_array_string_frame():
    frame = pd.DataFrame({"a": ["x", "y"], "b": [1.0, 2.0]})
    with pytest.raises(TypeError, match="must hold numbers.*Given dtype"):
        check_sensor_array(frame)


@pytest.mark.parametrize("make", [sp.csr_matrix, sp.csr_array])
def test_check_sensor_array_sparse(make):
    with pytest.raises(TypeError, match="sparse input is not supported"):
        check_sensor_array(make(np.eye(3)))


def test_check_sensor_array_infinite_names_index():
    X = np.zeros((3, 4, 5))
    X[1, 2, 3] = -np.inf
    X[2, 0, 0] = np.inf
    with pytest.raises(ValueError, match=r"got 2 infinite value\(s\), the "
                                         r"first at index \(1, 2, 3\)"):
        check_sensor_array(X)


def test_check_sensor_array_min_samples_and_empty_axes():
    with pytest.raises(ValueError, match=r"at least 2 sample\(s\); got shape "
                                         r"\(1, 3\)"):
        check_sensor_array(np.zeros((1, 3)), ensure_min_samples=2)
    with pytest.raises(ValueError, match="at least one sensor and one step"):
        check_sensor_array(np.zeros((3, 4, 0)))


def test_check_sensor_array_name_in_message():
    with pytest.raises(ValueError, match="^y must contain finite values"):
        check_sensor_array(np.array([[np.inf]]), name="y")


def test_check_sensor_array_grid_not_divisible():
    with pytest.raises(ValueError, match="divisible by patch_size=2"):
        check_sensor_array(np.zeros((2, 3, 1, 4, 5)), patch_size=2)


# ---------------------------------------------------------------- window frames
def _window_frame():
    index = pd.date_range("2024-01-01", periods=8, freq="h")
    frame = pd.DataFrame(np.arange(24.0).reshape(8, 3), index=index,
                         columns=["a", "b", "c"])
    return make_windows(frame, 3, 2, as_frame=True)


def test_window_frame_read_as_3d():
    X_frame, y_frame = _window_frame()
    X, layout = check_sensor_array(X_frame)
    assert X.shape == (4, 3, 3)
    assert layout.ndim == 3 and layout.n_steps == 3 and layout.n_sensors == 3
    # step 2, sensor "b" of the first window is row 2 of the series
    assert X[0, 2, 1] == 7.0
    y, y_layout = check_sensor_array(y_frame)
    assert y.shape == (4, 2, 3) and y_layout.n_steps == 2
    assert y[0, 0, 0] == 9.0


def test_window_frame_incomplete_grid():
    X_frame, _ = _window_frame()
    with pytest.raises(ValueError, match="do not form a full step-major grid "
                                         "of 3 steps x 3 sensors; got 8"):
        check_sensor_array(X_frame.iloc[:, :-1])


def test_get_sensor_names():
    X_frame, _ = _window_frame()
    np.testing.assert_array_equal(get_sensor_names(X_frame), ["a", "b", "c"])
    frame = pd.DataFrame(np.zeros((2, 2)), columns=["x", "y"])
    assert get_sensor_names(frame).tolist() == ["x", "y"]
    assert get_sensor_names(pd.DataFrame(np.zeros((2, 2)))) is None
    assert get_sensor_names(np.zeros((2, 2))) is None


# ---------------------------------------------------------- check_sensor_names
class _Fitted:
    pass


def test_check_sensor_names_reset():
    estimator = _Fitted()
    frame = pd.DataFrame(np.zeros((2, 3)), columns=["a", "b", "c"])
    check_sensor_names(estimator, frame, reset=True)
    np.testing.assert_array_equal(estimator.feature_names_in_, ["a", "b", "c"])
    check_sensor_names(estimator, np.zeros((2, 3)), reset=True)
    assert not hasattr(estimator, "feature_names_in_")


def test_check_sensor_names_after_fit():
    estimator = _Fitted()
    estimator.feature_names_in_ = np.array(["a", "b", "c"], dtype=object)
    kept = np.array([True, False, True])
    same = pd.DataFrame(np.zeros((2, 3)), columns=["a", "b", "c"])
    assert check_sensor_names(estimator, same, reset=False) is None
    only_kept = pd.DataFrame(np.zeros((2, 2)), columns=["a", "c"])
    assert check_sensor_names(estimator, only_kept, reset=False,
                              kept=kept) is None
    with pytest.raises(ValueError, match=r"Unexpected: \[\]; missing: \['b'\]"):
        check_sensor_names(estimator, only_kept, reset=False)
    other = pd.DataFrame(np.zeros((2, 3)), columns=["a", "x", "c"])
    with pytest.raises(ValueError, match=r"Unexpected: \['x'\]"):
        check_sensor_names(estimator, other, reset=False, kept=kept)
    reordered = pd.DataFrame(np.zeros((2, 3)), columns=["c", "b", "a"])
    with pytest.raises(ValueError, match="or the order differs"):
        check_sensor_names(estimator, reordered, reset=False)
    with pytest.warns(UserWarning, match="X does not have valid feature "
                                         "names, but _Fitted was fitted with"):
        check_sensor_names(estimator, np.zeros((2, 3)), reset=False)


def test_check_sensor_names_fitted_without_names():
    estimator = _Fitted()
    frame = pd.DataFrame(np.zeros((2, 2)), columns=["a", "b"])
    with pytest.warns(UserWarning, match="X has feature names, but _Fitted "
                                         "was fitted without feature names"):
        check_sensor_names(estimator, frame, reset=False)
    assert check_sensor_names(estimator, np.zeros((2, 2)), reset=False) is None


# -------------------------------------------------------------- check_coverage
def test_check_coverage_accepts_partly_missing():
    tokens = np.ones((3, 2, 4, 1))
    tokens[0, 0] = np.nan
    tokens[1, :, :2] = np.nan
    assert check_coverage(tokens) is None


def test_check_coverage_all_nan_sample():
    tokens = np.ones((5, 2, 4, 1))
    tokens[[1, 3]] = np.nan
    with pytest.raises(ValueError, match=r"2 sample\(s\) are all NaN, e\.g\. "
                                         r"at positions \[1, 3\]"):
        check_coverage(tokens)


def test_check_coverage_all_nan_sensor():
    tokens = np.ones((5, 4, 3, 2))
    tokens[:, 2] = np.nan
    with pytest.raises(ValueError, match=r"1 sensor\(s\) are all NaN, at "
                                         r"sensor indices \[2\]"):
        check_coverage(tokens, name="y")
    # at predict time a silent sensor is allowed
    assert check_coverage(tokens, check_sensors=False) is None


# ---------------------------------------------------------- simple checks
def test_check_n_samples():
    assert check_n_samples(np.zeros(3), np.zeros(3)) is None
    with pytest.raises(ValueError, match="X has 5 samples, y has 4"):
        check_n_samples(np.zeros((5, 2)), np.zeros((4, 2)))


def test_check_adjacency_valid():
    adjacency = check_adjacency([[0, 1], [1, 0]], 2)
    assert adjacency.dtype == np.float64
    np.testing.assert_array_equal(adjacency, [[0, 1], [1, 0]])
    sparse = check_adjacency(sp.csr_matrix(np.eye(3)), 3)
    np.testing.assert_array_equal(sparse, np.eye(3))


def test_check_adjacency_wrong_shape():
    with pytest.raises(ValueError, match=r"shape \(n_sensors, n_sensors\) = "
                                         r"\(3, 3\); got \(2, 2\)"):
        check_adjacency(np.eye(2), 3)


@pytest.mark.parametrize("bad, match", [(-1.0, "min=-1.0"),
                                        (np.nan, r"1 non-finite value\(s\)")])
def test_check_adjacency_bad_values(bad, match):
    adjacency = np.eye(3)
    adjacency[0, 1] = bad
    with pytest.raises(ValueError, match="finite, non-negative edge weights.*"
                                         + match):
        check_adjacency(adjacency, 3)


def test_check_chronological():
    index = pd.date_range("2024-01-01", periods=5, freq="h")
    assert check_chronological(index) is None
    assert check_chronological(pd.RangeIndex(5)) is None
    assert check_chronological(np.array([3, 1, 2])) is None  # no time stamps
    with pytest.raises(ValueError, match=r"index of X must be chronological.*"
                                         r"Sort it with \.sort_index\(\)"):
        check_chronological(index[[0, 2, 1, 3, 4]])
    with pytest.raises(ValueError, match="index of y must be chronological"):
        check_chronological(pd.Index([5, 4, 3]), name="y")


def test_check_chronological_repeated_stamp():
    index = pd.DatetimeIndex(["2024-01-01 00:00", "2024-01-01 01:00",
                              "2024-01-01 01:00", "2024-01-01 02:00"])
    with pytest.raises(ValueError, match="goes back or repeats"):
        check_chronological(index)


def test_check_chronological_names_the_step_that_goes_back():
    with pytest.raises(ValueError, match=r"at position 3 \(30 then 25\)"):
        check_chronological(pd.Index([10, 20, 30, 25, 50]))


def test_check_n_kept():
    assert check_n_kept(0.0, 10) == 10
    assert check_n_kept(0.3, 10) == 7
    assert check_n_kept(0.5, 5) == 3       # half rounds up
    assert check_n_kept(0.25, 2) == 2
    with pytest.raises(ValueError, match="switches off every one of the 4 "
                                         r"sensors.*sparsity <= 0\.7500"):
        check_n_kept(0.9, 4)


@pytest.mark.parametrize("sparsity", [1.0, -0.1, "0.5"])
def test_check_n_kept_out_of_range(sparsity):
    with pytest.raises(ValueError, match=r"sparsity must be in \[0, 1\)"):
        check_n_kept(sparsity, 10)


def test_check_sensor_array_complex():
    with pytest.raises(ValueError, match="Complex data not supported"):
        check_sensor_array(np.array([[1 + 2j, 3.0]]))
    frame = pd.DataFrame({"a": [1 + 1j, 2.0], "b": [1.0, 2.0]})
    with pytest.raises(ValueError, match="Complex data not supported"):
        check_sensor_array(frame)


def test_check_sensor_array_no_sensor_message():
    with pytest.raises(ValueError, match=r"0 feature\(s\) \(shape=\(3, 0\)\) "
                                         r"while a minimum of 1 is required"):
        check_sensor_array(np.zeros((3, 0)))
