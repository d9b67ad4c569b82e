"""Baseline sensor selectors: random, highest variance, QR pivoting."""

import warnings
from numbers import Integral

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval

from .._selection import BaseSensorSelector

__all__ = ["RandomSensorSelector", "VarianceSensorSelector", "QRSensorSelector"]


def _mask_from_indices(indices, n_sensors):
    support = np.zeros(n_sensors, dtype=bool)
    support[np.asarray(indices, dtype=int)] = True
    return support


def sensor_variances(X_tokens):
    """NaN-aware raw variance of each sensor over samples and steps.

    Parameters
    ----------
    X_tokens : ndarray of shape (n_samples, n_sensors, n_steps, n_values)

    Returns
    -------
    variances : ndarray of shape (n_sensors,)
        Variance of each value (channel, patch cell) over the observed
        readings of all samples and steps, averaged over the values that
        have at least one reading.
    """
    with warnings.catch_warnings():
        # a value (channel, cell) never observed gives NaN, left out below
        warnings.simplefilter("ignore", RuntimeWarning)
        per_value = np.nanvar(X_tokens, axis=(0, 2))
        return np.nanmean(per_value, axis=1)


def snapshot_matrix(X_tokens):
    """Snapshots of all sensors as rows: ``(n_samples * n_steps, n_sensors)``.

    Each sensor's values (channels, patch cells) are averaged into one
    reading per step; missing readings are filled with the sensor's mean
    over the training data.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        readings = np.nanmean(X_tokens, axis=3)  # (n, n_sensors, n_steps)
    snapshots = readings.transpose(0, 2, 1).reshape(-1, X_tokens.shape[1])
    means = np.nanmean(snapshots, axis=0)
    return np.where(np.isnan(snapshots), means, snapshots)


def compress_snapshots(snapshots):
    """A matrix with the same sensor modes and singular values, fewer rows.

    For a tall snapshot matrix ``S`` (more rows than sensors) return the
    ``(n_sensors, n_sensors)`` matrix ``M = sqrt(L) V^T`` from the eigen
    decomposition ``S^T S = V L V^T``: ``M^T M = S^T S``, so ``M`` has the
    right singular vectors and singular values of ``S``, and an SVD of ``M``
    costs nothing that grows with the number of snapshots.
    """
    n_rows, n_sensors = snapshots.shape
    if n_rows <= n_sensors:
        return snapshots
    eigenvalues, eigenvectors = np.linalg.eigh(snapshots.T @ snapshots)
    return np.sqrt(np.clip(eigenvalues, 0, None))[:, None] * eigenvectors.T


class RandomSensorSelector(BaseSensorSelector):
    """Keep a uniformly random subset of sensors.

    The baseline every learned selector must beat: each subset of
    ``round((1 - sparsity) * n_sensors)`` sensors is equally likely.

    Parameters
    ----------
    sparsity : float in [0, 1), default=0.5
        Fraction of sensors switched off.
    patch_size : int, default=None
        Patch edge for grid data ``(n_samples, n_steps, n_channels, height,
        width)``; each patch is one sensor region.
    random_state : int, RandomState instance or None, default=None
        Draws the subset. Pass an int for reproducible results.

    Attributes
    ----------
    support_ : ndarray of shape (`n_features_in_`,)
        True for the kept sensors.
    sparsity_ : float
        Fraction of sensors switched off, as reached.
    n_features_in_ : int
        Number of sensors (grid patches) seen in fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Sensor names, when ``X`` is a DataFrame with string column names.
    input_layout_ : SensorLayout
        Layout of the ``X`` given to fit.
    support_grid_ : ndarray of shape (height // patch_size, width // patch_size)
        ``support_`` on the patch grid; only for grid data.

    See Also
    --------
    VarianceSensorSelector : Keep the sensors of largest variance.
    QRSensorSelector : Keep the sensors chosen by QR pivoting.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst.baselines import RandomSensorSelector
    >>> X = np.random.default_rng(0).normal(size=(20, 12, 6))
    >>> selector = RandomSensorSelector(sparsity=0.5, random_state=0).fit(X)
    >>> int(selector.support_.sum())
    3
    >>> selector.transform(X).shape
    (20, 12, 3)
    """

    _parameter_constraints = {
        **BaseSensorSelector._parameter_constraints,
        "random_state": ["random_state"],
    }

    def __init__(self, sparsity=0.5, *, patch_size=None, random_state=None):
        super().__init__(sparsity, patch_size=patch_size)
        self.random_state = random_state

    def _fit_support(self, X_tokens, y_tokens, layout, n_kept):
        rng = check_random_state(self.random_state)
        kept = rng.choice(layout.n_sensors, size=n_kept, replace=False)
        return _mask_from_indices(kept, layout.n_sensors), None

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags


class VarianceSensorSelector(BaseSensorSelector):
    """Keep the sensors whose readings vary most.

    A sensor's score is the variance of its observed readings over all
    samples and steps (NaN ignored), averaged over its channels (or patch
    cells). Ties go to the lower sensor index.

    Parameters
    ----------
    sparsity : float in [0, 1), default=0.5
        Fraction of sensors switched off.
    patch_size : int, default=None
        Patch edge for grid data ``(n_samples, n_steps, n_channels, height,
        width)``; each patch is one sensor region.

    Attributes
    ----------
    support_ : ndarray of shape (`n_features_in_`,)
        True for the kept sensors.
    sensor_scores_ : ndarray of shape (`n_features_in_`,)
        Raw variance of each sensor.
    sparsity_ : float
        Fraction of sensors switched off, as reached.
    n_features_in_ : int
        Number of sensors (grid patches) seen in fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Sensor names, when ``X`` is a DataFrame with string column names.
    input_layout_ : SensorLayout
        Layout of the ``X`` given to fit.
    support_grid_ : ndarray of shape (height // patch_size, width // patch_size)
        ``support_`` on the patch grid; only for grid data.

    See Also
    --------
    RandomSensorSelector : Keep a random subset.
    QRSensorSelector : Keep the sensors chosen by QR pivoting.

    Notes
    -----
    The variance is computed on the raw readings, without standardisation,
    as in the benchmark protocol: it depends on each sensor's scale and
    units, so a sensor measuring in larger units (or with a larger level of
    noise) is preferred. Standardise the sensors first if they are not
    comparable. Overlapping windows count a reading once per window holding
    it. Cost: one pass over the data, ``O(n_samples * n_steps * n_sensors *
    n_channels)``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst.baselines import VarianceSensorSelector
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(50, 4)) * [1.0, 5.0, 0.1, 3.0]
    >>> selector = VarianceSensorSelector(sparsity=0.5).fit(X)
    >>> selector.get_support(indices=True)
    array([1, 3])
    >>> selector.sensor_scores_.round(1)
    array([ 0.9, 17.7,  0. ,  9.7])
    """

    def _fit_support(self, X_tokens, y_tokens, layout, n_kept):
        scores = sensor_variances(X_tokens)
        kept = np.argsort(-scores, kind="stable")[:n_kept]
        return _mask_from_indices(kept, layout.n_sensors), scores


def _import_pysensors():
    try:
        import pysensors
    except ImportError:
        raise ImportError(
            "QRSensorSelector needs PySensors, which is not installed. Install "
            'the extra with pip install "sklearn-dynst[pysensors]" (or pip '
            "install python-sensors)."
        ) from None
    return pysensors


class QRSensorSelector(BaseSensorSelector):
    """Keep the sensors chosen by QR pivoting on SVD modes (PySensors).

    Sparse sensor placement for reconstruction: the snapshots of all sensors
    are decomposed into ``n_basis_modes`` SVD modes, and QR pivoting on the
    modes ranks the sensors that best pin them down [1]_. This wraps
    ``pysensors.SSPOR(basis=pysensors.basis.SVD(n_basis_modes=r),
    n_sensors=k)`` with ``k`` the number of sensors kept. It needs the
    optional dependency PySensors: ``pip install "sklearn-dynst[pysensors]"``.

    Parameters
    ----------
    sparsity : float in [0, 1), default=0.5
        Fraction of sensors switched off.
    patch_size : int, default=None
        Patch edge for grid data ``(n_samples, n_steps, n_channels, height,
        width)``; each patch is one sensor region.
    n_basis_modes : int, default=None
        Number of SVD modes ``r``; None means the number of sensors kept (at
        most the number of snapshots ``n_samples * n_steps``). It must not
        exceed the number of snapshots nor of sensors.

    Attributes
    ----------
    support_ : ndarray of shape (`n_features_in_`,)
        True for the kept sensors.
    sensor_scores_ : ndarray of shape (`n_features_in_`,)
        ``k - rank`` for the kept sensors (``k`` for the first pivot, 1 for
        the last), 0 for the others.
    ranking_ : ndarray of shape (n_kept,)
        Indices of the kept sensors, most important first.
    sparsity_ : float
        Fraction of sensors switched off, as reached.
    n_features_in_ : int
        Number of sensors (grid patches) seen in fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Sensor names, when ``X`` is a DataFrame with string column names.
    input_layout_ : SensorLayout
        Layout of the ``X`` given to fit.
    support_grid_ : ndarray of shape (height // patch_size, width // patch_size)
        ``support_`` on the patch grid; only for grid data.

    See Also
    --------
    RandomSensorSelector : Keep a random subset.
    VarianceSensorSelector : Keep the sensors of largest variance.

    Notes
    -----
    The snapshot matrix has one row per sample and step and one column per
    sensor; a sensor with several values per step (channels, patch cells)
    contributes their mean. Missing readings are filled with the sensor's
    mean over the training data, and each column is then centred (PySensors'
    SVD basis assumes centred data), so a filled reading carries no
    information. A snapshot matrix with more rows than sensors is first
    compressed to a square matrix with the same sensor modes and singular
    values (from its Gram matrix), so the SVD cost does not grow with the
    number of snapshots. The SVD uses scikit-learn's randomized solver with
    a fixed seed, so the result is deterministic. If ``n_basis_modes < k``, QR
    pivoting ranks only the first ``n_basis_modes`` sensors and PySensors
    orders the others at random (seeded). Cost: ``O(n_snapshots *
    n_sensors ** 2)`` for the Gram matrix, plus ``O(r * n_sensors ** 2)`` for
    the SVD and the pivoting.

    References
    ----------
    .. [1] K. Manohar, B. W. Brunton, J. N. Kutz and S. L. Brunton,
       "Data-Driven Sparse Sensor Placement for Reconstruction", IEEE
       Control Systems Magazine 38(3), 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst.baselines import QRSensorSelector
    >>> rng = np.random.default_rng(0)
    >>> X = 0.01 * rng.normal(size=(100, 8))
    >>> X[:, 2] += 10 * rng.normal(size=100)  # two sensors carry the signal
    >>> X[:, 5] += 3 * rng.normal(size=100)
    >>> selector = QRSensorSelector(sparsity=0.75).fit(X)
    >>> selector.ranking_
    array([2, 5])
    >>> selector.sensor_scores_
    array([0., 0., 2., 0., 0., 1., 0., 0.])
    """

    _parameter_constraints = {
        **BaseSensorSelector._parameter_constraints,
        "n_basis_modes": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(self, sparsity=0.5, *, patch_size=None, n_basis_modes=None):
        super().__init__(sparsity, patch_size=patch_size)
        self.n_basis_modes = n_basis_modes

    def _basis_modes(self, n_snapshots, n_sensors, n_kept):
        if self.n_basis_modes is None:
            return min(n_kept, n_snapshots)
        limit = min(n_snapshots, n_sensors)
        if self.n_basis_modes > limit:
            raise ValueError(
                f"n_basis_modes must be <= min(n_snapshots, n_sensors) = "
                f"{limit} (n_snapshots = n_samples * n_steps = {n_snapshots},"
                f" n_sensors = {n_sensors}); got n_basis_modes="
                f"{self.n_basis_modes}."
            )
        return self.n_basis_modes

    def _fit_support(self, X_tokens, y_tokens, layout, n_kept):
        pysensors = _import_pysensors()
        snapshots = snapshot_matrix(X_tokens)
        n_modes = self._basis_modes(*snapshots.shape, n_kept)
        snapshots = compress_snapshots(snapshots - snapshots.mean(axis=0))
        model = pysensors.SSPOR(
            basis=pysensors.basis.SVD(n_basis_modes=int(n_modes),
                                      random_state=0),
            n_sensors=int(n_kept),
        )
        model.fit(snapshots, quiet=True, seed=0)
        ranking = np.asarray(model.get_selected_sensors(), dtype=int)
        self.ranking_ = ranking
        scores = np.zeros(layout.n_sensors)
        scores[ranking] = n_kept - np.arange(n_kept)
        return _mask_from_indices(ranking, layout.n_sensors), scores
