"""Windowing of raw series and chronological splitting."""

import numbers

import numpy as np
import pandas as pd
from sklearn.utils import _safe_indexing

from ._layouts import check_positive_int
from ._validation import check_chronological, check_sensor_array

__all__ = ["make_windows", "temporal_train_test_split", "chronological_split"]


def _check_test_size(test_size):
    """An int >= 1 (a count) or a float in (0, 1) (a share)."""
    if isinstance(test_size, numbers.Integral) and \
            not isinstance(test_size, bool):
        check_positive_int(test_size, "test_size")
        return
    if not isinstance(test_size, numbers.Real) or isinstance(test_size, bool):
        raise TypeError(f"test_size must be an int >= 1 or a float in (0, 1);"
                        f" got {test_size!r} of type "
                        f"{type(test_size).__name__}.")
    if not 0 < test_size < 1:
        raise ValueError(f"test_size must be an int >= 1 or a float in "
                         f"(0, 1); got {test_size!r}.")


def make_windows(series, n_steps_in, horizon, stride=1, *, as_frame=False,
                 drop_empty=False, return_index=False):
    """Cut a series into input windows ``X`` and the targets ``y`` that follow.

    Window ``i`` holds steps ``[i * stride, i * stride + n_steps_in)`` as input
    and the next ``horizon`` steps as target.

    Parameters
    ----------
    series : array-like or DataFrame
        ``(n_timesteps, n_sensors)``, ``(n_timesteps, n_sensors, n_channels)``
        or grid data ``(n_timesteps, n_channels, height, width)``. A DataFrame
        must be ``(n_timesteps, n_sensors)`` with a chronological index. NaN
        marks missing readings and is kept as is.
    n_steps_in : int
        Number of input steps per window.
    horizon : int
        Number of future steps to forecast.
    stride : int, default=1
        Steps between the starts of consecutive windows.
    as_frame : bool, default=False
        If True (DataFrame ``series`` only), return 2-D DataFrames with
        column levels ``(step, sensor)`` for ``X`` and ``(horizon, sensor)``
        for ``y``, indexed by the time of each window's last input step.
        The estimators read them as 3-D windows and keep the sensor names.
    drop_empty : bool, default=False
        If True, drop the windows whose input or target is entirely missing
        (all NaN); the estimators refuse such samples. The windows kept are
        reported by ``return_index``.
    return_index : bool, default=False
        If True, also return the position (or time stamp, for a DataFrame) of
        each window's last input step.

    Returns
    -------
    X : ndarray of shape (n_windows, n_steps_in, n_sensors[, n_channels]) or DataFrame
        Grid series give ``(n_windows, n_steps_in, n_channels, height,
        width)``. For NumPy input without ``drop_empty`` this is a read-only
        view of a float ``series`` (no copy).
    y : ndarray of shape (n_windows, horizon, ...) or DataFrame
        Same layout as ``X`` with ``horizon`` steps.
    index : ndarray or Index of shape (n_windows,)
        Only if ``return_index=True``.

    Raises
    ------
    ValueError
        If the series is shorter than one window, or a DataFrame's index is
        not chronological.

    See Also
    --------
    temporal_train_test_split : Split windows in time order.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst import make_windows
    >>> series = np.arange(20.0).reshape(10, 2)
    >>> X, y = make_windows(series, n_steps_in=3, horizon=2)
    >>> X.shape, y.shape
    ((6, 3, 2), (6, 2, 2))
    >>> X[0, :, 0], y[0, :, 0]
    (array([0., 2., 4.]), array([6., 8.]))
    >>> np.shares_memory(X, series)
    True
    """
    check_positive_int(n_steps_in, "n_steps_in")
    check_positive_int(horizon, "horizon")
    check_positive_int(stride, "stride")
    frame = series if isinstance(series, pd.DataFrame) else None
    if as_frame and frame is None:
        raise TypeError(
            "as_frame=True needs a pandas DataFrame series "
            f"(n_timesteps, n_sensors); got {type(series).__name__}."
        )
    if frame is not None:
        check_chronological(frame.index, name="series")
    values = np.asarray(series.to_numpy() if frame is not None else series)
    if values.ndim not in (2, 3, 4):
        raise ValueError(
            "series must be (n_timesteps, n_sensors), (n_timesteps, "
            "n_sensors, n_channels) or (n_timesteps, n_channels, height, "
            f"width); got shape {values.shape}."
        )
    # one check for dtype and finiteness: a series is one long sample
    values = check_sensor_array(values[None], name="series", patch_size=1)[0][0]
    length = n_steps_in + horizon
    n_timesteps = values.shape[0]
    if n_timesteps < length:
        raise ValueError(
            f"series must have at least n_steps_in + horizon = {length} "
            f"steps; got n_timesteps={n_timesteps}."
        )
    windows = np.lib.stride_tricks.sliding_window_view(values, length, axis=0)
    windows = np.moveaxis(windows, -1, 1)[::stride]
    X, y = windows[:, :n_steps_in], windows[:, n_steps_in:]
    ends = np.arange(n_steps_in - 1, n_timesteps - horizon, stride)
    if drop_empty:
        keep = _has_observation(X) & _has_observation(y)
        X, y, ends = X[keep], y[keep], ends[keep]
    if frame is not None:
        ends = frame.index[ends]
        if as_frame:
            X, y = _to_window_frame(X, frame, "step", ends), \
                _to_window_frame(y, frame, "horizon", ends, start=1)
    return (X, y, ends) if return_index else (X, y)


def _has_observation(windows):
    return np.isfinite(windows).reshape(len(windows), -1).any(axis=1)


def _to_window_frame(windows, frame, level, index, start=0):
    n, steps, n_sensors = windows.shape
    columns = pd.MultiIndex.from_product(
        [range(start, start + steps), frame.columns], names=[level, "sensor"])
    return pd.DataFrame(windows.reshape(n, steps * n_sensors), index=index,
                        columns=columns)


def chronological_split(n_samples, test_size, *, gap=0):
    """Row positions of a chronological split: the last rows are held out.

    Parameters
    ----------
    n_samples : int
    test_size : float in (0, 1) or int
        Share (float) or number (int) of the last rows to hold out.
    gap : int, default=0
        Rows dropped between the two parts, e.g. the forecast horizon, so
        that no target of the first part overlaps the held-out inputs.

    Returns
    -------
    train : ndarray of int
    test : ndarray of int

    Examples
    --------
    >>> from sklearn_dynst._windows import chronological_split
    >>> train, test = chronological_split(10, 0.2, gap=1)
    >>> train.tolist(), test.tolist()
    ([0, 1, 2, 3, 4, 5, 6], [8, 9])
    """
    _check_test_size(test_size)
    check_positive_int(gap, "gap", minimum=0)
    if isinstance(test_size, numbers.Integral):
        n_test = int(test_size)
    else:
        n_test = int(np.ceil(test_size * n_samples))
    n_train = n_samples - n_test - gap
    if n_test < 1 or n_train < 1:
        raise ValueError(
            f"A chronological split of {n_samples} samples with test_size="
            f"{test_size} and gap={gap} leaves {max(n_train, 0)} sample(s) "
            f"before and {max(n_test, 0)} after; both need at least one."
        )
    return np.arange(n_train), np.arange(n_samples - n_test, n_samples)


def temporal_train_test_split(*arrays, test_size=0.2, gap=0):
    """Split arrays in time order: the first rows train, the last rows test.

    Unlike ``sklearn.model_selection.train_test_split`` nothing is shuffled,
    so no future sample leaks into training.

    Parameters
    ----------
    *arrays : sequence of indexables with the same first dimension
        Arrays, DataFrames or lists. DataFrames must have a chronological
        index.
    test_size : float or int, default=0.2
        Share (float) or number (int) of the last rows for the test part.
    gap : int, default=0
        Rows dropped between the parts. With overlapping windows, use the
        horizon so that training targets do not reach into test inputs.

    Returns
    -------
    splitting : list, length 2 * len(arrays)
        ``[a_train, a_test, b_train, b_test, ...]``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst import temporal_train_test_split
    >>> X, y = np.arange(10).reshape(10, 1), np.arange(10)
    >>> X_train, X_test, y_train, y_test = temporal_train_test_split(
    ...     X, y, test_size=0.3)
    >>> y_train.tolist(), y_test.tolist()
    ([0, 1, 2, 3, 4, 5, 6], [7, 8, 9])
    """
    if not arrays:
        raise ValueError("temporal_train_test_split needs at least one array.")
    lengths = {len(a) for a in arrays}
    if len(lengths) != 1:
        raise ValueError(
            "All arrays must have the same number of rows; got "
            f"{[len(a) for a in arrays]}."
        )
    for position, array in enumerate(arrays):
        if isinstance(array, (pd.DataFrame, pd.Series)):
            check_chronological(array.index, name=f"array {position}")
    train, test = chronological_split(lengths.pop(), test_size, gap=gap)
    out = []
    for array in arrays:
        out += [_safe_indexing(array, train), _safe_indexing(array, test)]
    return out
