"""Maps of sensors: which are kept, and a value per sensor."""

import numpy as np

from ._base import get_axes

__all__ = ["plot_sensor_map"]


def plot_sensor_map(coordinates, values=None, *, support=None, ax=None,
                    cmap="viridis", label=None, title=None,
                    legend=("kept", "switched off")):
    """Draw sensors at their coordinates, coloured by a value, kept or not.

    Parameters
    ----------
    coordinates : DataFrame or array-like of shape (n_sensors, 2)
        Latitude and longitude per sensor (DataFrame columns ``latitude``
        and ``longitude``, or two columns in that order).
    values : array-like of shape (n_sensors,), default=None
        A value per sensor (e.g. its forecast error) for the colour.
    support : array-like of bool of shape (n_sensors,), default=None
        Kept sensors; switched-off ones are drawn as grey crosses.
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when None.
    cmap : str, default="viridis"
    label : str, default=None
        Colour-bar label.
    title : str, default=None
    legend : tuple of str, default=("kept", "switched off")
        Legend names of the sensors in and out of ``support`` (e.g.
        ``("computed", "skipped")`` for an input-adaptive mask).

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst.plotting import plot_sensor_map
    >>> coords = np.array([[34.0, -118.2], [34.1, -118.3], [34.2, -118.1]])
    >>> ax = plot_sensor_map(coords, [1.0, 2.0, 3.0],
    ...                      support=[True, False, True])
    >>> len(ax.collections)
    2
    """
    if hasattr(coordinates, "columns"):
        lat = coordinates["latitude"].to_numpy()
        lon = coordinates["longitude"].to_numpy()
    else:
        lat, lon = np.asarray(coordinates, dtype=float).T
    n_sensors = len(lat)
    support = np.ones(n_sensors, bool) if support is None else np.asarray(
        support, dtype=bool)
    if support.shape != (n_sensors,):
        raise ValueError(
            f"support must have shape ({n_sensors},), one entry per sensor; "
            f"got {support.shape}."
        )
    ax = get_axes(ax, (6, 5))
    colour = "tab:blue" if values is None else np.asarray(values)[support]
    points = ax.scatter(lon[support], lat[support], c=colour, cmap=None if
                        values is None else cmap, s=28, edgecolors="k",
                        linewidths=0.3, label=f"{legend[0]} ({support.sum()})")
    if (~support).any():
        ax.scatter(lon[~support], lat[~support], marker="x", c="0.6", s=18,
                   label=f"{legend[1]} ({(~support).sum()})")
        ax.legend(loc="best", fontsize="small")
    if values is not None:
        ax.figure.colorbar(points, ax=ax, label=label)
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.set_xlabel("longitude")
    ax.set_ylabel("latitude")
    if title:
        ax.set_title(title)
    return ax
