"""Persistence forecast: the last observed value, repeated."""

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin, _fit_context
from sklearn.utils.validation import check_is_fitted

from .._layouts import from_tokens, to_tokens
from ..metrics import masked_r2_score
from .._validation import check_coverage, check_n_sensors, \
    check_sensor_array, check_sensor_names, check_target

__all__ = ["PersistenceRegressor", "last_observed"]


def last_observed(tokens, fallback):
    """Last finite value of every sensor and value over the steps.

    Parameters
    ----------
    tokens : ndarray of shape (n_samples, n_sensors, n_steps, n_values)
    fallback : ndarray of shape (n_sensors, n_values)
        Used where a sample has no finite value at all for a sensor's value.

    Returns
    -------
    last : ndarray of shape (n_samples, n_sensors, n_values)
    """
    observed = np.isfinite(tokens)
    n_steps = tokens.shape[2]
    # position of the last True along the steps (0 where there is none)
    position = n_steps - 1 - np.argmax(observed[:, :, ::-1], axis=2)
    last = np.take_along_axis(tokens, position[:, :, None], axis=2)[:, :, 0]
    return np.where(observed.any(axis=2), last, fallback)


class PersistenceRegressor(RegressorMixin, BaseEstimator):
    """Forecast the last observed value of every sensor, for every step ahead.

    The naive baseline of the benchmark protocol: a forecaster that does not
    beat it has learned nothing about the dynamics.

    Parameters are none: ``fit`` only learns the layout of the target and
    each sensor's mean.

    Attributes
    ----------
    sensor_means_ : ndarray of shape (n_sensors, n_channels)
        Mean of each sensor (and channel) over the training ``X``, NaN
        ignored. Used only where an input window holds no observed reading
        of a sensor (or channel) at all.
    single_series_ : bool
        True when ``y`` held one value per sample and ``X`` was 2-D: the
        columns of ``X`` were then read as the past steps of one series.
    n_features_in_ : int
        Number of sensors (grid cells for grid data), or the number of
        columns of a 2-D ``X`` when ``single_series_``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Sensor names, when ``X`` is a DataFrame with string column names.
    input_layout_ : SensorLayout
        Layout of the ``X`` given to fit.
    target_layout_ : SensorLayout
        Layout of the ``y`` given to fit.
    target_shape_ : tuple of int
        Shape of one sample of the ``y`` given to fit.

    See Also
    --------
    sklearn_dynst.DynSTRegressor : Learned forecaster on a subset of sensors.

    Notes
    -----
    Layouts: ``X`` is ``(n_samples, n_steps, n_sensors[, n_channels])``,
    grid data ``(n_samples, n_steps, n_channels, height, width)`` (each cell
    is persisted), or ``(n_samples, n_sensors)`` snapshots. ``y`` holds the
    same sensors (and channels) as ``X``: ``(n_samples, horizon,
    n_sensors[, n_channels])``, or ``(n_samples, n_sensors)`` for one step.
    A ``y`` with one value per sample, ``(n_samples,)`` or ``(n_samples,
    1)``, forecasts one series: a 2-D ``X`` is then read as that series'
    past steps, oldest first (the usual lag-feature table). ``predict``
    returns an array shaped like ``y``.

    Missing readings (NaN) are skipped: the forecast is the last *observed*
    value of the window. Only where a window holds no reading of a sensor at
    all does the forecast fall back to the sensor's training mean.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst import make_windows
    >>> from sklearn_dynst.baselines import PersistenceRegressor
    >>> series = np.arange(16.0).reshape(8, 2)
    >>> X, y = make_windows(series, n_steps_in=3, horizon=2)
    >>> model = PersistenceRegressor().fit(X, y)
    >>> model.predict(X[:1])
    array([[[4., 5.],
            [4., 5.]]])
    """

    _parameter_constraints = {}

    def __init__(self):
        pass

    def _as_tokens(self, X_arr, layout, single_series):
        if single_series and layout.ndim == 2:
            return X_arr[:, None, :, None]
        return to_tokens(X_arr, layout)

    def _validate_target(self, X_arr, x_layout, y):
        """Return y's layout, whether it is one series, and its sample shape."""
        y_arr, y_layout, target_shape = check_target(y, X_arr, patch_size=1,
                                                     estimator=self)
        check_coverage(to_tokens(y_arr, y_layout), name="y")
        single_series = (x_layout.ndim == 2 and y_layout.ndim == 2
                         and y_layout.n_sensors == 1)
        x_sensors = 1 if single_series else x_layout.n_sensors
        if (y_layout.n_sensors, y_layout.n_values) != (x_sensors,
                                                       x_layout.n_values):
            raise ValueError(
                "y must hold the same sensors and channels as X (the "
                "forecast repeats each sensor's last value): X has "
                f"{x_sensors} sensor(s) x {x_layout.n_values} channel(s), "
                f"y has {y_layout.n_sensors} x {y_layout.n_values} (y of "
                f"shape {(len(y_arr),) + target_shape} read as "
                f"{y_layout.axes})."
            )
        return y_layout, single_series, target_shape

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Learn the target layout and each sensor's mean.

        Parameters
        ----------
        X : array-like or DataFrame
            Input windows or snapshots (see Notes of the class).
        y : array-like or DataFrame
            Targets with the same sensors and channels as ``X``.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        check_sensor_names(self, X, reset=True)
        X_arr, x_layout = check_sensor_array(X, patch_size=1)
        y_layout, single_series, target_shape = self._validate_target(
            X_arr, x_layout, y)
        tokens = self._as_tokens(X_arr, x_layout, single_series)
        check_coverage(tokens, name="X")
        self.sensor_means_ = np.nanmean(tokens, axis=(0, 2))
        self.single_series_ = single_series
        self.n_features_in_ = x_layout.n_sensors
        self.input_layout_ = x_layout
        self.target_layout_ = y_layout
        self.target_shape_ = tuple(target_shape)
        return self

    def predict(self, X):
        """Repeat the last observed value of each sensor over the horizon.

        Parameters
        ----------
        X : array-like or DataFrame
            Layout of the ``X`` given to fit; the number of steps may differ
            for windows (3-D and more).

        Returns
        -------
        y_pred : ndarray
            Shaped like the ``y`` given to fit.
        """
        check_is_fitted(self)
        check_sensor_names(self, X, reset=False)
        X_arr, layout = check_sensor_array(X, patch_size=1)
        fitted = self.input_layout_
        check_n_sensors(self, layout)
        trailing = fitted.sample_shape()[1:]
        if layout.ndim != fitted.ndim or X_arr.shape[2:] != trailing:
            raise ValueError(
                f"X must be laid out as in fit, {fitted.axes}, with "
                f"{trailing} after the step axis (any number of steps); got "
                f"shape {X_arr.shape}."
            )
        tokens = self._as_tokens(X_arr, layout, self.single_series_)
        check_coverage(tokens, name="X", check_sensors=False)
        last = last_observed(tokens, self.sensor_means_)
        horizon = self.target_layout_.n_steps
        y_tokens = np.repeat(last[:, :, None, :], horizon, axis=2)
        y_pred = from_tokens(y_tokens, self.target_layout_)
        return y_pred.reshape((len(y_pred),) + self.target_shape_)

    def score(self, X, y, sample_weight=None):
        """R^2 over the finite truths, averaged over output columns.

        Each (horizon step, sensor, channel) column gets its own R^2 over the
        samples where its truth is observed; columns whose truth does not
        vary are left out.

        Parameters
        ----------
        X : array-like or DataFrame
            Input windows.
        y : array-like
            True targets shaped like the ``y`` given to fit; NaN for missing
            truths.
        sample_weight : array-like of shape (n_samples,), default=None
            Weight of each sample.

        Returns
        -------
        score : float
            NaN if no column of ``y`` varies.
        """
        return masked_r2_score(y, self.predict(X),
                               sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.three_d_array = True
        tags.regressor_tags.poor_score = True
        tags.target_tags.multi_output = True
        return tags
