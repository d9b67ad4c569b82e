"""Grid data (e.g. reanalysis cells) drawn as an image."""

import numpy as np

from ._base import get_axes

__all__ = ["plot_grid_map"]


def plot_grid_map(values=None, *, support=None, grid_shape=None,
                  latitude=None, longitude=None, ax=None, cmap="viridis",
                  label=None, title=None, legend=("kept", "switched off")):
    """Draw grid cells as an image, with switched-off cells greyed out.

    The grid counterpart of
    :func:`~sklearn_dynst.plotting.plot_sensor_map`: a value per cell for
    the colour (e.g. a temperature field or a per-cell error) and a kept /
    switched-off mask (``support_grid_`` of a fitted estimator, or a
    per-window mask of
    :meth:`~sklearn_dynst.DynaPrunerRegressor.predict_masks` on the patch
    grid).

    Parameters
    ----------
    values : array-like of shape (height, width) or (height * width,), \
default=None
        A value per cell. When None, kept cells are drawn in one colour.
    support : array-like of bool of shape (height, width) or \
(height * width,), default=None
        Kept cells (or patches); the others are drawn light grey. A support
        on a coarser patch grid than ``values`` (each patch covering a
        block of cells) is expanded to the cells, the last row and column
        of patches cropped to the grid.
    grid_shape : tuple of int, default=None
        ``(height, width)`` of flat ``values`` / ``support``.
    latitude, longitude : array-like of shape (height,) and (width,), \
default=None
        Cell centres, for the axes' extent; cell indices when None.
    ax : matplotlib Axes, default=None
    cmap : str, default="viridis"
    label : str, default=None
        Colour-bar label (only with ``values``).
    title : str, default=None
    legend : tuple of str, default=("kept", "switched off")
        Names of the cells (or patches) in and out of ``support``, for the
        note in the corner (e.g. ``("computed", "skipped")`` for an
        input-adaptive mask).

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst.plotting import plot_grid_map
    >>> field = np.arange(12.0).reshape(3, 4)
    >>> ax = plot_grid_map(field, support=field > 3)
    >>> int(ax.images[0].get_array().mask.sum())  # 4 cells switched off
    4
    >>> # two patches of 3 x 3 cells: the last column is switched off
    >>> ax = plot_grid_map(field, support=[[True, False]])
    >>> int(ax.images[0].get_array().mask.sum())
    3
    """
    if values is None and support is None:
        raise ValueError("plot_grid_map needs values, support or both; got "
                         "neither.")
    values = None if values is None else _as_grid(values, grid_shape,
                                                  "values")
    support = None if support is None else _as_grid(support, grid_shape,
                                                    "support").astype(bool)
    shape = values.shape if values is not None else support.shape
    n_kept, n_regions = (0, 0) if support is None else (int(support.sum()),
                                                        support.size)
    if support is not None and support.shape != shape:
        support = _expand(support, shape)
    if values is None:
        values = np.ones(shape)
    image = np.ma.masked_array(np.asarray(values, dtype=float),
                               mask=None if support is None else ~support)
    extent = None
    if latitude is not None and longitude is not None:
        lat, lon = np.asarray(latitude, float), np.asarray(longitude, float)
        if lat.shape != (shape[0],) or lon.shape != (shape[1],):
            raise ValueError(
                f"latitude and longitude must have {shape[0]} and {shape[1]}"
                f" entries (the grid's height and width); got {lat.shape} "
                f"and {lon.shape}.")
        half_lat = abs(lat[-1] - lat[0]) / max(len(lat) - 1, 1) / 2
        half_lon = abs(lon[-1] - lon[0]) / max(len(lon) - 1, 1) / 2
        extent = (lon.min() - half_lon, lon.max() + half_lon,
                  lat.min() - half_lat, lat.max() + half_lat)
        if lat[0] < lat[-1]:  # first row south: draw it at the bottom
            image = image[::-1]
    ax = get_axes(ax, (7, 5))
    ax.set_facecolor("0.88")
    import matplotlib

    colours = matplotlib.colormaps[cmap].with_extremes(bad="0.88")
    drawn = ax.imshow(image, cmap=colours, extent=extent,
                      interpolation="nearest", aspect="auto")
    if label is not None or values is not None and np.ptp(values) > 0:
        ax.figure.colorbar(drawn, ax=ax, label=label)
    if support is not None:
        ax.text(0.01, 0.01, f"{legend[0]} {n_kept} of {n_regions} (grey: "
                f"{legend[1]})", transform=ax.transAxes,
                fontsize="small", va="bottom",
                bbox={"facecolor": "white", "alpha": 0.8, "lw": 0})
    ax.set_xlabel("longitude" if extent else "column")
    ax.set_ylabel("latitude" if extent else "row")
    if title:
        ax.set_title(title)
    return ax


def _as_grid(array, grid_shape, name):
    array = np.asarray(array)
    if array.ndim == 2:
        return array
    if array.ndim == 1 and grid_shape is not None and \
            np.prod(grid_shape) == array.size:
        return array.reshape(grid_shape)
    raise ValueError(
        f"{name} must be 2-D (height, width), or flat with grid_shape giving"
        f" its height and width; got shape {array.shape} and grid_shape "
        f"{grid_shape}.")


def _expand(support, shape):
    """A patch-grid support repeated over the cells each patch covers."""
    size = -(-shape[0] // support.shape[0])
    if support.shape != tuple(-(-edge // size) for edge in shape):
        raise ValueError(
            f"support of shape {support.shape} matches neither the grid "
            f"{shape} nor a grid of square patches over it.")
    cells = np.repeat(np.repeat(support, size, axis=0), size, axis=1)
    return cells[:shape[0], :shape[1]]
