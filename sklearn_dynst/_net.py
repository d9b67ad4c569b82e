"""skorch integration shared by every estimator of the package.

* :class:`ForecastNet`: a ``skorch.NeuralNet`` whose loss is a masked loss
  (:class:`MaskedLoss`) in standardised units, and whose training and validation steps hand the
  per-sample losses, the pointwise errors (0 where the truth is missing)
  with their observed mask, and the samples' positions to the callbacks,
  through ``on_batch_end(net, batch, training, loss, y_pred, sample_loss,
  sample_errors, sample_observed, sample_index)``. A callback may weight the
  samples of the next training batch with :meth:`ForecastNet.set_batch_weight`
  (sample pruning uses this).
* :class:`ChronologicalSplit`: internal validation on the *last* rows.
* :func:`resolve_device`: ``"auto"`` -> CUDA when available, else CPU.
* :func:`lr_scale_groups`: optimizer groups for the parameters a module
  asks to train at a scaled learning rate (``lr_scales(n_kept)``).
"""

from collections.abc import Mapping

import numpy as np
import torch
from skorch import NeuralNet
from skorch.dataset import unpack_data
from skorch.utils import to_tensor
from torch import nn
from torch.utils.data import Subset

from ._windows import chronological_split
from .metrics._torch import LOSSES, masked_error, pointwise_error, \
    reduce_sample_losses, sum_sample_losses

__all__ = ["ForecastNet", "BatchWeightMixin", "ChronologicalSplit",
           "MaskedLoss", "lr_scale_groups", "resolve_device"]

SAMPLE_INDEX = "sample_index"


def resolve_device(device):
    """Resolve ``"auto"`` to ``"cuda"`` when a GPU is available, else ``"cpu"``.

    Examples
    --------
    >>> from sklearn_dynst._net import resolve_device
    >>> resolve_device("cpu")
    'cpu'
    """
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def lr_scale_groups(module, lr, n_kept):
    """skorch ``optimizer__param_groups`` for the scaled parameters of ``module``.

    Every submodule with an ``lr_scales(n_kept)`` method names some of its
    own parameters and a factor for each; each parameter whose factor is
    not 1 gets its own group at ``lr * factor`` (learning-rate schedulers
    then scale it along with the others).

    Parameters
    ----------
    module : nn.Module
    lr : float
        The optimizer's learning rate.
    n_kept : int
        Number of sensors the trained network is expected to read.

    Returns
    -------
    groups : list of (str, dict)
        ``(parameter name, {"lr": ...})`` pairs, names as in
        ``module.named_parameters()``.

    Examples
    --------
    >>> from sklearn_dynst._net import lr_scale_groups
    >>> from sklearn_dynst.backbones import MLPBackbone
    >>> net = MLPBackbone(n_sensors=512, in_features=4, n_outputs=512,
    ...                   out_features=2)
    >>> lr_scale_groups(net, 1e-3, n_kept=512)
    [('decoder.mixing', {'lr': 0.000125})]
    >>> lr_scale_groups(net, 1e-3, n_kept=32)  # few sensors read: lr as is
    []
    """
    groups = []
    for prefix, submodule in module.named_modules():
        scales = getattr(submodule, "lr_scales", None)
        if not callable(scales):
            continue
        for name, factor in scales(n_kept).items():
            if factor != 1:
                full = f"{prefix}.{name}" if prefix else name
                groups.append((full, {"lr": lr * factor}))
    return groups


class MaskedLoss(nn.Module):
    """Mean pointwise loss over the finite entries of the target.

    Parameters
    ----------
    loss : {"mae", "mse", "huber"}, default="mae"
        Pointwise loss, see :func:`~sklearn_dynst.metrics._torch.masked_error`.

    Examples
    --------
    >>> import torch
    >>> from sklearn_dynst._net import MaskedLoss
    >>> MaskedLoss("mse")(torch.tensor([[1.0, 5.0]]),
    ...                   torch.tensor([[3.0, float("nan")]]))
    tensor(4.)
    """

    def __init__(self, loss="mae"):
        super().__init__()
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}; got {loss!r}.")
        self.loss = loss

    def sample_losses(self, y_pred, y_true):
        """Per-sample loss sums and observed counts."""
        return masked_error(y_pred, y_true, self.loss)

    def pointwise(self, y_pred, y_true):
        """Pointwise loss (0 where the truth is missing) and observed mask."""
        return pointwise_error(y_pred, y_true, self.loss)

    def forward(self, y_pred, y_true):
        return reduce_sample_losses(*self.sample_losses(y_pred, y_true))


class ChronologicalSplit:
    """skorch ``train_split`` that validates on the last rows.

    skorch's default ``ValidSplit`` holds out a stratified or random 20%,
    which for time-ordered samples validates on the past and leaks the
    future into training. This split keeps the order: the first rows train,
    ``gap`` rows are dropped, the last ``fraction`` of rows validate.

    Parameters
    ----------
    fraction : float in (0, 1)
        Share of the rows used for validation.
    gap : int, default=0
        Rows dropped between training and validation rows (the forecast
        horizon, so that no training target overlaps a validation input).

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.dataset import Dataset
    >>> from sklearn_dynst._net import ChronologicalSplit
    >>> train, valid = ChronologicalSplit(0.2)(Dataset(np.zeros((10, 2))))
    >>> train.indices.tolist(), valid.indices.tolist()
    ([0, 1, 2, 3, 4, 5, 6, 7], [8, 9])
    """

    def __init__(self, fraction, gap=0):
        self.fraction = fraction
        self.gap = gap

    def __call__(self, dataset, y=None, **fit_params):
        train, valid = chronological_split(len(dataset), self.fraction,
                                           gap=self.gap)
        return Subset(dataset, train), Subset(dataset, valid)

    def __repr__(self):
        return f"ChronologicalSplit(fraction={self.fraction}, gap={self.gap})"


class BatchWeightMixin:
    """Per-sample weights of the next training batch, for a skorch net.

    A callback (sample pruning) sets them with :meth:`set_batch_weight`
    before a batch; the net's loss reads them with
    :meth:`training_batch_weight`. :class:`ForecastNet` and
    :class:`~sklearn_dynst.callbacks.SampleWeightMixin` build on it.
    """

    def set_batch_weight(self, weight):
        """Weight the samples of the next training batches' loss.

        Parameters
        ----------
        weight : array-like of shape (batch_size,) or None
            One weight per sample of the next batch, in batch order; None
            restores equal weights. Validation batches are never weighted.
        """
        self.batch_weight_ = None if weight is None else torch.as_tensor(
            np.asarray(weight), dtype=torch.float32)

    def training_batch_weight(self, training):
        """The weights on the net's device, or None (equal weights, and
        always outside training)."""
        weight = getattr(self, "batch_weight_", None)
        if not training or weight is None:
            return None
        return weight.to(self.device)


class ForecastNet(BatchWeightMixin, NeuralNet):
    """``NeuralNet`` with the package's masked loss and per-sample losses.

    The module is a :class:`~sklearn_dynst._network.ForecastNetwork` (or any
    module with ``scale_target``); ``X`` is a dict ``{"x": ..., "sample_index":
    ...}`` whose ``sample_index`` key is not passed to the module but lets
    callbacks know which samples a batch holds. Targets are raw; they are
    standardised by the module before the loss.

    The training loss of a batch is the criterion's mean over its observed
    targets plus the module's ``penalty()`` if it has one (e.g. an L1 on
    the sensor scores of a ``SensorGate(l1=...)``; the estimators' gates
    use none); each sample weighted by the weight set through
    :meth:`set_batch_weight` (1 by default).
    """

    def initialize(self):
        self.batch_weight_ = None
        super().initialize()
        # The estimators pass ``module`` as an instance, and skorch makes
        # that very instance ``module_``. skorch pickles ``module_`` so that
        # a net fitted on CUDA loads where there is none, but ``module``
        # would go through plain pickle, CUDA storages and all: file it
        # with ``module_`` (the prefix matches both; pickle keeps them one
        # object).
        if "module" not in self.cuda_dependent_attributes_:
            self.cuda_dependent_attributes_ = [
                *self.cuda_dependent_attributes_, "module"]
        return self

    def partial_fit(self, X, y=None, classes=None, **fit_params):
        # a fitted estimator drops its optimiser to save space; train on
        # with a fresh one
        if self.initialized_ and getattr(self, "optimizer_", None) is None:
            self.initialize_optimizer()
        return super().partial_fit(X, y, classes=classes, **fit_params)

    def infer(self, x, **fit_params):
        x = to_tensor(x, device=self.device)
        if isinstance(x, Mapping):
            x = {k: v for k, v in x.items() if k != SAMPLE_INDEX}
            return self.module_(**x, **fit_params)
        return self.module_(x, **fit_params)

    def get_sample_losses(self, y_pred, y_true):
        """Per-sample loss sums and observed counts, in standardised units."""
        y_true = to_tensor(y_true, device=self.device)
        return self.criterion_.sample_losses(
            y_pred, self.module_.scale_target(y_true))

    def _penalty(self, training):
        penalty = getattr(self.module_, "penalty", None)
        return penalty() if training and penalty is not None else 0.0

    def _batch_loss(self, total, count, training):
        """Weighted mean of the sample losses plus the module's penalty."""
        return reduce_sample_losses(total, count,
                                    self.training_batch_weight(training)) \
            + self._penalty(training)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        total, count = self.get_sample_losses(y_pred, y_true)
        return self._batch_loss(total, count, training)

    def _step(self, batch, training, **fit_params):
        Xi, yi = unpack_data(batch)
        y_pred = self.infer(Xi, **fit_params)
        values, observed = self.criterion_.pointwise(
            y_pred, self.module_.scale_target(to_tensor(yi, device=self.device)))
        total, count = sum_sample_losses(values, observed)
        step = {"loss": self._batch_loss(total, count, training),
                "y_pred": y_pred,
                "sample_loss": (total / count.clamp_min(1.0)).detach(),
                "sample_errors": values.detach(),
                "sample_observed": observed}
        if isinstance(Xi, Mapping) and SAMPLE_INDEX in Xi:
            step[SAMPLE_INDEX] = Xi[SAMPLE_INDEX]
        return step

    def train_step_single(self, batch, **fit_params):
        self._set_training(True)
        step = self._step(batch, True, **fit_params)
        step["loss"].backward()
        return step

    def validation_step(self, batch, **fit_params):
        self._set_training(False)
        with torch.no_grad():
            return self._step(batch, False, **fit_params)
