"""Forecasts against the truth over time."""

import numpy as np

from ._base import get_axes

__all__ = ["plot_forecast"]


def plot_forecast(y_true, forecasts, *, sensor=0, step=0, index=None,
                  ax=None, title=None):
    """Plot the truth of one sensor and forecasts made ``step + 1`` steps ahead.

    Parameters
    ----------
    y_true : ndarray of shape (n_samples, horizon, n_sensors)
        True future windows.
    forecasts : dict of str to ndarray of the same shape
        Forecasts by name.
    sensor : int, default=0
        Sensor to draw.
    step : int, default=0
        Forecast step (0 = one step ahead).
    index : array-like of shape (n_samples,), default=None
        x values (e.g. times); sample positions when None.
    ax : matplotlib Axes, default=None
    title : str, default=None

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst.plotting import plot_forecast
    >>> y = np.arange(24.0).reshape(4, 3, 2)
    >>> ax = plot_forecast(y, {"model": y + 1}, sensor=1, step=2)
    >>> len(ax.lines)
    2
    """
    y_true = np.asarray(y_true)
    x = np.arange(len(y_true)) if index is None else np.asarray(index)
    ax = get_axes(ax, (9, 3.5))
    ax.plot(x, y_true[:, step, sensor], color="k", lw=1.2, label="truth")
    for name, y_pred in forecasts.items():
        ax.plot(x, np.asarray(y_pred)[:, step, sensor], lw=1, label=name)
    ax.set_ylabel(f"sensor {sensor}, {step + 1} step(s) ahead")
    ax.legend(loc="best", fontsize="small")
    if title:
        ax.set_title(title)
    return ax
