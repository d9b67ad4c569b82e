"""ST-Prune's algorithm core: score samples, measure stationarity, pick samples.

Plain functions that :class:`~sklearn_dynst.callbacks.SamplePruning` drives
each epoch; each can be used and tested on its own.

* :func:`complexity_score`: how hard a sample is, from its per-sensor (and
  per-horizon) errors, so that one badly forecast sensor shows (the mean
  over every sensor would dilute it: the "averaging masking effect").
* :func:`nonstationarity`: how far each window's level moves, in units of
  each series' spread, to stratify samples.
* :func:`prune_samples`: which samples train this epoch and with what loss
  weight, pruning only easy samples, stratum by stratum, and up-weighting
  the kept easy ones so the expected loss is unchanged.
"""

import math
import warnings

import numpy as np
import torch

__all__ = ["complexity_score", "mean_score", "nonstationarity",
           "make_strata", "prune_samples"]


def _flatten_cells(errors):
    """(batch, n_sensors, n_cells) view of per-sample errors."""
    errors = torch.as_tensor(errors)
    if errors.ndim == 1:
        return errors[:, None, None]
    return errors.reshape(errors.shape[0], errors.shape[1], -1)


def complexity_score(errors, power=4.0, observed=None):
    """Power mean of the sensors' errors, averaged over horizon steps.

    For each sample and each horizon step (each column of the trailing
    axes), the errors ``e_s`` of the ``n`` observed sensors give
    ``(mean_s e_s ** power) ** (1 / power)``; the sample's score is the mean
    of that over the steps. The power mean lies between the mean
    (``power=1``) and the maximum (``power`` to infinity): one sensor with
    error ``E`` among ``n`` calm ones raises it by about ``E / n ** (1 /
    power)`` (``E / 3.8`` for 207 sensors), where the plain mean rises by
    ``E / n`` (``E / 207``). A local spike (a jam at one junction, a storm
    cell) therefore marks the sample as hard, instead of being averaged
    away. Taking it per horizon step, not over every (sensor, step) cell,
    keeps the growth of the error with the horizon out of the comparison.
    It costs a few elementwise operations per batch (no sort).

    Parameters
    ----------
    errors : Tensor of shape (batch, n_sensors, ...) or (batch,)
        Pointwise errors (e.g. absolute errors in standardised units); NaN
        where the truth is missing.
    power : float >= 1, default=4.0
        Order of the power mean over sensors.
    observed : bool Tensor like ``errors``, default=None
        Which errors are observed, when ``errors`` holds 0 (not NaN) for
        the missing truths (saves two passes over the batch).

    Returns
    -------
    score : Tensor of shape (batch,)
        NaN for a sample without any observed error.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dynst._sample_pruning import complexity_score, mean_score
    >>> calm = torch.full((1, 16), 0.1)
    >>> spike = calm.clone(); spike[0, 3] = 2.0
    >>> errors = torch.cat([calm, spike])
    >>> complexity_score(errors).round(decimals=3)
    tensor([0.1000, 1.0000])
    >>> mean_score(errors).round(decimals=3)
    tensor([0.1000, 0.2190])
    """
    if not power >= 1:
        raise ValueError(f"power must be >= 1; got {power!r}.")
    errors = _flatten_cells(errors).float()
    if observed is None:
        observed = ~torch.isnan(errors)
        errors = torch.nan_to_num(errors)
    else:
        observed = _flatten_cells(observed)
    count = observed.sum(1)  # (batch, cells)
    errors = errors.abs()
    # the default power 4 as two squares: much cheaper than pow
    powered = errors.square().square() if power == 4 else errors.pow(power)
    moment = powered.sum(1) / count.clamp_min(1)
    per_cell = moment.sqrt().sqrt() if power == 4 else moment.pow(1 / power)
    per_cell = torch.where(count > 0, per_cell, torch.nan)
    return per_cell.nanmean(1)


def mean_score(errors):
    """Mean error over every observed cell (InfoBatch's per-sample loss).

    Parameters
    ----------
    errors : Tensor of shape (batch, ...)
        Pointwise errors; NaN where the truth is missing.

    Returns
    -------
    score : Tensor of shape (batch,)

    Examples
    --------
    >>> import torch
    >>> from sklearn_dynst._sample_pruning import mean_score
    >>> mean_score(torch.tensor([[1.0, 3.0], [2.0, float("nan")]]))
    tensor([2., 2.])
    """
    errors = torch.as_tensor(errors).float()
    return errors.reshape(errors.shape[0], -1).nanmean(1)


def nonstationarity(windows, time_axis=1):
    """Level shift of each window, in units of each series' spread.

    For every series of a window (all axes but the sample and time axes),
    the mean of the second half of its steps minus the mean of the first
    half, divided by that series' standard deviation over all windows and
    steps; the window's value is the mean absolute shift over its series.
    Zero for a window whose level holds still, large for a trend or a jump.
    Cheap (one pass), scale-free, and NaN-aware.

    Parameters
    ----------
    windows : ndarray of shape (n_samples, ...)
        Input windows with a time axis.
    time_axis : int, default=1
        Axis of the time steps.

    Returns
    -------
    shift : ndarray of shape (n_samples,)
        Zero where it cannot be measured (fewer than 2 steps, no reading).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst._sample_pruning import nonstationarity
    >>> flat = np.ones((1, 4, 2))
    >>> trend = np.arange(8.0).reshape(1, 4, 2)
    >>> nonstationarity(np.concatenate([flat, trend])).round(2)
    array([0.  , 1.99])
    """
    windows = np.moveaxis(np.asarray(windows, dtype=np.float64), time_axis, 1)
    n_samples, n_steps = windows.shape[:2]
    if n_steps < 2:
        return np.zeros(n_samples)
    series = windows.reshape(n_samples, n_steps, -1)
    half = n_steps // 2
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN slices
        first = np.nanmean(series[:, :half], axis=1)
        second = np.nanmean(series[:, n_steps - half:], axis=1)
        spread = np.nanstd(series, axis=(0, 1))
        spread = np.where(spread > 0, spread, np.nan)
        shift = np.nanmean(np.abs(second - first) / spread, axis=1)
    return np.nan_to_num(shift, nan=0.0)


def make_strata(values, n_strata):
    """Label each sample with its quantile bin of ``values``.

    Parameters
    ----------
    values : ndarray of shape (n_samples,)
    n_strata : int
        Number of equal-count bins (fewer when values tie).

    Returns
    -------
    strata : ndarray of int of shape (n_samples,)

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst._sample_pruning import make_strata
    >>> make_strata(np.array([0.1, 5.0, 0.2, 3.0]), 2).tolist()
    [0, 1, 0, 1]
    """
    values = np.asarray(values, dtype=float)
    if n_strata <= 1 or len(values) == 0:
        return np.zeros(len(values), dtype=int)
    edges = np.unique(np.quantile(values, np.linspace(0, 1, n_strata + 1)
                                  [1:-1]))
    labels = np.searchsorted(edges, values, side="right")
    return np.unique(labels, return_inverse=True)[1]  # 0, 1, ... in order


def prune_samples(scores, ratio, strata=None, easy="mean", rescale=True,
                  random_state=None):
    """Choose this epoch's samples and their loss weights.

    Samples whose score is below the threshold (``easy``) are easy; in each
    stratum, ``round(ratio * n_easy)`` of its easy samples, drawn uniformly,
    sit this epoch out. The kept easy samples of a stratum weigh
    ``n_easy / n_kept_easy`` so that, over the draw, the expected weighted
    sum of any per-sample quantity equals its sum over all samples
    (unbiased); every stratum keeps its share of the data. Hard samples,
    and samples never scored (NaN or infinite scores), always train with
    weight 1.

    Parameters
    ----------
    scores : ndarray of shape (n_samples,)
    ratio : float in [0, 1]
        Share of the easy samples pruned.
    strata : ndarray of int of shape (n_samples,), default=None
        Stratum of each sample (one stratum when None).
    easy : "mean", "all" or float in (0, 1], default="mean"
        Which samples are easy: scores below the mean of the finite scores
        (InfoBatch's rule), every sample (uniform random pruning), or the
        lowest-scoring share.
    rescale : bool, default=True
        Up-weight the kept easy samples; without it every weight is 1.
    random_state : int, RandomState or Generator, default=None

    Returns
    -------
    indices : ndarray of int
        The kept samples, in random order.
    weights : ndarray of shape (n_samples,)
        Loss weight of every sample (0 for the pruned ones).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst._sample_pruning import prune_samples
    >>> scores = np.array([0.1, 0.2, 0.3, 0.4, 5.0, 6.0])
    >>> kept, weights = prune_samples(scores, 0.5, random_state=0)
    >>> len(kept), sorted(weights.tolist())
    (4, [0.0, 0.0, 1.0, 1.0, 2.0, 2.0])
    """
    scores = np.asarray(scores, dtype=float)
    n_samples = len(scores)
    rng = random_state if isinstance(
        random_state, (np.random.Generator, np.random.RandomState)) \
        else np.random.default_rng(random_state)
    if strata is None:
        strata = np.zeros(n_samples, dtype=int)
    known = np.isfinite(scores)
    if isinstance(easy, str) and easy == "all":
        is_easy = known
    elif isinstance(easy, str) and easy == "mean":
        threshold = scores[known].mean() if known.any() else np.inf
        is_easy = known & (scores < threshold)
    else:
        order = np.argsort(np.where(known, scores, np.inf), kind="stable")
        n_easy = min(int(math.floor(easy * n_samples)), int(known.sum()))
        is_easy = np.zeros(n_samples, dtype=bool)
        is_easy[order[:n_easy]] = True
    weights = np.ones(n_samples)
    for stratum in np.unique(strata):
        members = np.flatnonzero(is_easy & (strata == stratum))
        n_pruned = int(round(ratio * len(members)))
        if n_pruned == 0:
            continue
        pruned = rng.choice(members, n_pruned, replace=False)
        weights[pruned] = 0.0
        if rescale and n_pruned < len(members):
            kept = np.setdiff1d(members, pruned, assume_unique=True)
            weights[kept] = len(members) / len(kept)
    indices = np.flatnonzero(weights > 0)
    return rng.permutation(indices), weights

