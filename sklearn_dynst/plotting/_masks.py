"""What input-adaptive masks keep, against how busy the input is."""

import numpy as np
from scipy.stats import spearmanr

from .._sample_pruning import make_strata
from ._base import get_axes

__all__ = ["plot_kept_share"]


def plot_kept_share(variability, kept_share, *, n_bins=8, ax=None,
                    title=None):
    """Scatter each window's kept share against how busy its input is.

    Draws one point per window and the mean kept share per quantile bin of
    the variability; the legend gives Spearman's rank correlation (above 0:
    busier windows keep more).

    Parameters
    ----------
    variability : array-like of shape (n_samples,)
        How busy each input is, e.g.
        :func:`~sklearn_dynst.metrics.window_variability`.
    kept_share : array-like of shape (n_samples,)
        Share of the regions each window kept, e.g. ``model.predict_masks(X)
        .mean(1)`` of a :class:`~sklearn_dynst.DynaPrunerRegressor`.
    n_bins : int, default=8
    ax : matplotlib Axes, default=None
    title : str, default=None

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst.plotting import plot_kept_share
    >>> busy = np.linspace(0, 1, 50)
    >>> ax = plot_kept_share(busy, 0.3 + 0.4 * busy)
    >>> ax.get_legend().get_texts()[0].get_text()
    'windows (Spearman 1.00)'
    """
    variability = np.asarray(variability, dtype=float)
    kept_share = np.asarray(kept_share, dtype=float)
    if variability.shape != kept_share.shape or variability.ndim != 1:
        raise ValueError(
            "variability and kept_share must be 1-D of the same length; got "
            f"shapes {variability.shape} and {kept_share.shape}.")
    ax = get_axes(ax, (6, 4))
    finite = np.isfinite(variability) & np.isfinite(kept_share)
    v, k = variability[finite], kept_share[finite]
    rho = spearmanr(v, k)[0] if np.ptp(k) > 0 and np.ptp(v) > 0 else np.nan
    ax.scatter(v, k, s=8, alpha=0.35, label=f"windows (Spearman {rho:.2f})")
    bins = make_strata(v, n_bins)
    if len(v):
        labels = range(bins.max() + 1)
        ax.plot([v[bins == b].mean() for b in labels],
                [k[bins == b].mean() for b in labels], "o-", color="C3",
                label="mean per bin")
    ax.set_xlabel("input variability")
    ax.set_ylabel("share of regions kept")
    ax.set_ylim(0, 1.02)
    ax.legend(loc="best")
    if title:
        ax.set_title(title)
    return ax
