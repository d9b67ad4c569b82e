"""Base class of the sensor selectors: which sensors to keep.

:class:`BaseSensorSelector` does everything a sensor selector shares: it
validates data in every layout of :mod:`sklearn_dynst._layouts`, turns
``sparsity`` into a number of kept sensors, stores ``support_`` and keeps or
zero-fills sensors along the sensor axis only. A concrete selector implements
one method, ``_fit_support``, that decides which sensors to keep from data in
the token layout ``(n_samples, n_sensors, n_steps, n_values)``.
"""

from abc import abstractmethod
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, _fit_context
from sklearn.feature_selection import SelectorMixin
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from ._layouts import SensorLayout, put_sensors, take_sensors, to_tokens
from ._pruning import switched_off_share
from ._validation import (
    check_coverage,
    check_n_kept,
    check_n_sensors,
    check_sensor_array,
    check_sensor_names,
    check_target,
    is_window_frame,
)

__all__ = ["BaseSensorSelector"]


class BaseSensorSelector(SelectorMixin, BaseEstimator,
                         auto_wrap_output_keys=None):
    """Base class of the sensor selectors (not for direct use).

    Subclasses implement ``_fit_support(X_tokens, y_tokens, layout, n_kept)``
    returning ``(support, scores)``: a boolean mask over sensors and a float
    score per sensor (or None). ``X_tokens`` has the token layout
    ``(n_samples, n_sensors, n_steps, n_values)``, ``y_tokens`` too, or is
    None; ``n_kept`` is the number of sensors that ``sparsity`` keeps (None
    when ``sparsity`` is not a number, e.g. an automatic level).

    Parameters
    ----------
    sparsity : float in [0, 1), default=0.5
        Fraction of sensors switched off. The number kept is
        ``round((1 - sparsity) * n_sensors)``, which must be at least one.
    patch_size : int, default=None
        Edge of the square patches of grid data ``(n_samples, n_steps,
        n_channels, height, width)``; each patch is one sensor region. Only
        used for grid data.
    """

    _parameter_constraints = {
        "sparsity": [Interval(Real, 0, 1, closed="left")],
        "patch_size": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, sparsity=0.5, *, patch_size=None):
        self.sparsity = sparsity
        self.patch_size = patch_size

    # ------------------------------------------------------------------ fit
    @abstractmethod
    def _fit_support(self, X_tokens, y_tokens, layout, n_kept):
        """Decide which sensors to keep; return ``(support, scores)``."""

    def _validate_fit_data(self, X, y):
        """Check ``X`` (and ``y``) for fit; return their token layouts."""
        check_sensor_names(self, X, reset=True)
        X_arr, layout = check_sensor_array(X, patch_size=self.patch_size)
        X_tokens = to_tokens(X_arr, layout)
        check_coverage(X_tokens, name="X")
        y_tokens = None
        if y is not None:
            y_arr, y_layout, _ = check_target(y, X_arr,
                                              patch_size=self.patch_size)
            y_tokens = to_tokens(y_arr, y_layout)
        self.n_features_in_ = layout.n_sensors
        self.input_layout_ = layout
        return X_tokens, y_tokens

    def _n_kept(self, n_sensors):
        """Number of sensors kept at ``sparsity`` (None if not a number)."""
        if not isinstance(self.sparsity, Real):
            return None
        return check_n_kept(self.sparsity, n_sensors)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn which sensors to keep.

        Parameters
        ----------
        X : array-like or DataFrame
            ``(n_samples, n_sensors)``, ``(n_samples, n_steps, n_sensors)``,
            ``(n_samples, n_steps, n_sensors, n_channels)``, grid data
            ``(n_samples, n_steps, n_channels, height, width)`` with
            ``patch_size``, or a DataFrame (plain, or a window frame made by
            :func:`~sklearn_dynst.make_windows` with ``as_frame=True``). NaN
            marks missing readings.
        y : array-like, default=None
            Target, used only by selectors that choose sensors for a
            target; it must have one row per sample of ``X``.

        Returns
        -------
        self : object
            Fitted selector.
        """
        X_tokens, y_tokens = self._validate_fit_data(X, y)
        layout = self.input_layout_
        support, scores = self._fit_support(
            X_tokens, y_tokens, layout, self._n_kept(layout.n_sensors))
        support = np.asarray(support, dtype=bool)
        if support.shape != (layout.n_sensors,) or not support.any():
            raise RuntimeError(
                f"{type(self).__name__}._fit_support must keep at least one "
                f"of the {layout.n_sensors} sensors as a boolean mask of shape "
                f"({layout.n_sensors},); got shape {support.shape} with "
                f"{int(support.sum())} kept."
            )
        self.support_ = support
        if scores is None:
            self.__dict__.pop("sensor_scores_", None)
        else:
            self.sensor_scores_ = np.asarray(scores, dtype=float)
        if layout.is_grid:
            self.support_grid_ = support.reshape(layout.patch_grid)
        else:
            self.__dict__.pop("support_grid_", None)
        # of the sensors' total cost for selectors that take sensor_costs
        self.sparsity_ = switched_off_share(
            support, getattr(self, "sensor_costs", None))
        return self

    def _get_support_mask(self):
        check_is_fitted(self)
        return self.support_

    # ------------------------------------------------------------ transform
    def transform(self, X):
        """Keep only the kept sensors of ``X``, along the sensor axis.

        Parameters
        ----------
        X : array-like or DataFrame
            All ``n_features_in_`` sensors, in any supported layout (not
            necessarily the one given to ``fit``: windows of another length,
            or the targets ``y``, work too).

        Returns
        -------
        X_kept : ndarray or DataFrame
            ``X`` with only the kept sensors; every other axis untouched.
            2-D input gives ``(n_samples, n_kept)`` (a DataFrame with
            ``set_output(transform="pandas")``); a window frame gives a
            window frame of the kept sensors; grid data gives the patches
            ``(n_samples, n_steps, n_kept, n_channels * patch_size ** 2)``.
        """
        check_is_fitted(self)
        X_arr, layout = check_sensor_array(X, patch_size=self.patch_size)
        if layout.ndim == 2 and not is_window_frame(X):
            return super().transform(X)
        check_sensor_names(self, X, reset=False)
        check_n_sensors(self, layout)
        kept = self.get_support(indices=True)
        if is_window_frame(X):
            n_sensors = layout.n_sensors
            columns = (np.arange(layout.n_steps)[:, None] * n_sensors
                       + kept[None, :]).ravel()
            return X.iloc[:, columns].copy()
        return take_sensors(X_arr, layout, kept)

    def fit_transform(self, X, y=None, **fit_params):
        """Fit to ``X`` (and ``y``), then keep only the kept sensors of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame
            See :meth:`fit`.
        y : array-like, default=None
            See :meth:`fit`.
        **fit_params : dict
            Passed to :meth:`fit`.

        Returns
        -------
        X_kept : ndarray or DataFrame
            See :meth:`transform`.
        """
        return self.fit(X, y, **fit_params).transform(X)

    def inverse_transform(self, X):
        """Put kept sensors back in place; dropped sensors are zero-filled.

        Parameters
        ----------
        X : array-like or DataFrame
            Output of :meth:`transform`: the ``n_kept`` kept sensors in any
            supported layout. For a selector fitted on grid data, 4-D input
            is read as patches and reassembled into the grid.

        Returns
        -------
        X_full : ndarray or DataFrame
            All ``n_features_in_`` sensors; the dropped ones hold 0 (missing
            readings of kept sensors stay NaN). A window frame gives a
            window frame over all sensors.
        """
        check_is_fitted(self)
        X_arr, layout = check_sensor_array(X)
        n_kept = int(self.support_.sum())
        if layout.n_sensors != n_kept:
            raise ValueError(
                f"X has {layout.n_sensors} sensors, but {type(self).__name__} "
                f"keeps {n_kept} sensors: inverse_transform expects the output "
                "of transform."
            )
        fitted = self.input_layout_
        if fitted.is_grid and layout.ndim == 4:
            full = fitted
        else:
            full = SensorLayout(layout.ndim, layout.n_steps,
                                self.n_features_in_, layout.n_channels)
        X_full = put_sensors(X_arr, full, self.get_support(indices=True))
        if is_window_frame(X):
            names = getattr(self, "feature_names_in_",
                            np.arange(self.n_features_in_))
            columns = pd.MultiIndex.from_product(
                [X.columns.get_level_values(0).unique(), names],
                names=X.columns.names)
            return pd.DataFrame(X_full.reshape(len(X), -1), index=X.index,
                                columns=columns)
        return X_full

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.three_d_array = True
        tags.target_tags.required = False
        return tags


# ``auto_wrap_output_keys=None`` above leaves this class's transform and
# fit_transform unwrapped: 2-D input goes through SelectorMixin.transform,
# which set_output wraps into a DataFrame; windows and grids (which no
# DataFrame can hold) come back as they are. This keeps set_output available.
BaseSensorSelector._sklearn_auto_wrap_output_keys = {"transform"}
