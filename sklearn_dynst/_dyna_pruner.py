"""DynaPrunerRegressor: input-adaptive masks, less compute on calm inputs."""

import inspect
from numbers import Integral, Real

import numpy as np
from sklearn.base import _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ._adaptive_masks import TokenPruner, bucketed_counts
from ._base import BaseSensorForecaster
from .backbones import BACKBONES
from .callbacks import KeptShareLogger

# batches read per predict chunk: the samples of a chunk are grouped by
# kept count, so the groups fill whole batches (a chunk of 16 batches holds
# about the tokens of one batch on every bucket)
PREDICT_CHUNK = 16

__all__ = ["DynaPrunerRegressor"]


class DynaPrunerRegressor(BaseSensorForecaster):
    """Forecast every sensor, computing per sample on the regions that matter.

    Dyna-Pruner (papers/002): a light mask generator ``g(X; phi)`` scores
    each sensor region (a sensor's token, or a grid patch) of each sample
    from the region and the whole input; the backbone then runs on the
    regions the mask keeps. In training the mask is hard in the forward
    pass and soft (a sigmoid around the decision boundary) in the backward
    pass (straight-through estimator); every region is computed but a
    masked one is absent from every attention and mixing, so the forward
    pass equals the one on the kept regions alone, and the generator
    learns which regions the forecast needs. The loss is the forecast loss
    plus ``budget_weight * (mean kept share - budget)^2``.

    At inference the masks are hard and dropped regions are never computed:
    samples are ordered by their number of kept regions, and each batch
    gathers the kept tokens of its samples (samples of equal count run
    together). ``predict`` forecasts every sensor; ``predict_masks`` shows
    what each sample kept and ``compute_cost`` what it cost.

    Unlike :class:`DynSTRegressor` no sensor is switched off: every sensor's
    reading is read (the generator scores it, the residual forecast adds
    its last value), the saving is computation.

    Parameters
    ----------
    budget : float in (0, 1], default=0.5
        Share of the regions kept, on average over samples ("adaptive") or
        by each sample ("fixed").
    budget_mode : {"adaptive", "fixed"}, default="adaptive"
        "adaptive": a sample keeps the regions scoring above a threshold,
        so busy inputs may keep more and calm ones fewer; after training
        the threshold is calibrated on the training windows so that they
        keep ``budget`` on average. "fixed": each sample keeps its
        ``round(budget * n_regions)`` best regions.
    budget_weight : float, default=2.0
        Weight of the budget term in the training loss (adaptive mode).
    mask_hidden_size : int, default=16
        Hidden size of the mask generator.
    temperature : float, default=1.0
        Temperature of the straight-through sigmoid.
    n_buckets : int, default=16
        Batched inference groups samples whose kept counts round up to the
        same multiple of ``n_regions / n_buckets`` and computes each group
        at that count, the surplus regions masked out (the forecast is
        exactly that of the kept regions), for at most ``n_regions /
        n_buckets`` extra regions computed per sample. ``predict`` groups
        the samples of chunks of 16 batches, and computes each group in
        runs of at most ``batch_size`` samples. A single window is computed
        at its exact count.
    backbone : {"transformer", "mlp", "cnn"} or nn.Module class, default="transformer"
        A backbone that takes ``token_mask`` in ``forward`` and counts its
        ``flops(n_kept)``; see :mod:`sklearn_dynst.backbones`. "transformer"
        on graph data (sensors are tokens) or patchified grids, "cnn" on
        grid data with ``patch_size``.
    backbone_params, adjacency, patch_size, residual, loss, max_epochs, \
batch_size, lr, weight_decay, validation_fraction, patience, \
sample_pruning, weight_sparsity, device, random_state, verbose
        As in :class:`DynSTRegressor`.

    Attributes
    ----------
    net_ : ForecastNet
        The fitted skorch net; ``net_.module_.token_pruner`` holds the
        generator and the calibrated ``threshold``.
    support_ : ndarray of bool of shape (`n_features_in_`,)
        All True: every sensor is read.
    dense_flops_ : int
        FLOPs per sample of the same backbone on every region, without
        a mask generator: the dense reference of :meth:`compute_cost`.
    weight_sparsity_ : float
        Share of the backbone's parameters switched off; only with
        ``weight_sparsity``.
    history_ : list of dict
        Per epoch: ``train_loss``, ``valid_loss``, ``dur``,
        ``kept_share`` (mean share of regions the training masks kept),
        and as in :class:`DynSTRegressor` ``n_active_sensors`` and
        ``sparsity`` (every sensor is read: 0) and ``sample_share`` (below
        1 with ``sample_pruning``).
    n_features_in_ : int
        Number of sensors (or grid patches) seen in ``fit``.
    feature_names_in_ : ndarray of str of shape (`n_features_in_`,)
        Sensor names, when ``X`` was a DataFrame with string columns.
    input_layout_, target_layout_ : SensorLayout
        Layouts of ``X`` and ``y`` seen in ``fit``.
    target_shape_ : tuple
        Shape of one sample of ``y``; ``predict`` returns this shape.

    See Also
    --------
    DynSTRegressor : One static set of sensors for all inputs.

    Notes
    -----
    FLOPs count multiply-adds twice, and only matrix products and
    convolutions (as :class:`torch.utils.flop_counter.FlopCounterMode`
    does); with ``weight_sparsity`` they are those of dense weights.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst import DynaPrunerRegressor, make_windows
    >>> t = np.arange(400)
    >>> series = np.sin(t[:, None] / 10 + np.arange(8))
    >>> X, y = make_windows(series, n_steps_in=8, horizon=3)
    >>> model = DynaPrunerRegressor(budget=0.5, max_epochs=3,
    ...                             backbone_params={"d_model": 16},
    ...                             random_state=0).fit(X, y)
    >>> model.predict(X[:2]).shape
    (2, 3, 8)
    >>> model.predict_masks(X[:2]).shape
    (2, 8)
    >>> bool(model.compute_cost(X).mean() < model.dense_flops_)
    True
    """

    _parameter_constraints = {
        **BaseSensorForecaster._parameter_constraints,
        "budget": [Interval(Real, 0, 1, closed="right")],
        "budget_mode": [StrOptions({"adaptive", "fixed"})],
        "budget_weight": [Interval(Real, 0, None, closed="left")],
        "mask_hidden_size": [Interval(Integral, 1, None, closed="left")],
        "temperature": [Interval(Real, 0, None, closed="neither")],
        "n_buckets": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, budget=0.5, *, budget_mode="adaptive",
                 budget_weight=2.0, mask_hidden_size=16, temperature=1.0,
                 n_buckets=16, backbone="transformer", backbone_params=None, adjacency=None,
                 patch_size=None, residual="auto", loss="mae",
                 max_epochs=100, batch_size=64, lr=1e-3, weight_decay=1e-4,
                 validation_fraction=0.1, patience=10, sample_pruning=None,
                 weight_sparsity=None, device="auto", random_state=None,
                 verbose=0):
        self.budget = budget
        self.budget_mode = budget_mode
        self.budget_weight = budget_weight
        self.mask_hidden_size = mask_hidden_size
        self.temperature = temperature
        self.n_buckets = n_buckets
        self.backbone = backbone
        self.backbone_params = backbone_params
        self.adjacency = adjacency
        self.patch_size = patch_size
        self.residual = residual
        self.loss = loss
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.sample_pruning = sample_pruning
        self.weight_sparsity = weight_sparsity
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ fit
    def _check_backbone(self):
        cls = BACKBONES.get(self.backbone, self.backbone)
        forward = inspect.signature(cls.forward).parameters
        if "token_mask" not in forward or not hasattr(cls, "flops"):
            raise ValueError(
                "DynaPrunerRegressor needs a backbone whose forward takes "
                "token_mask and which counts its flops(n_kept), such as "
                f"'transformer', 'mlp' or 'cnn'; got {self.backbone!r}."
            )

    def _token_pruner(self, in_features):
        return TokenPruner(in_features, self.budget, self.budget_mode,
                           self.mask_hidden_size, self.temperature,
                           self.budget_weight, self.n_buckets)

    def _training_callbacks(self, *args, **kwargs):
        return super()._training_callbacks(*args, **kwargs) + [
            ("kept_share", KeptShareLogger())]

    def _expected_n_kept(self):
        """The regions a sample computes on, on average: ``budget``."""
        return max(1, round(self.budget * self.n_features_in_))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y):
        """Train the forecaster and its mask generator.

        Parameters
        ----------
        X : array-like or DataFrame
            Input windows in any layout :class:`DynSTRegressor` accepts;
            NaN marks missing readings. Samples are in time order.
        y : array-like or DataFrame
            Targets; NaN truths are left out of the loss.

        Returns
        -------
        self : DynaPrunerRegressor
        """
        self._check_backbone()
        X_tokens, y_tokens = self._validate_fit_data(X, y)
        self.support_ = np.ones(self.n_features_in_, dtype=bool)
        self.net_ = self._fit_net(X_tokens, y_tokens)
        module = self.net_.module_
        module.token_pruner.last_mask_ = None  # holds a graph: not pickled
        module.token_pruner.calibrate(self._in_batches(
            X_tokens, module.token_scores))
        self._record_weight_sparsity()
        self.dense_flops_ = int(module.backbone.flops(self.n_features_in_))
        self.history_ = self._record_history(self.net_)
        return self

    # -------------------------------------------------------------- predict
    def _kept(self, tokens):
        """Bool masks ``(n_samples, n_features_in_)`` of kept regions."""
        return self._in_batches(tokens, self.net_.module_.token_masks)

    def _forecast_tokens(self, tokens):
        # one pass over chunks of many batches: a chunk's masks group its
        # samples by kept count, and each group is computed in runs of at
        # most batch_size samples, so few runs are smaller than a batch
        return super()._forecast_tokens(
            tokens, batch_size=PREDICT_CHUNK * self.batch_size,
            group_size=self.batch_size)

    def predict_masks(self, X):
        """Regions each sample keeps.

        Parameters
        ----------
        X : array-like or DataFrame
            Input windows, as for :meth:`predict`.

        Returns
        -------
        masks : ndarray of bool of shape (n_samples, n_features_in_)
            True where the sample's backbone computes on the region; for
            grid data of shape ``(n_samples, height // patch_size, width //
            patch_size)``.
        """
        tokens, _ = self._validate_predict_data(X)
        masks = self._kept(tokens)
        if self.input_layout_.is_grid:
            masks = masks.reshape((len(masks),) + self.input_layout_.patch_grid)
        return masks

    def compute_cost(self, X, batched=False):
        """FLOPs of each sample's forecast: mask generator plus backbone.

        Parameters
        ----------
        X : array-like or DataFrame
            Input windows, as for :meth:`predict`.
        batched : bool, default=False
            False: the cost of forecasting each window alone (its exact
            kept count). True: its cost in batched inference, its count
            rounded up to the bucket width (see ``n_buckets``).

        Returns
        -------
        flops : ndarray of int of shape (n_samples,)
            Compare with ``dense_flops_``.
        """
        check_is_fitted(self)
        module = self.net_.module_
        masks = self.predict_masks(X)
        n_kept = masks.reshape(len(masks), -1).sum(1)
        if batched:
            n_kept = bucketed_counts(
                n_kept, module.token_pruner.bucket_width(self.n_features_in_),
                self.n_features_in_)
        generator = module.token_pruner.generator.flops(self.n_features_in_)
        costs = {k: module.backbone.flops(int(k)) for k in np.unique(n_kept)}
        return np.array([generator + costs[k] for k in n_kept],
                        dtype=np.int64)
