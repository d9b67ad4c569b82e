"""How busy an input window is."""

import warnings

import numpy as np

__all__ = ["window_variability"]


def window_variability(X):
    """Mean over sensors of each sensor's standard deviation over the steps.

    A measure of how busy each input window is (a calm window varies
    little in time), to set against what an input-adaptive model spends on
    it. Missing readings (NaN) are left out; values of a sensor that holds
    several (grid patches, channels) each count as one series.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_steps, n_sensors[, n_values])
        Input windows.

    Returns
    -------
    variability : ndarray of shape (n_samples,)
        In the units of ``X``; NaN for a window without two readings of any
        series.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst.metrics import window_variability
    >>> calm = np.ones((1, 4, 3))
    >>> busy = np.array([[[0.0], [2.0], [0.0], [2.0]]]).repeat(3, axis=2)
    >>> window_variability(np.concatenate([calm, busy])).tolist()
    [0.0, 1.0]
    """
    X = np.asarray(X, dtype=float)
    if X.ndim not in (3, 4):
        raise ValueError(
            "X must be windows (n_samples, n_steps, n_sensors[, n_values]); "
            f"got an array of shape {X.shape}.")
    series = X.reshape(X.shape[0], X.shape[1], -1)
    with warnings.catch_warnings():  # all-missing series give NaN, quietly
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(np.nanstd(series, axis=1), axis=1)
