"""Tests of sklearn_dynst.backbones (the backbone contract of every backbone)."""

import inspect

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from sklearn_dynst import DynSTRegressor
from sklearn_dynst.backbones import (
    BACKBONES,
    GraphBackbone,
    MLPBackbone,
    make_backbone,
)

N_SENSORS, N_STEPS, HORIZON, BATCH = 12, 4, 3, 5


def _problem(name, n_sensors=N_SENSORS):
    """Problem sizes as the estimators build them (values + observed flags)."""
    patch_size = 2 if name == "cnn" else None
    n_values = 4 if patch_size else 1      # one channel, 2 x 2 patches
    generator = torch.Generator().manual_seed(0)
    adjacency = (torch.rand(n_sensors, n_sensors, generator=generator) < 0.3)
    adjacency = adjacency.float() + torch.eye(n_sensors)
    return {
        "n_sensors": n_sensors, "in_features": N_STEPS * 2 * n_values,
        "n_outputs": n_sensors, "out_features": HORIZON * n_values,
        "n_steps": N_STEPS, "in_channels": 2 * n_values, "horizon": HORIZON,
        "out_channels": n_values, "adjacency": adjacency,
        "patch_size": patch_size,
    }


def _small_params(backbone):
    """Small width, whatever the size parameter of the class is called."""
    signature = inspect.signature(BACKBONES[backbone].__init__).parameters
    params = {"hidden_size": 8} if "hidden_size" in signature else {
        "d_model": 8}
    if "n_heads" in signature:
        params["n_heads"] = 2
    return params


def _build(name, seed=0):
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return make_backbone(name, _problem(name), _small_params(name))


def _input(name, n_kept, seed=0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(BATCH, n_kept, _problem(name)["in_features"],
                       generator=generator)


KEPT = torch.tensor([0, 3, 4, 7, 11])


@pytest.mark.parametrize("name", sorted(BACKBONES))
def test_output_shape_for_kept_subset(name):
    net = _build(name).eval()
    problem = _problem(name)
    with torch.no_grad():
        out = net(_input(name, len(KEPT)), KEPT)
        out_all = net(_input(name, N_SENSORS), torch.arange(N_SENSORS))
    expected = (BATCH, problem["n_outputs"], problem["out_features"])
    assert out.shape == expected
    assert out_all.shape == expected
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("name", sorted(BACKBONES))
def test_gradients_flow(name):
    net = _build(name).train()
    x = _input(name, len(KEPT)).requires_grad_(True)
    net(x, KEPT).pow(2).mean().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
    missing = [n for n, p in net.named_parameters() if p.grad is None]
    assert missing == []
    total = sum(float(p.grad.abs().sum()) for p in net.parameters())
    assert total > 0


@pytest.mark.parametrize("name", sorted(BACKBONES))
def test_output_depends_on_kept_sensor_identity(name):
    # the same tokens read as other sensors give another forecast
    net = _build(name).eval()
    x = _input(name, len(KEPT))
    with torch.no_grad():
        out = net(x, KEPT)
        out_other = net(x, torch.tensor([1, 4, 5, 8, 11]))
    assert not torch.allclose(out, out_other)


@pytest.mark.parametrize("name", sorted(BACKBONES))
def test_cost_grows_with_kept_sensors(name):
    net = _build(name).eval()
    flops = {}
    for n_kept in (N_SENSORS, N_SENSORS // 2):
        with FlopCounterMode(display=False) as counter:
            net(_input(name, n_kept), torch.arange(n_kept))
        flops[n_kept] = counter.get_total_flops()
    assert flops[N_SENSORS] > 0
    assert flops[N_SENSORS // 2] < 0.8 * flops[N_SENSORS]


def test_graph_without_adjacency_raises():
    problem = {**_problem("graph"), "adjacency": None}
    with pytest.raises(ValueError, match="'graph' backbone needs an adjacency "
                                         r"matrix of shape.*\(12, 12\)"):
        make_backbone("graph", problem)


def test_graph_uses_only_edges_between_kept_sensors():
    # two kept sensors joined only through a dropped one: no message passes
    adjacency = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0],
                              [0.0, 1.0, 0.0]])
    with torch.random.fork_rng():
        torch.manual_seed(0)
        net = GraphBackbone(3, 4, 3, 2, adjacency=adjacency, hidden_size=8,
                            dropout=0.0).eval()
    kept = torch.tensor([0, 2])
    x = torch.randn(1, 2, 4, generator=torch.Generator().manual_seed(0))
    x_changed = x.clone()
    x_changed[0, 1] += 5.0     # change sensor 2 only
    with torch.no_grad():
        tokens = net.encoder(x, kept)
        tokens_changed = net.encoder(x_changed, kept)
    torch.testing.assert_close(tokens[0, 0], tokens_changed[0, 0])


def test_make_backbone_filters_problem_by_signature():
    received = {}

    class Small(nn.Module):
        def __init__(self, n_sensors, out_features, width=2):
            super().__init__()
            received.update(n_sensors=n_sensors, out_features=out_features,
                            width=width)

    module = make_backbone(Small, _problem("mlp"), {"width": 5})
    assert isinstance(module, Small)
    assert received == {"n_sensors": N_SENSORS,
                        "out_features": HORIZON, "width": 5}


def test_make_backbone_var_keyword_gets_everything():
    received = {}

    class TakesAll(nn.Module):
        def __init__(self, **kwargs):
            super().__init__()
            received.update(kwargs)

    make_backbone(TakesAll, _problem("mlp"), {"extra": 1})
    assert set(received) == set(_problem("mlp")) | {"extra"}
    assert received["extra"] == 1


def test_make_backbone_passes_backbone_params():
    net = make_backbone("mlp", _problem("mlp"), {"hidden_size": 6})
    assert isinstance(net, MLPBackbone)
    assert net.encoder.linear.out_features == 6


def test_make_backbone_unknown_params():
    with pytest.raises(ValueError, match=r"backbone_params \['width'\] are not "
                                         "parameters of MLPBackbone"):
        make_backbone("mlp", _problem("mlp"), {"width": 6})


def test_make_backbone_unknown_name():
    with pytest.raises(ValueError, match="backbone must be one of .*'mlp'.*; "
                                         "got 'lstm'"):
        make_backbone("lstm", _problem("mlp"))


@pytest.mark.parametrize("backbone", [dict, MLPBackbone(2, 2, 2, 2), 3])
def test_make_backbone_not_a_module_class(backbone):
    with pytest.raises(TypeError, match="must be a name or an nn.Module "
                                        "subclass"):
        make_backbone(backbone, _problem("mlp"))


class LinearMixingBackbone(nn.Module):
    """A minimal custom backbone obeying the contract."""

    def __init__(self, n_sensors, in_features, n_outputs, out_features,
                 scale=1.0):
        super().__init__()
        self.encode = nn.Linear(in_features, out_features)
        self.mixing = nn.Parameter(torch.eye(n_outputs, n_sensors) * scale)

    def forward(self, x, sensor_index):
        weights = self.mixing.index_select(1, sensor_index)
        return torch.einsum("ok,bkf->bof", weights, self.encode(x))


def test_custom_backbone_class_through_regressor(sine_windows):
    X, y = sine_windows
    model = DynSTRegressor(backbone=LinearMixingBackbone,
                           backbone_params={"scale": 0.5}, max_epochs=2,
                           batch_size=32, validation_fraction=None,
                           random_state=0).fit(X, y)
    backbone = model.net_.module_.backbone
    assert isinstance(backbone, LinearMixingBackbone)
    torch.testing.assert_close(backbone.mixing.diagonal().detach().cpu(),
                               torch.full((4,), 0.5), atol=0.1, rtol=0)
    y_pred = model.predict(X[:7])
    assert y_pred.shape == (7,) + y.shape[1:]
    assert np.isfinite(y_pred).all()


def test_all_sensor_decoder_reads_each_samples_own_sensors():
    # a (batch, k) sensor_index gives each sample its own kept sensors: the
    # same forecast as decoding that sample alone with its 1-D index
    from sklearn_dynst.backbones._blocks import AllSensorDecoder

    torch.manual_seed(0)
    decoder = AllSensorDecoder(n_sensors=7, n_outputs=7, d_model=8,
                               out_features=2).eval()
    tokens = torch.randn(3, 4, 8)
    index = torch.stack([torch.randperm(7)[:4] for _ in range(3)])
    with torch.no_grad():
        batched = decoder(tokens, index)
        assert batched.shape == (3, 7, 2)
        for j in range(3):
            torch.testing.assert_close(
                batched[j:j + 1], decoder(tokens[j:j + 1], index[j]),
                rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("per_sample", [False, True])
def test_all_sensor_decoder_projecting_first_gives_the_same_forecast(
        per_sample):
    # the decoder's two orders (mix the tokens then project the outputs, or
    # project the tokens then mix) agree in value, gradient and mask
    # handling; the forward takes the cheaper one, whose FLOPs flops() counts
    from sklearn_dynst.backbones._blocks import AllSensorDecoder

    torch.manual_seed(0)
    decoder = AllSensorDecoder(n_sensors=60, n_outputs=60, d_model=16,
                               out_features=3)
    assert decoder.projects_first(4, batch_size=8)
    assert not decoder.projects_first(60, batch_size=8)
    tokens = torch.randn(8, 4, 16)
    index = (torch.stack([torch.randperm(60)[:4] for _ in range(8)])
             if per_sample else torch.tensor([2, 9, 30, 41]))
    mask = (torch.rand(8, 4) > 0.3).float()
    results = []
    for first in (False, True):
        decoder.zero_grad()
        decoder.projects_first = lambda n_kept, batch_size=1, f=first: f
        out = decoder(tokens, index, token_mask=mask)
        out.square().sum().backward()
        results.append((out.detach(), decoder.mixing.grad.clone(),
                        decoder.mlp[0].weight.grad.clone()))
    del decoder.projects_first
    for mixed_first, projected_first in zip(*results):
        torch.testing.assert_close(projected_first, mixed_first, rtol=1e-4,
                                   atol=1e-5)
    decoder.eval()
    for n_kept in (4, 60):
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            decoder(torch.randn(1, n_kept, 16), torch.arange(n_kept))
        assert counter.get_total_flops() == decoder.flops(n_kept)


# ---------------------------------------------------------------- mixing LR
def _one_adam_step(n_sensors, hidden_size, lr=1e-2, **params):
    """The dense regressor after exactly one AdamW step (one batch, no
    weight decay, no validation): its mixing and encoder weights before
    (known: the identity, no adjacency) and after."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 3, n_sensors)).cumsum(1)
    model = DynSTRegressor(
        max_epochs=1, batch_size=16, lr=lr, weight_decay=0.0,
        validation_fraction=None, patience=None,
        backbone_params={"hidden_size": hidden_size}, random_state=0,
        **params).fit(X, X[:, -2:])
    return model, model.net_.module_.backbone.decoder.mixing.detach()


@pytest.mark.parametrize("sparsity", [0.0, 0.5])
def test_mixing_over_many_sensors_trains_at_fan_in_scaled_lr(sparsity):
    # Adam's first step moves each weight with a gradient by lr exactly:
    # the mixing's largest move is lr * hidden_size / n_kept
    n_sensors, hidden_size, lr = 40, 8, 1e-2
    model, mixing = _one_adam_step(n_sensors, hidden_size, lr,
                                   sparsity=sparsity, n_rounds=1,
                                   epochs_per_round=1) if sparsity else \
        _one_adam_step(n_sensors, hidden_size, lr)
    n_kept = round(n_sensors * (1 - sparsity))
    groups = dict(model.net_.get_params()["optimizer__param_groups"])
    assert groups["backbone.decoder.mixing"]["lr"] == pytest.approx(
        lr * hidden_size / n_kept)
    if sparsity == 0:
        moved = (mixing - torch.eye(n_sensors)).abs().max().item()
        assert moved == pytest.approx(lr * hidden_size / n_sensors, rel=1e-3)


def test_mixing_over_few_sensors_keeps_the_lr():
    model, mixing = _one_adam_step(n_sensors=6, hidden_size=8, lr=1e-2)
    groups = model.net_.get_params().get("optimizer__param_groups") or []
    assert "backbone.decoder.mixing" not in dict(groups)
    moved = (mixing - torch.eye(6)).abs().max().item()
    assert moved == pytest.approx(1e-2, rel=1e-3)


def test_custom_backbone_lr_scales_are_honoured():
    class Scaled(MLPBackbone):
        def lr_scales(self, n_kept):
            return {"encoder.linear.weight": 0.5}

    n_sensors = 5
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 3, n_sensors)).cumsum(1)
    model = DynSTRegressor(backbone=Scaled, max_epochs=1, batch_size=16,
                           lr=1e-2, validation_fraction=None,
                           patience=None).fit(X, X[:, -2:])
    assert dict(model.net_.get_params()["optimizer__param_groups"])[
        "backbone.encoder.linear.weight"] == {"lr": 5e-3}
