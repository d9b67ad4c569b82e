"""Baselines to compare sensor selection and forecasting against.

A forecaster that does not beat :class:`PersistenceRegressor`, and a learned
selector that does not beat :class:`RandomSensorSelector`,
:class:`VarianceSensorSelector` and :class:`QRSensorSelector` at the same
sparsity, has learned nothing useful.
"""

from ._persistence import PersistenceRegressor
from ._selectors import (
    QRSensorSelector,
    RandomSensorSelector,
    VarianceSensorSelector,
)

__all__ = [
    "PersistenceRegressor",
    "QRSensorSelector",
    "RandomSensorSelector",
    "VarianceSensorSelector",
]
