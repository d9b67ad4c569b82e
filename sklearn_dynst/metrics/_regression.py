"""Masked regression metrics on NumPy arrays, in original units."""

import warnings

import numpy as np
from sklearn.utils.validation import _check_sample_weight

from .._validation import check_sensor_array
from ..exceptions import EmptyMaskWarning

__all__ = ["masked_mae", "masked_mse", "masked_rmse", "masked_r2_score"]


def _observed_errors(y_true, y_pred, null_value):
    """Errors and the mask of observed truths, both as float arrays."""
    y_true, _ = check_sensor_array(y_true, name="y_true", patch_size=1)
    y_pred = np.asarray(y_pred, dtype=float).reshape(np.shape(y_pred))
    if y_pred.shape != y_true.shape:
        raise ValueError(
            f"y_pred must have the shape of y_true {y_true.shape}; got "
            f"{y_pred.shape}."
        )
    mask = np.isfinite(y_true)
    if null_value is not None:
        mask &= y_true != null_value
    if not np.isfinite(y_pred[mask]).all():
        raise ValueError(
            "y_pred must be finite wherever y_true is observed; got "
            f"{int((~np.isfinite(y_pred[mask])).sum())} non-finite value(s)."
        )
    errors = np.where(mask, y_pred - np.where(mask, y_true, 0.0), 0.0)
    return errors, mask


def _masked_mean(values, mask, per_horizon):
    """Mean of ``values`` over ``mask``: overall, or per horizon (axis 1)."""
    if per_horizon:
        if values.ndim < 3:
            raise ValueError(
                "per_horizon=True needs windowed targets (n_samples, horizon, "
                f"...); got an array of shape {values.shape}."
            )
        axes = (0,) + tuple(range(2, values.ndim))
        total, count = values.sum(axis=axes), mask.sum(axis=axes)
    else:
        total, count = values.sum(), mask.sum()
    if np.any(count == 0):
        warnings.warn(
            "No observed truth to average over (every value is NaN or "
            "null_value) for at least one horizon; returning NaN there.",
            EmptyMaskWarning, stacklevel=3)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
    return mean if per_horizon else float(mean)


def masked_mae(y_true, y_pred, *, null_value=None, per_horizon=False):
    """Mean absolute error over the observed truths.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, horizon, n_sensors[, n_channels]) or (n_samples, n_sensors)
        True values; NaN (and ``null_value``, when given) mark missing
        readings that are left out.
    y_pred : array-like of the same shape
        Forecast values.
    null_value : float, default=None
        A reading that means "missing", e.g. ``0`` for traffic speeds.
    per_horizon : bool, default=False
        If True, return one value per forecast step (axis 1).

    Returns
    -------
    mae : float or ndarray of shape (horizon,)
        NaN, with an :class:`~sklearn_dynst.exceptions.EmptyMaskWarning`,
        where no truth is observed.

    See Also
    --------
    masked_rmse : Root mean squared error over the observed truths.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst.metrics import masked_mae
    >>> y_true = np.array([[[1.0, np.nan], [0.0, 4.0]]])
    >>> y_pred = np.array([[[2.0, 9.0], [1.0, 1.0]]])
    >>> masked_mae(y_true, y_pred)
    1.666...
    >>> masked_mae(y_true, y_pred, null_value=0.0, per_horizon=True)
    array([1., 3.])
    """
    errors, mask = _observed_errors(y_true, y_pred, null_value)
    return _masked_mean(np.abs(errors), mask, per_horizon)


def masked_mse(y_true, y_pred, *, null_value=None, per_horizon=False):
    """Mean squared error over the observed truths.

    Parameters
    ----------
    y_true : array-like
        True values; NaN (and ``null_value``) are left out.
    y_pred : array-like of the same shape
        Forecast values.
    null_value : float, default=None
        A reading that means "missing".
    per_horizon : bool, default=False
        If True, return one value per forecast step (axis 1).

    Returns
    -------
    mse : float or ndarray of shape (horizon,)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst.metrics import masked_mse
    >>> masked_mse(np.array([[1.0, np.nan]]), np.array([[3.0, 0.0]]))
    4.0
    """
    errors, mask = _observed_errors(y_true, y_pred, null_value)
    return _masked_mean(errors**2, mask, per_horizon)


def masked_rmse(y_true, y_pred, *, null_value=None, per_horizon=False):
    """Root mean squared error over the observed truths.

    The root is taken after averaging over all observed values (per horizon
    when asked), as forecasting benchmarks report it.

    Parameters
    ----------
    y_true : array-like
        True values; NaN (and ``null_value``) are left out.
    y_pred : array-like of the same shape
        Forecast values.
    null_value : float, default=None
        A reading that means "missing", e.g. ``0`` for traffic speeds.
    per_horizon : bool, default=False
        If True, return one value per forecast step (axis 1).

    Returns
    -------
    rmse : float or ndarray of shape (horizon,)

    See Also
    --------
    masked_mae : Mean absolute error over the observed truths.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst.metrics import masked_rmse
    >>> masked_rmse(np.array([[1.0, 2.0]]), np.array([[4.0, 6.0]]))
    3.535...
    """
    mse = masked_mse(y_true, y_pred, null_value=null_value,
                     per_horizon=per_horizon)
    return np.sqrt(mse) if per_horizon else float(np.sqrt(mse))


def masked_r2_score(y_true, y_pred, *, sample_weight=None):
    """R^2 over the finite truths, averaged over output columns.

    Each output column (sensor, horizon step, channel) gets its own R^2 over
    the samples where its truth is finite, as scikit-learn's ``r2_score``
    does for multi-output targets with ``multioutput="uniform_average"``;
    columns whose truth does not vary are left out.

    Parameters
    ----------
    y_true : array-like of shape (n_samples, ...)
        True values; NaN marks missing truths.
    y_pred : array-like with as many values per sample
    sample_weight : array-like of shape (n_samples,), default=None

    Returns
    -------
    r2 : float
        NaN, with an :class:`~sklearn_dynst.exceptions.EmptyMaskWarning`,
        if no column has a varying observed truth.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst.metrics import masked_r2_score
    >>> y_true = np.array([[1.0, 10.0], [2.0, np.nan], [3.0, 30.0]])
    >>> masked_r2_score(y_true, np.array([[1.0, 10.0], [2.0, 0.0], [3.0, 20.0]]))
    0.75
    """
    y_pred = np.asarray(y_pred, dtype=float)
    y_true = np.asarray(y_true, dtype=float)
    if y_true.ndim == 0 or y_pred.ndim == 0 or len(y_true) != len(y_pred) \
            or y_true.size != y_pred.size:
        raise ValueError(
            f"y_pred must hold as many samples and values per sample as "
            f"y_true {y_true.shape}; got {y_pred.shape}.")
    y_true = y_true.reshape(len(y_true), -1)
    y_pred = y_pred.reshape(y_true.shape)
    weight = _check_sample_weight(sample_weight, y_true)
    mask = np.isfinite(y_true) * weight[:, None]
    truth = np.where(mask > 0, y_true, 0.0)
    mean = (mask * truth).sum(0) / np.maximum(mask.sum(0), 1e-12)
    total = (mask * (truth - mean) ** 2).sum(0)
    residual = (mask * (truth - y_pred) ** 2).sum(0)
    valid = total > 0
    if not valid.any():
        warnings.warn(
            "No output column has a varying observed truth (every value is "
            "NaN or constant); R^2 is undefined, returning NaN.",
            EmptyMaskWarning, stacklevel=2)
        return float("nan")
    return float(np.mean(1.0 - residual[valid] / total[valid]))
