"""sklearn-dynst: which sensors can be switched off, and cheaper forecasters.

Scikit-learn estimators that forecast every sensor of a network with PyTorch
backbones run through skorch, on a GPU when there is one.
"""

from ._dyna_pruner import DynaPrunerRegressor
from ._dynst import DynSTRegressor
from ._layouts import patchify, unpatchify
from ._selector import SensorSelector
from ._windows import make_windows, temporal_train_test_split

__version__ = "0.1.0.dev0"

__all__ = [
    "DynSTRegressor",
    "DynaPrunerRegressor",
    "SensorSelector",
    "make_windows",
    "temporal_train_test_split",
    "patchify",
    "unpatchify",
    "__version__",
]
