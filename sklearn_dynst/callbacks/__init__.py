"""skorch callbacks of sklearn_dynst (training policies).

The DynST callbacks are used by the estimators; sample pruning (ST-Prune)
will be public here.
"""

from ._sensor_pruning import AlternatingMaskTraining, IterativeSensorPruning

__all__ = ["AlternatingMaskTraining", "IterativeSensorPruning"]
