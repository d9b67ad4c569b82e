"""Training histories: a logged quantity over epochs or wall time, and
PALS's sparsity path."""

import numpy as np

from ._base import get_axes

__all__ = ["plot_history", "plot_sparsity_path"]


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


DECISION_STYLE = {"shrink": ("v", "tab:red"), "expand": ("^", "tab:green"),
                  "stable": ("o", "0.5")}


def plot_sparsity_path(history, *, ax=None, loss=True, tolerance=None,
                       title=None):
    """PALS's sparsity over training, each update marked by its decision.

    Parameters
    ----------
    history : list of dict
        A ``history_`` of ``sparsity="auto"`` (epoch rows holding
        ``sparsity_updates``), or the updates themselves (dicts with
        ``step``, ``sparsity``, ``decision``, ``loss``, ``best_loss``).
    ax : matplotlib Axes, default=None
    loss : bool, default=True
        Also draw the validation error each update compared (PALS: the
        MAE in the target's units) on a second y axis, with ``tolerance``
        times the best when ``tolerance`` is given.
    tolerance : float, default=None
        PALS's lambda, to draw the shrink threshold.
    title : str, default=None

    Returns
    -------
    ax : matplotlib Axes
        The sparsity axes (the loss axes is ``ax.right_ax`` when drawn).

    Examples
    --------
    >>> from sklearn_dynst.plotting import plot_sparsity_path
    >>> updates = [
    ...     {"step": 10, "sparsity": 0.1, "decision": "shrink", "loss": 1.0,
    ...      "best_loss": 1.0},
    ...     {"step": 20, "sparsity": 0.05, "decision": "expand", "loss": 1.3,
    ...      "best_loss": 1.0}]
    >>> ax = plot_sparsity_path(updates, tolerance=1.1)
    >>> ax.lines[0].get_ydata().tolist()
    [0.1, 0.05]
    """
    updates = [u for row in history for u in row.get("sparsity_updates", [])]
    if not updates and history and "decision" in history[0]:
        updates = list(history)
    if not updates:
        raise ValueError("history holds no PALS updates: fit with "
                         "sparsity='auto', or pass its updates.")
    ax = get_axes(ax, (8, 3.8))
    steps = np.array([u["step"] for u in updates])
    sparsity = np.array([u["sparsity"] for u in updates])
    ax.plot(steps, sparsity, color="k", lw=1, drawstyle="steps-post")
    for decision, (marker, color) in DECISION_STYLE.items():
        chosen = np.array([u["decision"] == decision for u in updates])
        if chosen.any():
            ax.scatter(steps[chosen], sparsity[chosen], marker=marker,
                       color=color, s=22, zorder=3, label=decision)
    ax.set_xlabel("training step")
    ax.set_ylabel("sparsity (share of sensors off)")
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left", fontsize="small")
    if loss:
        right = ax.twinx()
        right.plot(steps, [u["loss"] for u in updates], color="tab:blue",
                   lw=0.8, alpha=0.7, label="validation error")
        if tolerance is not None:
            right.plot(steps, [tolerance * u["best_loss"] for u in updates],
                       color="tab:blue", lw=0.8, ls="--",
                       label=f"{tolerance} x best")
        right.set_ylabel("validation error", color="tab:blue")
        right.legend(loc="lower right", fontsize="small")
        ax.right_ax = right
    if title:
        ax.set_title(title)
    return ax
