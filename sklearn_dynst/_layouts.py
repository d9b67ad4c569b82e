"""Data layouts: how sensor and grid arrays map onto per-sensor tokens.

The package uses one order of named axes everywhere:

* sensor (graph) data: ``(n_samples, n_sensors)``, ``(n_samples, n_steps,
  n_sensors)`` or ``(n_samples, n_steps, n_sensors, n_channels)``;
* grid (image) data: ``(n_samples, n_steps, n_channels, height, width)``, cut
  into ``patch_size x patch_size`` patches, each patch being one sensor region.

Internally every layout is brought to the *token* layout
``(n_samples, n_sensors, n_steps, n_values)``: one token per sensor holding
its values at every step (``n_values`` is ``n_channels``, or
``n_channels * patch_size ** 2`` for a grid patch). Flattening the last two
axes gives DynST's stream-morphed input ``(n_samples, n_sensors, n_steps *
n_values)``.
"""

import numbers
from dataclasses import dataclass

import numpy as np

__all__ = [
    "SensorLayout",
    "infer_layout",
    "to_tokens",
    "from_tokens",
    "patchify",
    "unpatchify",
    "take_sensors",
    "put_sensors",
]

_AXES = {
    2: "(n_samples, n_sensors)",
    3: "(n_samples, n_steps, n_sensors)",
    4: "(n_samples, n_steps, n_sensors, n_channels)",
    5: "(n_samples, n_steps, n_channels, height, width)",
}


@dataclass(frozen=True)
class SensorLayout:
    """Shape description of one array in one of the supported layouts.

    Parameters
    ----------
    ndim : int
        Number of axes of the array (2 to 5).
    n_steps : int
        Number of time steps per sample (1 for snapshots).
    n_sensors : int
        Number of sensors, or of grid patches for grid data.
    n_channels : int
        Number of channels per sensor (or per grid cell).
    grid_shape : tuple of int or None
        ``(height, width)`` of grid data, else None.
    patch_size : int or None
        Patch edge for grid data, else None.

    Attributes
    ----------
    n_values : int
        Values per sensor and step in the token layout.
    patch_grid : tuple of int or None
        ``(height // patch_size, width // patch_size)`` for grid data.
    """

    ndim: int
    n_steps: int
    n_sensors: int
    n_channels: int
    grid_shape: tuple = None
    patch_size: int = None

    @property
    def is_grid(self):
        return self.grid_shape is not None

    @property
    def n_values(self):
        if self.is_grid:
            return self.n_channels * self.patch_size**2
        return self.n_channels

    @property
    def patch_grid(self):
        if not self.is_grid:
            return None
        height, width = self.grid_shape
        return (height // self.patch_size, width // self.patch_size)

    @property
    def axes(self):
        """Names of the axes, as a string for messages."""
        return _AXES[self.ndim]

    def sample_shape(self, n_sensors=None):
        """Shape of one sample, optionally with another number of sensors."""
        n_sensors = self.n_sensors if n_sensors is None else n_sensors
        if self.ndim == 2:
            return (n_sensors,)
        if self.ndim == 3:
            return (self.n_steps, n_sensors)
        if self.ndim == 4:
            return (self.n_steps, n_sensors, self.n_channels)
        return (self.n_steps, self.n_channels, *self.grid_shape)


def infer_layout(X, *, patch_size=None, name="X"):
    """Describe the layout of ``X`` and check that it is supported.

    Parameters
    ----------
    X : ndarray
        Array of 2 to 5 axes (see module docstring).
    patch_size : int or None, default=None
        Required for (and only used by) 5-D grid data.
    name : str, default="X"
        Name used in error messages.

    Returns
    -------
    layout : SensorLayout

    Raises
    ------
    ValueError
        If the number of axes is not 2 to 5, if grid data comes without
        ``patch_size``, or if the grid is not divisible by ``patch_size``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst._layouts import infer_layout
    >>> infer_layout(np.zeros((8, 12, 5))).n_sensors
    5
    >>> infer_layout(np.zeros((8, 4, 1, 6, 9)), patch_size=3).patch_grid
    (2, 3)
    """
    ndim = np.ndim(X)
    shape = np.shape(X)
    if ndim not in _AXES:
        raise ValueError(
            f"{name} must have 2 to 5 axes: " + ", ".join(_AXES.values())
            + f"; got an array of shape {shape}."
            + (" Reshape your data: X.reshape(-1, 1) for one sensor or "
               "X.reshape(1, -1) for one sample." if ndim == 1 else "")
        )
    if ndim == 5:
        if patch_size is None:
            raise ValueError(
                f"{name} has 5 axes {_AXES[5]} (grid data), which needs "
                f"patch_size; got patch_size=None for shape {shape}."
            )
        height, width = shape[3], shape[4]
        if height % patch_size or width % patch_size:
            raise ValueError(
                f"The grid of {name} (height={height}, width={width}) must be "
                f"divisible by patch_size={patch_size}. Pad it first, e.g. "
                "with sklearn_dynst.patchify(..., pad=True), or choose a "
                "patch_size that divides both."
            )
        n_patches = (height // patch_size) * (width // patch_size)
        return SensorLayout(5, shape[1], n_patches, shape[2], (height, width),
                            patch_size)
    if ndim == 2:
        return SensorLayout(2, 1, shape[1], 1)
    if ndim == 3:
        return SensorLayout(3, shape[1], shape[2], 1)
    return SensorLayout(4, shape[1], shape[2], shape[3])


def check_positive_int(value, name, minimum=1):
    """TypeError unless ``value`` is an int (not a bool), ValueError unless
    it is at least ``minimum``; both name ``name`` and the value given."""
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int >= {minimum}; got "
                        f"{value!r} of type {type(value).__name__}.")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}; got {value!r}.")


def patchify(grid, patch_size, *, pad=False):
    """Cut grid data into square patches, one sensor region per patch.

    Parameters
    ----------
    grid : ndarray of shape (n_samples, n_steps, n_channels, height, width)
        Grid (image) data.
    patch_size : int
        Edge of the square patches.
    pad : bool, default=False
        If False, ``height`` and ``width`` must be multiples of
        ``patch_size``. If True, the bottom and right edges are padded with
        NaN up to the next multiple: padded cells are *missing* values, which
        the estimators flag to the network and mask out of losses and
        metrics. :func:`unpatchify` with ``grid_shape`` crops them again.

    Returns
    -------
    patches : ndarray of shape (n_samples, n_steps, n_patches, n_channels * patch_size ** 2)
        A 4-D sensor layout: patches are numbered row-major over the patch
        grid; the last axis is ordered ``(channel, row, column)``.

    See Also
    --------
    unpatchify : Inverse operation.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst import patchify
    >>> grid = np.arange(2 * 1 * 1 * 4 * 6, dtype=float).reshape(2, 1, 1, 4, 6)
    >>> patchify(grid, 2).shape
    (2, 1, 6, 4)
    >>> patchify(np.zeros((1, 1, 1, 5, 5)), 2, pad=True).shape
    (1, 1, 9, 4)
    """
    check_positive_int(patch_size, "patch_size")
    grid = np.asarray(grid)
    if grid.ndim != 5:
        raise ValueError(
            f"grid must have 5 axes {_AXES[5]}; got shape {grid.shape}."
        )
    height, width = grid.shape[3:]
    if pad:
        pad_h = -height % patch_size
        pad_w = -width % patch_size
        if pad_h or pad_w:
            grid = np.pad(grid.astype(float, copy=False),
                          [(0, 0)] * 3 + [(0, pad_h), (0, pad_w)],
                          constant_values=np.nan)
    layout = infer_layout(grid, patch_size=patch_size, name="grid")
    n, t, c = grid.shape[:3]
    rows, cols = layout.patch_grid
    p = patch_size
    patches = grid.reshape(n, t, c, rows, p, cols, p)
    patches = patches.transpose(0, 1, 3, 5, 2, 4, 6)
    return patches.reshape(n, t, rows * cols, c * p * p)


def unpatchify(patches, patch_grid, patch_size, *, grid_shape=None):
    """Reassemble patches into grid data (inverse of :func:`patchify`).

    Parameters
    ----------
    patches : ndarray of shape (n_samples, n_steps, n_patches, n_channels * patch_size ** 2)
        Patches as returned by :func:`patchify`.
    patch_grid : tuple of int
        ``(n_patch_rows, n_patch_columns)``.
    patch_size : int
        Edge of the square patches.
    grid_shape : tuple of int, default=None
        ``(height, width)`` to crop to, for grids padded by ``patchify``.

    Returns
    -------
    grid : ndarray of shape (n_samples, n_steps, n_channels, height, width)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst import patchify, unpatchify
    >>> grid = np.random.default_rng(0).normal(size=(2, 3, 1, 5, 7))
    >>> back = unpatchify(patchify(grid, 2, pad=True), (3, 4), 2,
    ...                   grid_shape=(5, 7))
    >>> bool(np.array_equal(back, grid))
    True
    """
    check_positive_int(patch_size, "patch_size")
    patches = np.asarray(patches)
    if patches.ndim != 4:
        raise ValueError(
            f"patches must have 4 axes (n_samples, n_steps, n_patches, "
            f"n_channels * patch_size ** 2); got shape {patches.shape}.")
    if len(patch_grid) != 2:
        raise ValueError(f"patch_grid must be (n_patch_rows, "
                         f"n_patch_columns); got {patch_grid!r}.")
    rows, cols = patch_grid
    n, t, n_patches, n_values = patches.shape
    p = patch_size
    if n_patches != rows * cols or n_values % (p * p):
        raise ValueError(
            f"patches of shape {patches.shape} do not match patch_grid="
            f"{patch_grid} and patch_size={patch_size}: expected "
            f"{rows * cols} patches of a multiple of {p * p} values."
        )
    c = n_values // (p * p)
    grid = patches.reshape(n, t, rows, cols, c, p, p)
    grid = grid.transpose(0, 1, 4, 2, 5, 3, 6).reshape(n, t, c, rows * p,
                                                        cols * p)
    if grid_shape is not None:
        grid = grid[..., : grid_shape[0], : grid_shape[1]]
    return grid


def to_tokens(X, layout):
    """Bring ``X`` to the token layout ``(n_samples, n_sensors, n_steps, n_values)``.

    A view of ``X`` for sensor data; grid data is patchified (a copy).
    """
    X = np.asarray(X)
    if layout.ndim == 2:
        return X[:, :, None, None]
    if layout.ndim == 3:
        return X.transpose(0, 2, 1)[..., None]
    if layout.ndim == 4:
        return X.transpose(0, 2, 1, 3)
    return patchify(X, layout.patch_size).transpose(0, 2, 1, 3)


def from_tokens(tokens, layout):
    """Inverse of :func:`to_tokens`: token layout back to ``layout``."""
    n = tokens.shape[0]
    if layout.ndim == 2:
        return tokens.reshape(n, -1)
    if layout.ndim == 3:
        return tokens[..., 0].transpose(0, 2, 1)
    if layout.ndim == 4:
        return tokens.transpose(0, 2, 1, 3)
    return unpatchify(tokens.transpose(0, 2, 1, 3), layout.patch_grid,
                      layout.patch_size)


def take_sensors(X, layout, indices):
    """Keep the given sensors of ``X``, leaving every other axis untouched.

    Grid data is returned patchified, as the 4-D sensor layout
    ``(n_samples, n_steps, n_kept, n_channels * patch_size ** 2)``.
    """
    X = np.asarray(X)
    if layout.ndim == 2:
        return X[:, indices]
    if layout.ndim == 5:
        X = patchify(X, layout.patch_size)
    return X[:, :, indices]


def put_sensors(X_kept, layout, indices, fill_value=0.0):
    """Inverse of :func:`take_sensors`: scatter kept sensors, fill the rest."""
    X_kept = np.asarray(X_kept)
    n = X_kept.shape[0]
    if layout.ndim == 2:
        out = np.full((n, layout.n_sensors), fill_value, dtype=X_kept.dtype)
        out[:, indices] = X_kept
        return out
    shape = (n, X_kept.shape[1], layout.n_sensors) + X_kept.shape[3:]
    out = np.full(shape, fill_value, dtype=X_kept.dtype)
    out[:, :, indices] = X_kept
    if layout.ndim == 5:
        out = unpatchify(out, layout.patch_grid, layout.patch_size)
    return out
