"""Sensor pruning rules of DynST as plain functions on NumPy arrays.

* :func:`pruning_schedule`: how many sensors stay active after each round of
  iterative pruning (Eq. 4: each round removes the same share of the sensors
  still active, reaching the target after ``n_rounds``);
* :func:`prune_lowest`: switch off the lowest-scoring active sensors;
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
           "swap_sensors", "switched_off_share"]


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


def check_pruning_budget(sparsity, n_sensors, *, required=None, costs=None):
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
    if costs.shape != (n_sensors,) or (costs <= 0).any():
        raise ValueError(
            f"costs must hold {n_sensors} positive values; got shape "
            f"{costs.shape} with minimum {costs.min() if costs.size else None}."
        )
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
