"""skorch callbacks of sklearn_dynst (training policies).

* DynST's sensor pruning, used by the estimators:
  :class:`AlternatingMaskTraining`, :class:`IterativeSensorPruning`, and
  PALS's :class:`AdaptiveSensorPruning` (``sparsity="auto"``).
* Unstructured sparsity of the backbone's weights: :class:`WeightPruning`
  (``weight_sparsity``).
* ST-Prune's sample pruning, usable on any skorch net:
  :class:`SamplePruning` with its :class:`PrunedSampler`, and
  :class:`SampleWeightMixin` for nets that do not weight their loss per
  sample yet.
* Dyna-Pruner's input-adaptive masks: :class:`KeptShareLogger` records the
  share of tokens kept per epoch.
"""

from ._sample_pruning import PrunedSampler, SamplePruning, SampleWeightMixin
from ._sensor_pruning import (AdaptiveSensorPruning, AlternatingMaskTraining,
                              IterativeSensorPruning)
from ._token_masks import KeptShareLogger
from ._weight_pruning import WeightPruning

__all__ = ["AlternatingMaskTraining", "IterativeSensorPruning",
           "AdaptiveSensorPruning", "WeightPruning",
           "SamplePruning", "PrunedSampler", "SampleWeightMixin",
           "KeptShareLogger"]
