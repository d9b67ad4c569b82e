"""Input validation shared by every estimator and helper.

Each check raises a ``ValueError`` (values) or ``TypeError`` (types) that says
what was expected and what was given. Nothing is silently dropped or filled.

Besides NumPy arrays, two kinds of pandas DataFrames are accepted:

* a plain DataFrame ``(n_samples, n_sensors)``: its columns are the sensor
  names;
* a *window frame* as made by ``make_windows(..., as_frame=True)``: 2-D, with
  two column levels ``(step, sensor)`` (or ``(horizon, sensor)`` for targets),
  read as the 3-D layout ``(n_samples, n_steps, n_sensors)``.
"""

import numbers
import warnings

import numpy as np
import pandas as pd

from ._layouts import infer_layout

__all__ = [
    "is_window_frame",
    "check_sensor_array",
    "check_target",
    "get_sensor_names",
    "check_sensor_names",
    "check_coverage",
    "check_n_samples",
    "check_adjacency",
    "check_chronological",
    "check_n_kept",
]


def is_window_frame(X):
    """True for a window frame: a DataFrame with two column levels."""
    return isinstance(X, pd.DataFrame) and X.columns.nlevels == 2


def _window_frame_to_array(X, name):
    """Read a window frame with column levels (step, sensor) as 3-D array."""
    steps = X.columns.get_level_values(0).unique()
    sensors = X.columns.get_level_values(1).unique()
    expected = pd.MultiIndex.from_product([steps, sensors])
    if len(X.columns) != len(expected) or not X.columns.equals(expected):
        raise ValueError(
            f"{name} has two column levels, read as (step, sensor), but they "
            f"do not form a full step-major grid of {len(steps)} steps x "
            f"{len(sensors)} sensors; got {len(X.columns)} columns. Build it "
            "with sklearn_dynst.make_windows(..., as_frame=True)."
        )
    values = _numeric_values(X, name)
    return values.reshape(len(X), len(steps), len(sensors))


def _numeric_values(X, name):
    try:
        values = np.asarray(X)
        if values.dtype.kind != "c":
            return values.astype(float, copy=False)
    except (TypeError, ValueError) as exc:
        kind = getattr(X, "dtypes", getattr(X, "dtype", type(X).__name__))
        raise TypeError(
            f"{name} must hold numbers (int or float; NaN for missing "
            f"readings); got values that cannot be read as float ({exc}). "
            f"Given dtype(s): {kind}"
        ) from None
    raise ValueError(
        f"Complex data not supported: {name} must hold real numbers; got "
        f"dtype {values.dtype}."
    )


def get_sensor_names(X):
    """Sensor names carried by a DataFrame, else None.

    Parameters
    ----------
    X : array-like or DataFrame

    Returns
    -------
    names : ndarray of str or None
    """
    if not isinstance(X, pd.DataFrame):
        return None
    columns = X.columns.get_level_values(-1).unique() if is_window_frame(X) \
        else X.columns
    if not all(isinstance(c, str) for c in columns):
        return None
    return np.asarray(columns, dtype=object)


def check_sensor_names(estimator, X, *, reset, kept=None):
    """Store (``reset=True``) or compare the sensor names carried by ``X``.

    The messages are those of scikit-learn's own feature-name checks, so
    that its common estimator checks recognise them.

    Parameters
    ----------
    estimator : estimator instance
    X : array-like or DataFrame
        Plain DataFrames carry sensor names in their columns, window frames
        in their second column level.
    reset : bool
        If True, set (or remove) ``estimator.feature_names_in_``.
    kept : ndarray of bool of shape (`n_features_in_`,), default=None
        If given, ``X`` may also carry only the kept sensors' names, in
        order (a deployed model sees only those sensors).

    Raises
    ------
    ValueError
        If ``X`` carries sensor names that differ from those seen in fit.
    """
    names = get_sensor_names(X)
    if reset:
        if names is None:
            estimator.__dict__.pop("feature_names_in_", None)
        else:
            estimator.feature_names_in_ = names
        return
    fitted = getattr(estimator, "feature_names_in_", None)
    cls = type(estimator).__name__
    if names is None and fitted is None:
        return
    if names is None:
        warnings.warn(
            f"X does not have valid feature names, but {cls} was fitted with "
            "feature names", UserWarning, stacklevel=3)
        return
    if fitted is None:
        warnings.warn(
            f"X has feature names, but {cls} was fitted without feature names",
            UserWarning, stacklevel=3)
        return
    accepted = np.array_equal(names, fitted) or (
        kept is not None and np.array_equal(names, fitted[kept]))
    if not accepted:
        raise ValueError(
            "The feature names should match those that were passed during "
            f"fit. Unexpected: {sorted(set(names) - set(fitted))[:5]}; "
            f"missing: {sorted(set(fitted) - set(names))[:5]}; or the order "
            "differs."
        )


def check_sensor_array(X, *, name="X", patch_size=None, ensure_min_samples=1):
    """Validate ``X`` and return it as a float array with its layout.

    Parameters
    ----------
    X : array-like or DataFrame
        Data in one of the layouts of :mod:`sklearn_dynst._layouts`.
    name : str, default="X"
        Name used in messages.
    patch_size : int or None
        Patch edge, needed for 5-D grid data.
    ensure_min_samples : int, default=1
        Smallest acceptable number of samples.

    Returns
    -------
    X : ndarray of float
        A view of the input where possible; NaN marks missing readings.
    layout : SensorLayout

    Raises
    ------
    TypeError
        For non-numeric input (strings, objects, sparse matrices).
    ValueError
        For an unsupported number of axes, too few samples, infinite values
        or a grid not divisible by ``patch_size``.
    """
    if hasattr(X, "toarray") or type(X).__module__.startswith("scipy.sparse"):
        raise TypeError(
            f"{name} must be a dense array or DataFrame; sparse input is not "
            f"supported (got {type(X).__name__}). Convert it with .toarray()."
        )
    if is_window_frame(X):
        X = _window_frame_to_array(X, name)
    elif not (isinstance(X, np.ndarray) and X.dtype.kind == "f"):
        X = _numeric_values(X, name)
    layout = infer_layout(X, patch_size=patch_size, name=name)
    if X.shape[0] < ensure_min_samples:
        raise ValueError(
            f"{name} must have at least {ensure_min_samples} sample(s); got "
            f"shape {X.shape}."
        )
    if any(s == 0 for s in X.shape[1:]):
        raise ValueError(
            f"{name} has 0 feature(s) (shape={X.shape}) while a minimum of 1 "
            f"is required: it needs at least one sensor and one step, read as "
            f"{layout.axes}."
        )
    infinite = np.isinf(X)
    if infinite.any():
        where = tuple(int(i) for i in np.argwhere(infinite)[0])
        raise ValueError(
            f"{name} must contain finite values or NaN (for missing readings); "
            f"got {int(infinite.sum())} infinite value(s), the first at index "
            f"{where}."
        )
    return X, layout


def check_target(y, X, *, patch_size=None, estimator=None):
    """Validate a target ``y`` for ``X``; a 1-D ``y`` is one value per sample.

    Parameters
    ----------
    y : array-like or DataFrame
        In any layout of :func:`check_sensor_array`, or 1-D.
    X : ndarray
        The validated input; ``y`` must have one row per sample of it.
    patch_size : int or None
        Patch edge, needed for 5-D grid targets.
    estimator : estimator instance, default=None
        Named in the message when ``y`` is None.

    Returns
    -------
    y : ndarray of float
        1-D targets come back as ``(n_samples, 1)``.
    layout : SensorLayout
    target_shape : tuple
        Shape of one sample of ``y`` as given (``()`` for 1-D).
    """
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the "
            "target y is None."
        )
    y_arr = y if hasattr(y, "columns") else np.asarray(y)
    target_shape = tuple(np.shape(y_arr)[1:])
    if np.ndim(y_arr) == 1:
        y_arr = np.reshape(y_arr, (-1, 1))
    y_arr, layout = check_sensor_array(y_arr, name="y", patch_size=patch_size)
    check_n_samples(X, y_arr)
    return y_arr, layout, target_shape


def check_coverage(tokens, *, name="X", check_sensors=True):
    """Refuse sensors or samples that hold no observed value at all.

    Parameters
    ----------
    tokens : ndarray of shape (n_samples, n_sensors, n_steps, n_values)
    name : str
    check_sensors : bool, default=True
        Also check that every sensor has at least one reading (done at fit;
        at predict a sensor may be silent in a short batch).
    """
    observed = np.isfinite(tokens)
    empty_samples = ~observed.any(axis=(1, 2, 3))
    if empty_samples.any():
        which = np.flatnonzero(empty_samples)
        raise ValueError(
            f"{name} must have at least one observed value in every sample; "
            f"{which.size} sample(s) are all NaN, e.g. at positions "
            f"{which[:5].tolist()}. Remove them first, e.g. with "
            "sklearn_dynst.make_windows(..., drop_empty=True)."
        )
    if check_sensors:
        empty_sensors = ~observed.any(axis=(0, 2, 3))
        if empty_sensors.any():
            which = np.flatnonzero(empty_sensors)
            raise ValueError(
                f"{name} must have at least one observed value for every "
                f"sensor; {which.size} sensor(s) are all NaN, at sensor "
                f"indices {which[:10].tolist()}. Drop those sensors, or give "
                "more samples."
            )


def check_n_samples(X, y, *, names=("X", "y")):
    """Check that ``X`` and ``y`` hold the same number of samples."""
    n_x, n_y = len(X), len(y)
    if n_x != n_y:
        raise ValueError(
            f"{names[1]} must have one row per sample of {names[0]}: "
            f"{names[0]} has {n_x} samples, {names[1]} has {n_y}."
        )


def check_n_sensors(estimator, layout, *, kept=None):
    """Check that ``X`` (read as ``layout``) holds the ``n_features_in_``
    sensors ``estimator`` was fitted on, or with ``kept`` also that many
    (the kept sensors alone), in scikit-learn's words."""
    expected = estimator.n_features_in_
    if layout.n_sensors in (expected, kept):
        return
    also = "" if kept is None else \
        f"; X holding only the {kept} kept sensors is accepted too"
    raise ValueError(
        f"X has {layout.n_sensors} features, but {type(estimator).__name__} "
        f"is expecting {expected} features as input (one per sensor, X read "
        f"as {layout.axes}{also}).")


def check_adjacency(adjacency, n_sensors):
    """Validate an adjacency matrix and return it as a float array.

    Parameters
    ----------
    adjacency : array-like of shape (n_sensors, n_sensors)
        Non-negative edge weights; a zero means no edge.
    n_sensors : int

    Returns
    -------
    adjacency : ndarray of float64
    """
    if hasattr(adjacency, "toarray"):
        adjacency = adjacency.toarray()
    adjacency = _numeric_values(adjacency, "adjacency")
    expected = (n_sensors, n_sensors)
    if adjacency.shape != expected:
        raise ValueError(
            f"adjacency must have shape (n_sensors, n_sensors) = {expected}; "
            f"got {adjacency.shape}."
        )
    if not np.isfinite(adjacency).all() or (adjacency < 0).any():
        raise ValueError(
            "adjacency must hold finite, non-negative edge weights; got "
            f"min={np.nanmin(adjacency)}, and "
            f"{int((~np.isfinite(adjacency)).sum())} non-finite value(s)."
        )
    return adjacency


def check_chronological(index, *, name="X"):
    """Require a strictly increasing (chronological) index.

    Only pandas indexes are checked (a NumPy array carries no time stamps).
    """
    if not isinstance(index, pd.Index) or isinstance(index, pd.RangeIndex):
        return
    if not (index.is_monotonic_increasing and index.is_unique):
        values = np.asarray(index)
        position = int(np.flatnonzero(~(values[1:] > values[:-1]))[0]) + 1
        raise ValueError(
            f"The index of {name} must be chronological (strictly increasing) "
            f"because the last part of the data is used for validation; got "
            f"an index that goes back or repeats at position {position} "
            f"({index[position - 1]} then {index[position]}). Sort it "
            "with .sort_index()."
        )


def check_n_kept(sparsity, n_sensors):
    """Number of sensors kept at a sensor ``sparsity``; refuse zero.

    Parameters
    ----------
    sparsity : float in [0, 1)
        Fraction of sensors switched off.
    n_sensors : int

    Returns
    -------
    n_kept : int
    """
    if not isinstance(sparsity, numbers.Real) or not 0 <= sparsity < 1:
        raise ValueError(f"sparsity must be in [0, 1); got {sparsity!r}.")
    n_kept = int(np.floor((1.0 - sparsity) * n_sensors + 0.5))
    if n_kept < 1:
        raise ValueError(
            f"sparsity={sparsity} switches off every one of the {n_sensors} "
            f"sensors; it must keep at least one (sparsity <= "
            f"{1 - 1 / n_sensors:.4f} here)."
        )
    return n_kept
