"""Warnings raised by sklearn_dynst."""

__all__ = ["EmptyMaskWarning"]


class EmptyMaskWarning(UserWarning):
    """A metric had no observed truth to average over and returned NaN.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from sklearn_dynst.exceptions import EmptyMaskWarning
    >>> from sklearn_dynst.metrics import masked_mae
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     value = masked_mae(np.array([[np.nan]]), np.array([[1.0]]))
    >>> value, caught[0].category is EmptyMaskWarning
    (nan, True)
    """
