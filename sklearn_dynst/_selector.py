"""SensorSelector: DynST as a scikit-learn feature selector over sensors."""

from numbers import Real

from sklearn.utils._param_validation import Interval, StrOptions

from ._dynst import DynSTRegressor
from ._layouts import from_tokens
from ._selection import BaseSensorSelector

__all__ = ["SensorSelector"]


class SensorSelector(BaseSensorSelector):
    """Learn which sensors to keep, for forecasting ``y`` or reconstructing ``X``.

    Fits a :class:`DynSTRegressor` with the same parameters and keeps the
    sensors it kept. With ``y`` the sensors are chosen for forecasting ``y``
    (e.g. the next ``horizon`` steps of every sensor); with ``y=None`` every
    sensor of each sample of ``X`` is reconstructed from the kept ones (the
    task of PySensors, extended to windows). ``transform`` keeps the kept
    sensors along the sensor axis of any layout, so a ``Pipeline`` can feed
    them to another forecaster.

    Parameters
    ----------
    sparsity : float in (0, 1) or "auto", default=0.5
        Fraction of sensors (of their cost, with ``sensor_costs``) switched
        off; "auto" lets the training choose it (PALS).
    pruning, importance, n_rounds, epochs_per_round, swap_fraction, n_network_steps, n_mask_steps, mask_lr, sensor_dropout, required_sensors, sensor_costs, coverage
        DynST's training policy, see :class:`DynSTRegressor`.
    update_every, tolerance, growth, initial_rate, final_rate, max_sparsity, min_sparsity, decision_share
        PALS's controller for ``sparsity="auto"``, see
        :class:`DynSTRegressor`.
    backbone, backbone_params, adjacency, patch_size, residual, loss, max_epochs, batch_size, lr, weight_decay, validation_fraction, patience, sample_pruning, weight_sparsity, device, random_state, verbose
        The forecaster and its training, see :class:`DynSTRegressor`.

    Attributes
    ----------
    estimator_ : DynSTRegressor
        The fitted forecaster (it computes on the kept sensors only).
    support_ : ndarray of bool of shape (`n_features_in_`,)
        Kept sensors.
    sensor_scores_ : ndarray of shape (`n_features_in_`,)
        Importance of each sensor as the pruning measured it.
    sparsity_ : float
        Fraction of sensors (of their total cost, with ``sensor_costs``)
        switched off, as reached.
    history_ : list of dict
        The forecaster's per-epoch history (losses, active sensors, round).
    n_features_in_ : int
        Number of sensors (grid patches) seen in fit.
    feature_names_in_ : ndarray of str of shape (`n_features_in_`,)
        Sensor names, when ``X`` was a DataFrame with string columns.
    input_layout_ : SensorLayout
        Layout of the ``X`` given to fit.
    support_grid_ : ndarray of bool of shape (height // patch_size, width // patch_size)
        ``support_`` on the patch grid; only for grid data.

    See Also
    --------
    DynSTRegressor : The forecaster that does the selection.
    sklearn_dynst.baselines.QRSensorSelector : PySensors' QR pivoting.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_dynst import SensorSelector
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 3, 6))
    >>> y = X[:, :, :1] + X[:, :, 1:2]           # sensors 0 and 1 matter
    >>> selector = SensorSelector(2 / 3, max_epochs=20, epochs_per_round=1,
    ...                           random_state=0).fit(X, y)
    >>> selector.get_support(indices=True)
    array([0, 1])
    >>> selector.transform(X).shape
    (200, 3, 2)
    """

    _parameter_constraints = {
        **DynSTRegressor._parameter_constraints,
        "sparsity": [Interval(Real, 0, 1, closed="neither"),
                     StrOptions({"auto"})],
    }

    def __init__(self, sparsity=0.5, *, pruning="iterative",
                 importance="auto", n_rounds=10, epochs_per_round=2,
                 swap_fraction=0.0, n_network_steps=4, n_mask_steps=1,
                 mask_lr=1e-2, sensor_dropout=0.5, required_sensors=None,
                 sensor_costs=None, coverage=True, update_every="auto",
                 tolerance=1.1,
                 growth=1.1, initial_rate=0.5, final_rate=0.005,
                 max_sparsity=0.9, min_sparsity=0.2, decision_share=2 / 3,
                 backbone="mlp", backbone_params=None, adjacency=None,
                 patch_size=None, residual="auto", loss="mae",
                 max_epochs=100, batch_size=64, lr=1e-3, weight_decay=1e-4,
                 validation_fraction=0.1, patience=10, sample_pruning=None,
                 weight_sparsity=None, device="auto", random_state=None,
                 verbose=0):
        self.sparsity = sparsity
        self.pruning = pruning
        self.importance = importance
        self.n_rounds = n_rounds
        self.epochs_per_round = epochs_per_round
        self.swap_fraction = swap_fraction
        self.n_network_steps = n_network_steps
        self.n_mask_steps = n_mask_steps
        self.mask_lr = mask_lr
        self.sensor_dropout = sensor_dropout
        self.required_sensors = required_sensors
        self.sensor_costs = sensor_costs
        self.coverage = coverage
        self.update_every = update_every
        self.tolerance = tolerance
        self.growth = growth
        self.initial_rate = initial_rate
        self.final_rate = final_rate
        self.max_sparsity = max_sparsity
        self.min_sparsity = min_sparsity
        self.decision_share = decision_share
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

    def _fit_support(self, X_tokens, y_tokens, layout, n_kept):
        # X back in its own layout, so that estimator_ predicts from
        # transform(X); a target y as the 4-D view (n, steps, sensors, values)
        # of its tokens, which the forecaster accepts for any layout
        X = from_tokens(X_tokens, layout)
        y = X if y_tokens is None else y_tokens.transpose(0, 2, 1, 3)
        self.estimator_ = DynSTRegressor(**self.get_params()).fit(X, y)
        self.history_ = self.estimator_.history_
        return self.estimator_.support_, self.estimator_.sensor_scores_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.random_state is None
        return tags
