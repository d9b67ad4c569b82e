"""Lazy matplotlib import with a message that names the extra to install."""


def import_pyplot():
    """Return ``matplotlib.pyplot``, or raise an ImportError naming the extra."""
    try:
        from matplotlib import pyplot
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ImportError(
            "Plotting needs matplotlib: pip install \"sklearn-dynst[plot]\" "
            "(or pip install matplotlib)."
        ) from exc
    return pyplot


def get_axes(ax, figsize):
    """Return ``ax``, or the axes of a new figure."""
    if ax is not None:
        return ax
    _, ax = import_pyplot().subplots(figsize=figsize)
    return ax
