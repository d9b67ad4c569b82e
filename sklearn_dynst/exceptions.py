"""Warnings raised by sklearn_dynst."""

__all__ = ["EmptyMaskWarning"]


class EmptyMaskWarning(UserWarning):
    """A metric had no observed truth to average over and returned NaN."""
