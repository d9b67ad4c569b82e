"""Forecast error against the share of sensors switched off."""

from ._base import get_axes

__all__ = ["plot_accuracy_vs_sparsity"]

#: drawn as horizontal lines: methods that read every sensor
_REFERENCES = ("dense", "persistence")


def plot_accuracy_vs_sparsity(results, *, metric="MAE", references=
                              _REFERENCES, ax=None, title=None):
    """Draw each method's error against sparsity, seeds averaged.

    Parameters
    ----------
    results : DataFrame
        One row per fit (or per mean) with columns ``method``, ``sparsity``
        and ``metric``, e.g. ``benchmark_raw.csv`` of
        ``benchmarks/run_benchmark.py`` for one data set. Rows with the
        same method and sparsity are averaged; the bars span one standard
        deviation. A ``sparsity`` of ``"auto"`` (a PALS fit) is drawn as a
        star at the sparsity it chose, ``1 - kept`` (column ``kept``).
    metric : str, default="MAE"
    references : tuple of str, default=("dense", "persistence")
        Methods drawn as horizontal lines (they read every sensor).
    ax : matplotlib Axes, default=None
    title : str, default=None

    Returns
    -------
    ax : matplotlib Axes

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_dynst.plotting import plot_accuracy_vs_sparsity
    >>> results = pd.DataFrame({
    ...     "method": ["dense", "dynst", "dynst", "random", "random"],
    ...     "sparsity": [0.0, 0.5, 0.9, 0.5, 0.9],
    ...     "MAE": [3.0, 3.05, 3.3, 3.2, 3.6]})
    >>> ax = plot_accuracy_vs_sparsity(results)
    >>> [text.get_text() for text in ax.get_legend().get_texts()]
    ['dense', 'dynst', 'random']
    """
    missing = {"method", "sparsity", metric} - set(results.columns)
    if missing:
        raise ValueError(
            f"results must have the columns method, sparsity and {metric}; "
            f"{sorted(missing)} missing (got {list(results.columns)}).")
    ax = get_axes(ax, (7, 4.5))
    is_auto = results["sparsity"].astype(str) == "auto"
    styles = [("0.1", "--"), ("0.55", ":"), ("0.35", "-."),
              ("0.6", (0, (5, 1, 1, 1, 1, 1)))]
    for i, (method, rows) in enumerate(results[~is_auto].groupby(
            "method", sort=False)):
        level = rows["sparsity"].astype(float)
        if method in references:
            colour, style = styles[list(references).index(method) %
                                   len(styles)]
            ax.axhline(rows[metric].mean(), ls=style, lw=1.2, color=colour,
                       label=method)
            continue
        stats = rows[metric].groupby(level).agg(["mean", "std"])
        ax.errorbar(stats.index.to_numpy(float), stats["mean"].to_numpy(),
                    yerr=stats["std"].fillna(0).to_numpy(),
                    marker="o", ms=4, capsize=2, label=method, color=f"C{i}",
                    lw=2.4 if method == "dynst" else 1.3)
    if is_auto.any():
        if "kept" not in results.columns:
            raise ValueError("results with sparsity 'auto' need a 'kept' "
                             "column (the share of sensors it kept).")
        for method, rows in results[is_auto].groupby("method", sort=False):
            ax.scatter(1 - rows["kept"].astype(float), rows[metric],
                       marker="*", s=140, color="gold", edgecolors="k",
                       zorder=5, label=f"{method} (level it chose)")
    ax.set_xlabel("sparsity (share of sensors switched off)")
    ax.set_ylabel(f"test {metric}")
    ax.set_xlim(left=min(0.0, ax.get_xlim()[0]))
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return ax
