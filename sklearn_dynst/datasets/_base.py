"""Shared helpers of the dataset loaders: data folder, files, graphs."""

import os
from importlib import resources
from pathlib import Path

import numpy as np

__all__ = ["get_data_home"]

DATA_HOME_ENV = "SKLEARN_DYNST_DATA"

# Mean Earth radius (IUGG), in kilometres.
EARTH_RADIUS_KM = 6371.0088


def _check_path_like(value, name):
    """Return ``value`` as an expanded :class:`~pathlib.Path`.

    Raises a TypeError naming ``name`` when ``value`` is not a str or
    path-like object.
    """
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(
            f"{name} must be a str or os.PathLike, got {type(value).__name__}: "
            f"{value!r}"
        )
    return Path(value).expanduser()


def _check_bool(value, name):
    """Raise a TypeError naming ``name`` unless ``value`` is a bool."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(
            f"{name} must be a bool, got {type(value).__name__}: {value!r}"
        )
    return bool(value)


def get_data_home(data_home=None):
    """Return the folder that holds the datasets not shipped with the package.

    The folder is taken from ``data_home`` when given, else from the
    ``SKLEARN_DYNST_DATA`` environment variable. It must be laid out with one
    sub-folder per dataset, e.g. ``sz_taxi/sz_taxi.npz``,
    ``sz_taxi/sz_adj.csv`` and ``era5_uk_t2m/era5_t2m_uk_2019_03.npz``.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder holding the datasets. ``~`` is expanded. When None, the
        ``SKLEARN_DYNST_DATA`` environment variable is used.

    Returns
    -------
    data_home : pathlib.Path
        The existing data folder.

    Raises
    ------
    FileNotFoundError
        If ``data_home`` is None and ``SKLEARN_DYNST_DATA`` is unset or
        empty, or if the resolved folder does not exist.
    TypeError
        If ``data_home`` is neither None, a str nor path-like.

    See Also
    --------
    load_sz_taxi : Shenzhen taxi speeds, read from the data folder.
    load_era5_uk_t2m : ERA5 UK temperature grid, read from the data folder.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from sklearn_dynst.datasets import get_data_home
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     get_data_home(folder) == Path(folder)
    True
    """
    if data_home is not None:
        path = _check_path_like(data_home, "data_home")
        origin = "the data_home argument"
    else:
        env_value = os.environ.get(DATA_HOME_ENV, "")
        if not env_value:
            raise FileNotFoundError(
                "No data folder given: pass data_home=<folder> or set the "
                f"{DATA_HOME_ENV} environment variable to a folder laid out as "
                "<folder>/sz_taxi/sz_taxi.npz, "
                "<folder>/era5_uk_t2m/era5_t2m_uk_2019_03.npz, ..."
            )
        path = Path(env_value).expanduser()
        origin = f"the {DATA_HOME_ENV} environment variable"
    if not path.is_dir():
        raise FileNotFoundError(
            f"Data folder '{path}' (from {origin}) does not exist or is not a "
            f"folder. Pass an existing folder as data_home=<folder> or set "
            f"the {DATA_HOME_ENV} environment variable."
        )
    return path


def _require_file(path, hint):
    """Return ``path`` if it is a file, else raise FileNotFoundError.

    The message names the full missing path, followed by ``hint`` (how to
    provide the file).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Data file '{path}' not found. {hint}")
    return path


def _read_descr(name):
    """Return the text of ``descr/<name>.rst`` shipped with the package."""
    ref = resources.files(__package__).joinpath("descr", f"{name}.rst")
    return ref.read_text(encoding="utf-8")


def _load_shipped(name):
    """Return the arrays of ``data/<name>.npz`` shipped with the package.

    Returns
    -------
    arrays : dict of str to ndarray
    """
    ref = resources.files(__package__).joinpath("data", f"{name}.npz")
    if not ref.is_file():
        raise FileNotFoundError(
            f"The copy of {name} shipped with the package, "
            f"sklearn_dynst/datasets/data/{name}.npz, is missing. Reinstall "
            "the package, regenerate it with "
            "maint_tools/make_shipped_datasets.py, or pass data_home=<folder> "
            f"holding the original files in <folder>/{name}/."
        )
    with ref.open("rb") as file, np.load(file, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def _haversine_distances(latitude, longitude):
    """Great-circle distances in kilometres between all pairs of points.

    Parameters
    ----------
    latitude, longitude : array-like of shape (n_points,)
        Coordinates in degrees.

    Returns
    -------
    distances : ndarray of shape (n_points, n_points)
        Symmetric, zero on the diagonal.
    """
    lat = np.radians(np.asarray(latitude, dtype=np.float64))
    lon = np.radians(np.asarray(longitude, dtype=np.float64))
    dlat = lat[:, None] - lat[None, :]
    dlon = lon[:, None] - lon[None, :]
    h = (
        np.sin(dlat / 2) ** 2
        + np.cos(lat[:, None]) * np.cos(lat[None, :]) * np.sin(dlon / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _gaussian_kernel_adjacency(distances, threshold=0.1):
    """Thresholded Gaussian kernel of a distance matrix.

    ``w_ij = exp(-(d_ij / sigma) ** 2)`` where ``sigma`` is the standard
    deviation (ddof=0) of the ``n (n - 1) / 2`` distances between distinct
    points; weights below ``threshold`` and the diagonal are set to 0.

    Parameters
    ----------
    distances : ndarray of shape (n_points, n_points)
        Symmetric distances.
    threshold : float, default=0.1
        Weights strictly below it become 0.

    Returns
    -------
    adjacency : ndarray of shape (n_points, n_points)
        float64 weights in [threshold, 1] or 0.
    """
    distances = np.asarray(distances, dtype=np.float64)
    n_points = distances.shape[0]
    if n_points < 2:
        return np.zeros((n_points, n_points))
    sigma = distances[np.triu_indices(n_points, k=1)].std()
    if sigma == 0:
        raise ValueError(
            "The pairwise distances must not all be equal to build a Gaussian "
            f"kernel, got sigma={sigma}."
        )
    adjacency = np.exp(-((distances / sigma) ** 2))
    adjacency[adjacency < threshold] = 0.0
    np.fill_diagonal(adjacency, 0.0)
    return adjacency


def _grid_adjacency(n_rows, n_cols):
    """0/1 adjacency of the 4-neighbour graph of a row-major grid.

    Cell ``(i, j)`` has index ``i * n_cols + j`` and is linked to
    ``(i - 1, j)``, ``(i + 1, j)``, ``(i, j - 1)`` and ``(i, j + 1)`` when
    they exist.

    Returns
    -------
    adjacency : ndarray of shape (n_rows * n_cols, n_rows * n_cols)
        Symmetric float64, zero on the diagonal.
    """
    n_cells = n_rows * n_cols
    index = np.arange(n_cells).reshape(n_rows, n_cols)
    adjacency = np.zeros((n_cells, n_cells))
    # horizontal neighbours, then vertical ones
    for left, right in (
        (index[:, :-1], index[:, 1:]),
        (index[:-1, :], index[1:, :]),
    ):
        adjacency[left.ravel(), right.ravel()] = 1.0
        adjacency[right.ravel(), left.ravel()] = 1.0
    return adjacency
