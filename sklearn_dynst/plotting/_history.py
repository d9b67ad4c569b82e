"""Training histories: a logged quantity over epochs or wall time."""

import numpy as np

from ._base import get_axes

__all__ = ["plot_history"]


def plot_history(histories, key="valid_loss", *, x="epoch", ax=None,
                 drawstyle="default", title=None):
    """Plot ``key`` of one or several ``history_`` lists.

    Parameters
    ----------
    histories : list of dict, or dict of str to list of dict
        A fitted estimator's ``history_`` (one row per epoch), or several
        by name (e.g. full-data and sample-pruned training).
    key : str, default="valid_loss"
        The logged quantity, e.g. ``"train_loss"``, ``"n_active_sensors"``
        or ``"sample_share"``. Epochs without it are skipped.
    x : {"epoch", "time"}, default="epoch"
        Epoch number, or the wall time since the start of training (the
        cumulative ``dur``, in seconds): curves of methods whose epochs
        cost different times compare on it.
    ax : matplotlib Axes, default=None
    drawstyle : str, default="default"
        Matplotlib's line draw style ("steps-post" for counts).
    title : str, default=None

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> from sklearn_dynst.plotting import plot_history
    >>> full = [{"valid_loss": 1.0, "dur": 2.0}, {"valid_loss": 0.5, "dur": 2.0}]
    >>> pruned = [{"valid_loss": 1.1, "dur": 1.0}, {"valid_loss": 0.6, "dur": 1.0}]
    >>> ax = plot_history({"full": full, "pruned": pruned}, x="time")
    >>> [line.get_xdata().tolist() for line in ax.lines]
    [[2.0, 4.0], [1.0, 2.0]]
    """
    if x not in ("epoch", "time"):
        raise ValueError(f"x must be 'epoch' or 'time'; got {x!r}.")
    if not isinstance(histories, dict):
        histories = {None: histories}
    ax = get_axes(ax, (7, 3.5))
    for name, history in histories.items():
        if x == "epoch":
            position = np.arange(1, len(history) + 1, dtype=float)
        else:
            position = np.cumsum([row.get("dur", np.nan) for row in history])
        rows = [(p, row[key]) for p, row in zip(position, history)
                if row.get(key) is not None]
        if not rows:
            raise ValueError(f"no epoch of history {name!r} logs {key!r}.")
        xs, ys = zip(*rows)
        ax.plot(xs, ys, label=name, drawstyle=drawstyle)
    ax.set_xlabel("epoch" if x == "epoch" else "training time (s)")
    ax.set_ylabel(key)
    if len(histories) > 1 or None not in histories:
        ax.legend(loc="best", fontsize="small")
    if title:
        ax.set_title(title)
    return ax
