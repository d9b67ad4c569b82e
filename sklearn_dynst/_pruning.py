"""Sensor pruning rules of DynST as plain functions on NumPy arrays.

* :func:`pruning_schedule`: how many sensors stay active after each round of
  iterative pruning (Eq. 4: each round removes the same share of the sensors
  still active, reaching the target after ``n_rounds``);
* :func:`prune_lowest`: switch off the lowest-scoring active sensors;
* :func:`prune_covering`: switch off sensors one at a time, each time the
  one whose loss the kept sensors' interpolation covers best, so that the
  kept set keeps spanning the network;
* :func:`swap_sensors`: dynamic sparse training between rounds (Eq. 5-7):
  drop the active sensors with the smallest gradient magnitude, regrow the
  switched-off ones with the largest.

Operators' constraints are honoured everywhere: ``required`` sensors are
never switched off, and with ``costs`` a sparsity is the share of the total
cost switched off rather than of the count.
"""

import numpy as np

from ._validation import check_n_kept

__all__ = ["pruning_schedule", "check_pruning_budget", "prune_lowest",
           "prune_covering", "conditional_variances", "dropout_variances",
           "shrink_to_mean", "swap_sensors", "switched_off_share"]


def _as_mask(mask, n_sensors, name):
    if mask is None:
        return np.zeros(n_sensors, dtype=bool)
    mask = np.asarray(mask, dtype=bool)
    if mask.shape != (n_sensors,):
        raise ValueError(
            f"{name} must be a boolean mask of shape ({n_sensors},); got "
            f"shape {mask.shape}."
        )
    return mask


def switched_off_share(active, costs=None):
    """Share of the sensors (of their total cost, with ``costs``) that are off.

    Examples
    --------
    >>> from sklearn_dynst._pruning import switched_off_share
    >>> switched_off_share([True, False, False, True])
    0.5
    >>> switched_off_share([True, False], costs=[3.0, 1.0])
    0.25
    """
    active = np.asarray(active, dtype=bool)
    if costs is None:
        return float(1.0 - active.mean())
    costs = np.asarray(costs, dtype=float)
    return float(1.0 - costs[active].sum() / costs.sum())


def pruning_schedule(sparsity, n_rounds):
    """Target sparsity after each round of iterative pruning.

    Each round switches off the same share ``p`` of the sensors still
    active, so that ``(1 - p) ** n_rounds = 1 - sparsity``: early rounds
    remove more sensors than late ones, when the remaining ones are more
    valuable.

    Parameters
    ----------
    sparsity : float in [0, 1)
        Final share of sensors (or of their cost) switched off.
    n_rounds : int >= 1

    Returns
    -------
    levels : ndarray of shape (n_rounds,)
        Sparsity reached after each round; the last is ``sparsity``.

    Examples
    --------
    >>> from sklearn_dynst._pruning import pruning_schedule
    >>> pruning_schedule(0.75, 2)
    array([0.5 , 0.75])
    """
    if not 0 <= sparsity < 1:
        raise ValueError(f"sparsity must be in [0, 1); got {sparsity!r}.")
    if int(n_rounds) != n_rounds or n_rounds < 1:
        raise ValueError(f"n_rounds must be an int >= 1; got {n_rounds!r}.")
    keep_per_round = (1.0 - sparsity) ** (1.0 / n_rounds)
    levels = 1.0 - keep_per_round ** np.arange(1, n_rounds + 1)
    levels[-1] = sparsity
    return levels


def check_pruning_budget(sparsity, n_sensors, *, required=None, costs=None,
                         costs_name="costs"):
    """Cost that may stay on at ``sparsity``; refuse impossible constraints.

    Parameters
    ----------
    sparsity : float in [0, 1)
    n_sensors : int
    required : array-like of bool of shape (n_sensors,), default=None
        Sensors never switched off.
    costs : array-like of shape (n_sensors,), default=None
        Positive cost of each sensor; None counts every sensor as 1, and the
        budget is then the number of sensors kept, rounded as the baselines
        round it.
    costs_name : str, default="costs"
        The costs' name in error messages (the caller's parameter).

    Returns
    -------
    costs : ndarray of shape (n_sensors,)
    budget : float

    Raises
    ------
    ValueError
        If the costs are not positive, the sparsity keeps no sensor, or the
        required sensors alone cost more than the budget.

    Examples
    --------
    >>> from sklearn_dynst._pruning import check_pruning_budget
    >>> check_pruning_budget(0.5, 4)[1]
    2.0
    """
    required = _as_mask(required, n_sensors, "required")
    explicit_costs = costs is not None
    costs = np.ones(n_sensors) if costs is None else np.asarray(costs, float)
    expected = f"{costs_name} must hold {n_sensors} positive values, one " \
        "per sensor"
    if costs.shape != (n_sensors,):
        raise ValueError(f"{expected}; got shape {costs.shape}.")
    bad = np.flatnonzero(~(costs > 0))
    if bad.size:
        raise ValueError(
            f"{expected}; got {costs[bad[:5]].tolist()} at sensors "
            f"{bad[:5].tolist()}" + (" ..." if bad.size > 5 else "") + ".")
    total = costs.sum()
    n_kept = check_n_kept(sparsity, n_sensors)  # refuses keeping none
    budget = (1.0 - sparsity) * total if explicit_costs else float(n_kept)
    if costs[required].sum() > budget + 1e-9 * total:
        raise ValueError(
            f"The required sensors cost {costs[required].sum():g} of "
            f"{total:g}, more than the {1 - sparsity:.0%} that sparsity="
            f"{sparsity} keeps; lower sparsity or require fewer sensors."
        )
    return costs, budget


def prune_lowest(scores, active, sparsity, *, required=None, costs=None):
    """Switch off the lowest-scoring active sensors up to a sparsity level.

    Parameters
    ----------
    scores : array-like of shape (n_sensors,)
        Importance of each sensor (e.g. the magnitude of its learned mask
        score); higher is more important.
    active : array-like of bool of shape (n_sensors,)
        Sensors currently on.
    sparsity : float in [0, 1)
        Share of all sensors (or of the total cost, with ``costs``) that
        must be off afterwards; sensors already off count towards it.
    required : array-like of bool of shape (n_sensors,), default=None
        Sensors never switched off.
    costs : array-like of shape (n_sensors,), default=None
        Positive cost of each sensor; None counts every sensor as 1.

    Returns
    -------
    active : ndarray of bool of shape (n_sensors,)
        A new mask; at least one sensor stays on.

    Raises
    ------
    ValueError
        If ``required`` sensors alone cost more than ``1 - sparsity`` of the
        total, or shapes disagree.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst._pruning import prune_lowest
    >>> prune_lowest([0.9, 0.1, 0.5, 0.3], np.ones(4, bool), 0.5)
    array([ True, False,  True, False])
    >>> prune_lowest([0.9, 0.1, 0.5, 0.3], np.ones(4, bool), 0.5,
    ...              required=[False, True, False, False])
    array([ True,  True, False, False])
    """
    scores = np.asarray(scores, dtype=float)
    n_sensors = scores.shape[0]
    active = _as_mask(active, n_sensors, "active").copy()
    required = _as_mask(required, n_sensors, "required")
    costs, budget = check_pruning_budget(sparsity, n_sensors,
                                         required=required, costs=costs)
    total = costs.sum()
    # switch off in increasing score order until the kept cost fits
    candidates = np.flatnonzero(active & ~required)
    order = candidates[np.argsort(scores[candidates], kind="stable")]
    kept_cost = costs[active].sum()
    for sensor in order:
        if kept_cost <= budget + 1e-9 * total or active.sum() == 1:
            break
        active[sensor] = False
        kept_cost -= costs[sensor]
    return active


def _nugget(covariance, ridge):
    """The ridge in variance units: ``ridge`` times the mean variance."""
    return ridge * max(float(np.mean(np.diag(covariance))), 1e-12)


def _precision(covariance, active, nugget):
    """Active sensors and the inverse of ``covariance[active, active] +
    nugget * I`` (empty when none is active)."""
    kept = np.flatnonzero(active)
    precision = np.linalg.inv(covariance[np.ix_(kept, kept)]
                              + nugget * np.eye(kept.size))
    return kept, (precision + precision.T) / 2


def _conditional_variances(covariance, active, nugget):
    """:func:`conditional_variances` with the ridge in variance units."""
    kept, precision = _precision(covariance, active, nugget)
    variances = np.empty(active.shape[0])
    # leave-one-out: 1 / P[k, k] is the (ridged) variance of k given others
    variances[kept] = 1.0 / np.diag(precision)
    off = np.flatnonzero(~active)
    gains = covariance[np.ix_(off, kept)] @ precision
    variances[off] = (np.diag(covariance)[off] + nugget
                      - np.einsum("ij,ij->i", gains,
                                  covariance[np.ix_(off, kept)]))
    return np.clip(variances, nugget, None)


def _check_covariance(covariance, n_sensors):
    covariance = np.asarray(covariance, dtype=float)
    if covariance.shape != (n_sensors, n_sensors):
        raise ValueError(
            f"covariance must have shape ({n_sensors}, {n_sensors}), one row "
            f"and column per sensor; got shape {covariance.shape}."
        )
    return covariance


def conditional_variances(covariance, active, ridge=1e-2):
    """How well the active sensors interpolate each sensor.

    For a zero-mean Gaussian with the given covariance, the variance of
    each switched-off sensor given the active ones, and of each active
    sensor given the *other* active ones (what it would be if it were
    switched off). The solve is ridged as
    :func:`~sklearn_dynst._network.interpolation_maps` ridges it, and the
    ridge is counted in the variances (a floor: no sensor is interpolated
    better than the ridge's share of the mean variance).

    Parameters
    ----------
    covariance : array-like of shape (n_sensors, n_sensors)
    active : array-like of bool of shape (n_sensors,)
    ridge : float, default=1e-2
        Regularisation, relative to the mean variance.

    Returns
    -------
    variances : ndarray of shape (n_sensors,)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst._pruning import conditional_variances
    >>> cov = np.array([[1.0, 0.8, 0.0], [0.8, 1.0, 0.0], [0.0, 0.0, 1.0]])
    >>> conditional_variances(cov, [True, True, False], ridge=0).round(2)
    array([0.36, 0.36, 1.  ])
    """
    active = np.asarray(active, dtype=bool)
    covariance = _check_covariance(covariance, active.shape[0])
    return _conditional_variances(covariance, active,
                                  _nugget(covariance, ridge))


def dropout_variances(covariance, active, dropout, *, n_patterns=16,
                      ridge=1e-2, random_state=None):
    """Mean interpolation variance of each active sensor under dropout.

    While pruning, each active sensor is absent from a sample with
    probability ``dropout`` and its base is interpolated from the sensors
    present (see :class:`~sklearn_dynst._network.ForecastNetwork`). This
    is the mean, over ``n_patterns`` random patterns, of each sensor's
    :func:`conditional_variances` given the sensors present when it is
    absent: the interpolation error under which its absence cost was
    measured.

    Parameters
    ----------
    covariance : array-like of shape (n_sensors, n_sensors)
    active : array-like of bool of shape (n_sensors,)
    dropout : float in [0, 1)
    n_patterns : int, default=16
    ridge : float, default=1e-2
    random_state : int, Generator or None, default=None

    Returns
    -------
    variances : ndarray of shape (n_sensors,)
        For active sensors; a sensor no pattern hid (or every sensor, with
        ``dropout=0``) gets its variance given all the other active ones.
        Switched-off sensors get their variance given the active ones.

    Examples
    --------
    Two near copies: either one is interpolated well while the other is
    present, which under dropout 0.5 is half of the time.

    >>> import numpy as np
    >>> from sklearn_dynst._pruning import dropout_variances
    >>> cov = np.array([[1.0, 0.99], [0.99, 1.0]])
    >>> v = dropout_variances(cov, [True, True], 0.5, n_patterns=400,
    ...                       ridge=0, random_state=0)
    >>> bool(0.35 < v[0] < 0.65)
    True
    """
    active = np.asarray(active, dtype=bool)
    covariance = _check_covariance(covariance, active.shape[0])
    rng = np.random.default_rng(random_state)
    nugget = _nugget(covariance, ridge)
    variances = _conditional_variances(covariance, active, nugget)
    sums = np.zeros(active.shape[0])
    counts = np.zeros(active.shape[0])
    # each pattern's solve needs only the active sensors' block
    index = np.flatnonzero(active)
    block = covariance[np.ix_(index, index)]
    for _ in range(n_patterns if dropout > 0 else 0):
        shown = (rng.random(active.shape[0]) >= dropout)[index]
        absent = index[~shown]
        sums[absent] += _conditional_variances(block, shown, nugget)[~shown]
        counts[absent] += 1
    seen = counts > 0
    variances[seen] = sums[seen] / counts[seen]
    return variances


def shrink_to_mean(values, standard_errors):
    """Empirical-Bayes shrinkage of noisy per-sensor estimates.

    Each value moves towards the mean of all by the share of its variance
    that is noise: ``mean + tau2 / (tau2 + se_i ** 2) * (value_i - mean)``,
    with ``tau2`` the spread of the values beyond their noise (their
    variance minus the mean squared standard error, at least 0). Values
    that differ no more than their noise says they would all become the
    mean; well-measured differences stay.

    Parameters
    ----------
    values, standard_errors : array-like of shape (n_sensors,)
        Non-finite values (or errors) are left as they are and out of the
        statistics.

    Returns
    -------
    shrunk : ndarray of shape (n_sensors,)

    Examples
    --------
    >>> from sklearn_dynst._pruning import shrink_to_mean
    >>> shrink_to_mean([1.0, 3.0], [10.0, 10.0])      # all noise
    array([2., 2.])
    >>> shrink_to_mean([1.0, 3.0], [0.0, 0.0])        # no noise
    array([1., 3.])
    """
    values = np.asarray(values, dtype=float)
    errors = np.asarray(standard_errors, dtype=float)
    finite = np.isfinite(values) & np.isfinite(errors)
    if finite.sum() < 2:
        return values.copy()
    mean = values[finite].mean()
    spread = max(values[finite].var() - np.mean(errors[finite] ** 2), 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        factor = np.where(errors > 0, spread / (spread + errors ** 2), 1.0)
    return np.where(finite, mean + factor * (values - mean), values)


def prune_covering(weights, active, sparsity, covariance, *, required=None,
                   costs=None, ridge=1e-2):
    """Switch off sensors one at a time, keeping the network covered.

    A switched-off sensor is forecast from an estimate interpolated from
    the kept sensors (see
    :func:`~sklearn_dynst._network.interpolation_maps`), so what it costs
    is modelled as ``weights[i] * var(i | kept)``: its importance per unit
    of interpolation error, times that error's variance. Switching off
    active sensor ``j`` adds its own term and raises the terms of the
    sensors already off that leaned on it; the function repeatedly
    switches off the sensor that adds least,

    ``v_j * (weights[j] + sum_i weights[i] * K[i, j] ** 2)``

    (``v_j = var(j | other kept)``, ``K`` the kriging weights of the
    switched-off sensors ``i`` on the kept ones), and updates ``v`` and
    ``K`` by a rank-one downdate of the precision matrix, until the
    sparsity is reached. Two neighbours that each look redundant while the
    other stays are so not both switched off, which ranking by a score
    measured once per round cannot see.

    Parameters
    ----------
    weights : array-like of shape (n_sensors,)
        Non-negative importance per unit of interpolation variance of every
        sensor, switched-off ones included (e.g. a sensor's measured absence
        cost divided by its :func:`conditional_variances`).
    active : array-like of bool of shape (n_sensors,)
    sparsity : float in [0, 1)
        Share of all sensors (or of the total cost) off afterwards.
    covariance : array-like of shape (n_sensors, n_sensors)
        Covariance of the sensors' standardised values.
    required, costs
        As in :func:`prune_lowest`.
    ridge : float, default=1e-2
        Regularisation, relative to the mean variance.

    Returns
    -------
    active : ndarray of bool of shape (n_sensors,)

    Examples
    --------
    Sensors 0 and 1 are near copies of each other, 2 and 3 independent,
    and sensor 3 weighs twice as much as the others: one of the pair goes
    first, and the other then stays to stand in for it.

    >>> import numpy as np
    >>> from sklearn_dynst._pruning import prune_covering
    >>> cov = np.eye(4)
    >>> cov[0, 1] = cov[1, 0] = 0.95
    >>> weights = np.array([1.0, 1.0, 1.0, 2.0])
    >>> prune_covering(weights, np.ones(4, bool), 0.25, cov)
    array([False,  True,  True,  True])
    >>> prune_covering(weights, np.ones(4, bool), 0.5, cov)
    array([False,  True, False,  True])
    """
    weights = np.clip(np.asarray(weights, dtype=float), 0.0, None)
    n_sensors = weights.shape[0]
    if not np.isfinite(weights).all():
        raise ValueError("weights must be finite; got "
                         f"{int((~np.isfinite(weights)).sum())} that are not.")
    active = _as_mask(active, n_sensors, "active").copy()
    required = _as_mask(required, n_sensors, "required")
    covariance = _check_covariance(covariance, n_sensors)
    costs, budget = check_pruning_budget(sparsity, n_sensors,
                                         required=required, costs=costs)
    total = costs.sum()
    kept, precision = _precision(covariance, active,
                                 _nugget(covariance, ridge))
    off = np.flatnonzero(~active)
    n_kept = kept.size
    # K, the kriging weights of the off sensors (rows) on the kept ones
    # (columns); rows for the sensors this call switches off are appended.
    # A removed sensor's column is swapped to the end and the views shrink,
    # so every update is in place.
    gains = np.zeros((off.size + n_kept, n_kept))
    gains[:off.size] = covariance[np.ix_(off, kept)] @ precision
    row_weights = np.zeros(off.size + n_kept)
    row_weights[:off.size] = weights[off]
    n_off = off.size
    # sum_i w_i K_ij^2 per kept sensor, kept up to date by rank-one algebra
    leaned = row_weights[:n_off] @ gains[:n_off] ** 2
    own = weights[kept].copy()
    fixed = required[kept].copy()
    kept_cost = costs[active].sum()
    while kept_cost > budget + 1e-9 * total and n_kept > 1:
        diag = precision[:n_kept, :n_kept].diagonal()
        added = (own[:n_kept] + leaned[:n_kept]) / diag
        added[fixed[:n_kept]] = np.inf
        position = int(np.argmin(added))
        if not np.isfinite(added[position]):
            break  # only required sensors are left
        last = n_kept - 1
        swap = [position, last], [last, position]
        for array in (kept, own, leaned, fixed):
            array[swap[0]] = array[swap[1]]
        precision[swap[0], :n_kept] = precision[swap[1], :n_kept]
        precision[:n_kept, swap[0]] = precision[:n_kept, swap[1]]
        gains[:n_off, swap[0]] = gains[:n_off, swap[1]]
        sensor, pivot = kept[last], precision[last, last]
        column = precision[:last, last].copy()
        row = -column / pivot  # the removed sensor's weights on the rest
        lean = gains[:n_off, last].copy()
        weighted = row_weights[:n_off] * lean
        # K[:, l] += lean * row[l]: update sum_i w_i K_il^2 before K itself
        leaned[:last] += (2 * row * (weighted @ gains[:n_off, :last])
                          + row ** 2 * (weighted @ lean + own[last]))
        gains[:n_off, :last] += np.outer(lean, row)
        gains[n_off, :last] = row
        row_weights[n_off] = own[last]
        n_off += 1
        precision[:last, :last] -= np.outer(column, column) / pivot
        n_kept = last
        active[sensor] = False
        kept_cost -= costs[sensor]
    return active


def swap_sensors(active, gradients, n_swap, *, required=None, signed=False,
                 n_grow=None):
    """Exchange sensors between the active and the switched-off sets.

    Drops the ``n_swap`` active sensors whose mask gradient has the smallest
    magnitude (they matter least to the loss now) and regrows the
    ``n_swap`` switched-off sensors with the largest (they would matter
    most), DynST's Eq. 5-7. The number of active sensors is unchanged
    unless ``n_grow`` differs; ``required`` sensors are never dropped, and
    sensors dropped now are not regrown at once.

    Parameters
    ----------
    active : array-like of bool of shape (n_sensors,)
    gradients : array-like of shape (n_sensors,)
        Gradient of the loss with respect to each sensor's mask score,
        switched-off sensors included.
    n_swap : int >= 0
    required : array-like of bool of shape (n_sensors,), default=None
    signed : bool, default=False
        If True, ``gradients`` are signed values (e.g. the estimated loss
        increase of removing a sensor): drop the active sensors with the
        smallest values, regrow the switched-off ones with the largest.
    n_grow : int, default=None
        Sensors regrown, when not ``n_swap`` (PALS's shrink and expand).

    Returns
    -------
    active : ndarray of bool of shape (n_sensors,)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst._pruning import swap_sensors
    >>> swap_sensors([True, True, False, False], [0.5, 0.01, 0.2, 0.9], 1)
    array([ True, False, False,  True])
    """
    magnitude = np.asarray(gradients, dtype=float)
    if not signed:
        magnitude = np.abs(magnitude)
    n_sensors = magnitude.shape[0]
    active = _as_mask(active, n_sensors, "active").copy()
    required = _as_mask(required, n_sensors, "required")
    droppable = np.flatnonzero(active & ~required)
    regrowable = np.flatnonzero(~active)
    if n_grow is None:
        n_swap = n_grow = int(min(n_swap, droppable.size, regrowable.size))
    else:
        n_swap = int(min(n_swap, droppable.size))
        n_grow = int(min(n_grow, regrowable.size))
    drop = droppable[np.argsort(magnitude[droppable], kind="stable")[:n_swap]]
    grow = regrowable[np.argsort(-magnitude[regrowable],
                                 kind="stable")[:n_grow]]
    active[drop] = False
    active[grow] = True
    return active
