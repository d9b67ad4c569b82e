"""The forecasting network: scaling, missing-data flags, backbone, residual."""

import copy

import torch
from torch import nn

from ._weight_masks import pack_masked, unpack_masked

__all__ = ["ForecastNetwork"]


def last_observed(x, observed):
    """Last observed value along the steps axis, and whether there is one.

    Parameters
    ----------
    x : Tensor of shape (batch, n_sensors, n_steps, n_values)
    observed : bool Tensor of the same shape

    Returns
    -------
    value : Tensor of shape (batch, n_sensors, n_values)
        The value at the last observed step (0 where there is none).
    found : bool Tensor of shape (batch, n_sensors, n_values)
    """
    steps = torch.arange(x.shape[2], device=x.device)[None, None, :, None]
    position = torch.where(observed, steps, -1).amax(dim=2)
    found = position >= 0
    value = torch.gather(torch.nan_to_num(x), 2,
                         position.clamp_min(0).unsqueeze(2)).squeeze(2)
    return torch.where(found, value, 0.0), found


class ForecastNetwork(nn.Module):
    """Map raw sensor windows to standardised forecasts of every sensor.

    1. Keep the sensors in ``sensor_index`` (input holding all
       ``n_sensors`` sensors) or take the input as already restricted to
       them (a deployed model: the other sensors are never read).
    2. Standardise with the training statistics; replace missing readings
       (NaN) by 0 (the training mean) and append an observed flag per value,
       so the network knows what it did not see.
    3. Stream-morph each sensor's window into one token and run the
       backbone, which forecasts every output sensor.
    4. Optionally add the last observed value of each kept sensor
       (residual forecasting: the backbone learns the change).

    The output is in the target's standardised units;
    :meth:`inverse_transform` maps it back to original units.

    Parameters
    ----------
    backbone : nn.Module
        Obeys the backbone contract (see :mod:`sklearn_dynst.backbones`).
    input_scaler, target_scaler : Standardizer
        Statistics of the inputs ``(n_sensors, n_values)`` and targets
        ``(n_outputs, out_values)``.
    horizon : int
        Forecast steps.
    sensor_index : Tensor of int, default=None
        Sorted indices of the kept sensors; all when None.
    residual : bool, default=True
        Forecast the change from the last observed value. Needs inputs and
        targets to be the same sensors with the same values per step.
    gate : SensorGate, default=None
        Learnable per-sensor scores scaling the tokens (DynST's mask).
    sensor_dropout : float in [0, 1), default=0.0
        In training, the probability that a kept sensor is absent from a
        sample: its token and its residual are zeroed, as if it were
        switched off, so the network learns to forecast every sensor from
        the others (and pruning sees which sensors the others can stand in
        for).
    token_pruner : TokenPruner, default=None
        Input-adaptive masks (Dyna-Pruner): each sample's backbone runs on
        the tokens its mask keeps (see
        :class:`~sklearn_dynst._adaptive_masks.TokenPruner`). The residual
        still reads every kept sensor's last value.
    """

    def __init__(self, backbone, input_scaler, target_scaler, horizon,
                 sensor_index=None, residual=True, gate=None,
                 sensor_dropout=0.0, token_pruner=None):
        super().__init__()
        n_sensors = input_scaler.mean.shape[0]
        if sensor_index is None:
            sensor_index = torch.arange(n_sensors)
        self.backbone = backbone
        self.input_scaler = input_scaler
        self.target_scaler = target_scaler
        self.horizon = horizon
        self.n_sensors = n_sensors
        self.residual = residual
        self.gate = gate
        self.sensor_dropout = sensor_dropout
        self.token_pruner = token_pruner
        self.register_buffer("sensor_index",
                             torch.as_tensor(sensor_index, dtype=torch.long))

    def penalty(self):
        """Regularisation added to the training loss (the gate's L1 term,
        the token pruner's budget term)."""
        penalty = torch.zeros((), device=self.sensor_index.device)
        if self.gate is not None:
            penalty = penalty + self.gate.penalty(self.sensor_index)
        if self.token_pruner is not None:
            penalty = penalty + self.token_pruner.penalty()
        return penalty

    def set_active(self, sensor_index):
        """Compute from now on only on the sensors ``sensor_index`` (sorted)."""
        self.sensor_index = torch.as_tensor(
            sensor_index, dtype=torch.long, device=self.sensor_index.device)

    @property
    def n_outputs(self):
        return int(self.target_scaler.mean.shape[0])

    @property
    def n_kept(self):
        return int(self.sensor_index.numel())

    def _tokens(self, x, sensor_weights=None):
        """Kept sensors' readings, observed flags, tokens and indices."""
        index = self.sensor_index
        if sensor_weights is not None:
            index = torch.arange(self.n_sensors, device=x.device)
            if x.shape[1] != self.n_sensors:
                raise ValueError(
                    f"x must hold all {self.n_sensors} sensors when "
                    f"sensor_weights are given; got {x.shape[1]}."
                )
        elif x.shape[1] == self.n_sensors and self.n_kept < self.n_sensors:
            x = x.index_select(1, index)
        elif x.shape[1] != self.n_kept:
            raise ValueError(
                f"x must hold all {self.n_sensors} sensors or the "
                f"{self.n_kept} kept ones; got {x.shape[1]}."
            )
        observed = torch.isfinite(x)
        z = torch.where(observed, self.input_scaler.transform(x, index), 0.0)
        tokens = torch.cat([z, observed.to(z.dtype)], dim=-1).flatten(2)
        if self.gate is not None:
            tokens = self.gate(tokens, index)
        return x, observed, tokens, index

    def token_scores(self, x):
        """The token pruner's scores ``(batch, n_kept)`` of each token."""
        _, _, tokens, _ = self._tokens(x)
        return self.token_pruner.generator(tokens)

    def token_masks(self, x):
        """Tokens each sample's input-adaptive mask keeps (bool, ``(batch,
        n_kept)``); all of them without a token pruner."""
        _, _, tokens, _ = self._tokens(x)
        if self.token_pruner is None:
            return torch.ones(tokens.shape[:2], dtype=torch.bool,
                              device=tokens.device)
        return self.token_pruner.keep_mask(tokens)

    def forward(self, x, sensor_weights=None, token_keep=None):
        """Forecast from ``x`` of shape (batch, n_sensors or n_kept, n_steps, n_values).

        ``sensor_weights`` (n_sensors,), when given, is each sensor's
        *presence* in [0, 1]: every sensor of ``x`` (which must hold all of
        them) is fed, its token (after the gate) and its residual scaled by
        its presence, so presence 1 for the active sensors and 0 for the
        others reproduces the pruned model's residual exactly (see
        :func:`~sklearn_dynst._masks.mask_gradients`).

        ``token_keep`` (batch, n_kept), at inference with a token pruner:
        the masks :meth:`token_masks` gave for ``x``, so they are not
        computed again.
        """
        x, observed, tokens, index = self._tokens(x, sensor_weights)
        presence = None
        if sensor_weights is not None:
            presence = sensor_weights[None, :]
        elif self.training and self.sensor_dropout > 0:
            presence = (torch.rand(tokens.shape[:2], device=tokens.device)
                        >= self.sensor_dropout).to(tokens.dtype)
            # kept for IterativeSensorPruning's absence cost (one batch)
            self.last_presence_ = presence
        if presence is not None:
            tokens = tokens * presence[..., None]
        if self.token_pruner is None:
            out = self.backbone(tokens, index)
        else:
            out = self.token_pruner(self.backbone, tokens, index, token_keep)
        out = out.reshape(x.shape[0], out.shape[1], self.horizon, -1)
        if self.residual:
            last, found = last_observed(x, observed)
            base = self.target_scaler.transform(last.unsqueeze(2), index)
            base = torch.where(found.unsqueeze(2), base, 0.0)
            if presence is not None:  # absent sensors add nothing
                base = base * presence[..., None, None]
            out = out.index_add(1, index, base.expand(-1, -1, self.horizon, -1))
        return out

    # ------------------------------------------------------------ pickling
    def __getstate__(self):
        """Pickle the weights that ``weight_masks`` prune as bit masks plus
        their kept values (a float32 tensor at sparsity ``s`` takes ``1 - s
        + 1/32`` of its dense size)."""
        state = super().__getstate__()
        masks = state.get("weight_masks")
        if not masks:
            return state
        state = dict(state)
        backbone = copy.deepcopy(self.backbone)
        packed = {}
        for name, mask in masks.items():
            owner, local = name.split(".", 1)
            assert owner == "backbone", name  # prunable_weights' names
            parameter = backbone.get_parameter(local)
            packed[name] = pack_masked(parameter, mask)
            parameter.data = parameter.data.new_empty(0)
        state["_modules"] = dict(state["_modules"], backbone=backbone)
        state["weight_masks"] = None
        state["_packed_weights"] = packed
        return state

    def __setstate__(self, state):
        packed = state.pop("_packed_weights", None)
        super().__setstate__(state)
        if packed is None:
            return
        self.weight_masks = {}
        for name, (shape, bits, values) in packed.items():
            dense, mask = unpack_masked(shape, bits, values)
            parameter = self.get_parameter(name)  # empty, on its device
            parameter.data = dense.to(parameter.device)
            self.weight_masks[name] = mask.to(parameter.device)

    def scale_target(self, y):
        """Standardise targets ``y`` (batch, n_outputs, horizon, out_values)."""
        return self.target_scaler.transform(y)

    def inverse_transform(self, out):
        """Map standardised forecasts back to original units."""
        return self.target_scaler.inverse_transform(out)
