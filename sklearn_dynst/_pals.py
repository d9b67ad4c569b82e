"""PALS's sparsity controller as plain functions: shrink, expand or stay.

PALS (papers/003) decides during training how sparse a network may be.
Every update it compares the validation loss with ``tolerance`` times the
best loss so far:

* **shrink** when within it and below ``max_sparsity`` (and always below
  ``min_sparsity``): prune ``growth`` times more than it regrows;
* **expand** when above it and sparser than where the best loss was seen:
  regrow ``growth`` times more than it prunes;
* **stable** otherwise: prune and regrow as many (dynamic sparse training).

The share of the active units exchanged per update, the prune rate, decays
from ``initial_rate`` to ``final_rate`` along a cosine. The estimators use
these functions for sensors (``sparsity="auto"``).
"""

import math

__all__ = ["DECISIONS", "pals_decision", "PALSController", "cosine_rate",
           "update_counts"]

DECISIONS = ("shrink", "expand", "stable")


def pals_decision(loss, best_loss, sparsity, best_sparsity, *,
                  tolerance=1.1, max_sparsity=0.9, min_sparsity=0.2):
    """The PALS decision for one update.

    Parameters
    ----------
    loss : float
        Validation loss now.
    best_loss : float
        Lowest validation loss seen so far (at any sparsity).
    sparsity : float
        Sparsity now.
    best_sparsity : float
        Sparsity at which ``best_loss`` was seen.
    tolerance : float, default=1.1
        PALS's lambda: losses up to ``tolerance * best_loss`` count as good.
    max_sparsity : float, default=0.9
        Ceiling: never shrink at or above it.
    min_sparsity : float, default=0.2
        Floor: always shrink below it.

    Returns
    -------
    decision : {"shrink", "expand", "stable"}

    Examples
    --------
    >>> from sklearn_dynst._pals import pals_decision
    >>> pals_decision(1.05, 1.0, 0.5, 0.3)   # within 1.1 x best
    'shrink'
    >>> pals_decision(1.2, 1.0, 0.5, 0.3)    # worse, and sparser than best
    'expand'
    >>> pals_decision(1.2, 1.0, 0.3, 0.5)    # worse, but denser than best
    'stable'
    """
    if sparsity < min_sparsity:
        return "shrink"
    within = loss <= tolerance * best_loss
    if within and sparsity < max_sparsity:
        return "shrink"
    if not within and sparsity > best_sparsity:
        return "expand"
    return "stable"


class PALSController:
    """:func:`pals_decision` with the best loss and its sparsity kept.

    Parameters
    ----------
    tolerance, max_sparsity, min_sparsity : float
        See :func:`pals_decision`.

    Attributes
    ----------
    best_loss_ : float
        Lowest loss seen so far (inf before the first update).
    best_sparsity_ : float
        Sparsity at which ``best_loss_`` was seen.

    Examples
    --------
    >>> from sklearn_dynst._pals import PALSController
    >>> controller = PALSController()
    >>> controller.decide(1.0, 0.3), controller.decide(1.3, 0.4)
    ('shrink', 'expand')
    >>> controller.best_loss_, controller.best_sparsity_
    (1.0, 0.3)
    """

    def __init__(self, tolerance=1.1, max_sparsity=0.9, min_sparsity=0.2):
        self.tolerance = tolerance
        self.max_sparsity = max_sparsity
        self.min_sparsity = min_sparsity
        self.best_loss_, self.best_sparsity_ = math.inf, 0.0

    def decide(self, loss, sparsity):
        """Record ``loss`` at ``sparsity``; return the decision.

        A NaN ``loss`` (nothing observed to measure it on) tells nothing:
        the level stays ("stable"), or below ``min_sparsity`` shrinks.
        """
        if math.isnan(loss):
            return "shrink" if sparsity < self.min_sparsity else "stable"
        if loss < self.best_loss_:
            self.best_loss_, self.best_sparsity_ = loss, sparsity
        return pals_decision(loss, self.best_loss_, sparsity,
                             self.best_sparsity_, tolerance=self.tolerance,
                             max_sparsity=self.max_sparsity,
                             min_sparsity=self.min_sparsity)


def cosine_rate(progress, initial_rate=0.5, final_rate=0.005):
    """Prune rate at ``progress`` in [0, 1] of the decision period.

    Examples
    --------
    >>> from sklearn_dynst._pals import cosine_rate
    >>> cosine_rate(0.0), round(cosine_rate(0.5), 4), cosine_rate(1.0)
    (0.5, 0.2525, 0.005)
    """
    progress = min(max(progress, 0.0), 1.0)
    return final_rate + 0.5 * (initial_rate - final_rate) * (
        1.0 + math.cos(math.pi * progress))


def update_counts(decision, rate, n_active, n_inactive, *, growth=1.1,
                  max_swap=None, max_sparsity=None):
    """How many units to prune and to regrow for a decision.

    ``rate * n_active`` units are exchanged (pruned and regrown, as many as
    there are switched-off units to regrow); a shrink prunes ``growth - 1``
    times that many more (at least one), an expand regrows as many more.
    Starting dense, nothing can be regrown, so a shrink prunes only the
    extra share (a dense network loses ``(growth - 1) * rate`` of its
    units per shrink, not ``growth * rate``). ``max_swap`` caps the units
    exchanged (not the extra ones): for sensors, swapping a large share of
    the inputs every few steps undoes the training (see
    :class:`~sklearn_dynst.callbacks.AdaptiveSensorPruning`).

    Parameters
    ----------
    decision : {"shrink", "expand", "stable"}
    rate : float
        Share of the active units exchanged.
    n_active, n_inactive : int
    growth : float, default=1.1
        PALS's gamma.
    max_swap : int, default=None
        Most units exchanged; None: no cap.
    max_sparsity : float, default=None
        A shrink never leaves fewer than ``1 - max_sparsity`` of the units
        (at least one) active; None: only the last unit is kept.

    Returns
    -------
    n_prune, n_grow : int

    Examples
    --------
    >>> from sklearn_dynst._pals import update_counts
    >>> update_counts("shrink", 0.5, 200, 0)
    (10, 0)
    >>> update_counts("shrink", 0.5, 100, 100)
    (55, 50)
    >>> update_counts("expand", 0.1, 100, 100)
    (10, 11)
    >>> update_counts("shrink", 0.5, 100, 100, max_swap=0)
    (5, 0)
    >>> update_counts("shrink", 0.5, 100, 100, max_sparsity=0.51)
    (52, 50)
    """
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}; got "
                         f"{decision!r}.")
    exchanged = int(round(rate * n_active))
    extra = max(1, int(round((growth - 1.0) * exchanged)))
    swap = min(exchanged, n_inactive)
    if max_swap is not None:
        swap = min(swap, int(max_swap))
    if decision == "shrink":
        n_min = 1
        if max_sparsity is not None:
            n_min = max(1, math.ceil((1.0 - max_sparsity)
                                     * (n_active + n_inactive) - 1e-9))
        return min(swap + extra, swap + max(n_active - n_min, 0),
                   n_active - 1), swap
    if decision == "expand":
        return swap, min(swap + extra, n_inactive)
    return swap, swap
