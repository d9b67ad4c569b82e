"""Tests of sklearn_dynst._network."""

import numpy as np
import pytest
import torch
from torch import nn

from sklearn_dynst._network import (
    ForecastNetwork,
    interpolation_maps,
    last_observed,
    last_value_covariance,
)
from sklearn_dynst._scaling import Standardizer
from sklearn_dynst.backbones import MLPBackbone

NAN = float("nan")


class ZeroBackbone(nn.Module):
    """Forecasts zero change for every output sensor."""

    def __init__(self, n_outputs, out_features):
        super().__init__()
        self.n_outputs = n_outputs
        self.out_features = out_features
        self.seen = []

    def forward(self, x, sensor_index):
        self.seen.append((tuple(x.shape), sensor_index.tolist()))
        return torch.zeros(x.shape[0], self.n_outputs, self.out_features)


def _scalers(n_sensors=4, n_values=1):
    mean = torch.arange(n_sensors, dtype=torch.float32)[:, None].repeat(
        1, n_values)
    scale = 2.0 * torch.ones(n_sensors, n_values)
    return Standardizer(mean, scale), Standardizer(mean + 1.0, scale * 2.0)


def _mlp_network(sensor_index=None, n_sensors=4, n_steps=3, horizon=2):
    torch.manual_seed(0)
    backbone = MLPBackbone(n_sensors, n_steps * 2, n_sensors, horizon,
                           hidden_size=8)
    network = ForecastNetwork(backbone, *_scalers(n_sensors), horizon,
                              sensor_index=sensor_index)
    return network.eval()


# --------------------------------------------------------------- last_observed
def test_last_observed_skips_missing_steps():
    x = torch.tensor([[[[1.0], [NAN], [3.0], [NAN]],
                       [[5.0], [6.0], [NAN], [NAN]],
                       [[NAN], [NAN], [NAN], [8.0]]]])
    value, found = last_observed(x, torch.isfinite(x))
    assert value.shape == found.shape == (1, 3, 1)
    np.testing.assert_array_equal(value[0, :, 0].numpy(), [3.0, 6.0, 8.0])
    assert found.all()


def test_last_observed_fully_missing():
    x = torch.tensor([[[[NAN, 2.0], [NAN, NAN]]]])   # 1 sensor, 2 steps, 2 values
    value, found = last_observed(x, torch.isfinite(x))
    np.testing.assert_array_equal(value[0, 0].numpy(), [0.0, 2.0])
    np.testing.assert_array_equal(found[0, 0].numpy(), [False, True])
    assert not torch.isnan(value).any()


# ---------------------------------------------------- interpolated residual base
def test_last_value_covariance_matches_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(30, 3, 4, 2)).astype(np.float32)
    x[0, 1, -1] = NAN        # last step missing: the one before is used
    x[1, 2] = NAN            # no reading at all: the mean (0)
    scaler = Standardizer(torch.tensor(rng.normal(size=(3, 2)),
                                       dtype=torch.float32),
                          torch.full((3, 2), 2.0))
    covariance = last_value_covariance(torch.tensor(x), scaler, batch_size=7)
    last = x[:, :, -1].copy()
    last[0, 1] = x[0, 1, -2]
    z = (last - scaler.mean.numpy()) / 2.0
    z[1, 2] = 0.0
    z = z.reshape(30, 6)                       # sensor-major features
    np.testing.assert_allclose(covariance.numpy(), z.T @ z / 30, rtol=1e-5,
                               atol=1e-6)


def test_interpolation_maps_recover_a_linear_relation():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(20000, 3, 2))
    z[:, 2] = 0.5 * z[:, 0] - 0.25 * z[:, 1]   # sensor 2 from sensors 0, 1
    z = z.reshape(len(z), 6)
    covariance = torch.tensor(z.T @ z / len(z), dtype=torch.float32)
    others, weights, loo = interpolation_maps(
        covariance, torch.tensor([0, 1]), n_values=2, ridge=1e-4)
    assert others.tolist() == [2]
    assert weights.shape == (2, 4)
    # value v of sensor 2 reads value v of sensors 0 and 1 only
    expected = [[0.5, 0.0, -0.25, 0.0], [0.0, 0.5, 0.0, -0.25]]
    np.testing.assert_allclose(weights.numpy(), expected, atol=0.01)
    # sensors 0 and 1 are independent: neither estimates the other
    np.testing.assert_allclose(loo.numpy(), 0.0, atol=0.03)


def test_leave_one_out_map_equals_a_regression_on_the_others():
    rng = np.random.default_rng(1)
    mixing = rng.normal(size=(8, 8))
    z = rng.normal(size=(500, 8)) @ mixing       # correlated, 4 x 2 values
    covariance = torch.tensor(z.T @ z / len(z))
    kept = torch.tensor([0, 2, 3])
    _, _, loo = interpolation_maps(covariance, kept, n_values=2, ridge=1e-3)
    features = [0, 1, 4, 5, 6, 7]
    cov = covariance.numpy()[np.ix_(features, features)]
    cov_ridged = cov + 1e-3 * np.diag(covariance.numpy()).mean() * np.eye(6)
    for k in range(3):                           # kept sensor k's 2 values
        own = [2 * k, 2 * k + 1]
        rest = [i for i in range(6) if i not in own]
        expected = np.zeros((2, 6))
        expected[:, rest] = np.linalg.solve(
            cov_ridged[np.ix_(rest, rest)], cov[np.ix_(rest, own)]).T
        np.testing.assert_allclose(loo[own].numpy(), expected, rtol=1e-6,
                                   atol=1e-8)


def _correlated_network(sensor_index):
    """Sensor 1 reads twice sensor 0 (the same in standard units); sensors
    2 and 3 are independent noise."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 4, 3, 1)).astype(np.float32)
    x[:, 1] = 2.0 * x[:, 0]
    input_scaler, _ = _scalers()
    target_scaler = Standardizer(torch.zeros(4, 1),
                                 torch.tensor([[1.0], [2.0], [1.0], [1.0]]))
    network = ForecastNetwork(
        ZeroBackbone(4, 1), input_scaler, target_scaler, horizon=1,
        sensor_index=sensor_index,
        base_covariance=last_value_covariance(torch.tensor(x), target_scaler),
        base_ridge=1e-4)
    assert network.base_trust.shape == (4, 1)
    return network.requires_grad_(False), torch.tensor(x[:20])


def test_switched_off_sensor_starts_from_its_interpolated_value():
    network, x = _correlated_network(torch.tensor([0, 2, 3]))
    assert network.fill_index.tolist() == [1]
    out = network.inverse_transform(network(x))[:, :, 0, 0]
    # sensor 1's forecast is its last value, read from sensor 0 alone
    np.testing.assert_allclose(out[:, 1].numpy(), x[:, 1, -1, 0].numpy(),
                               rtol=1e-2, atol=1e-2)
    # the deployed model never reads it: the kept sensors give the same
    torch.testing.assert_close(network(x[:, [0, 2, 3]]), network(x))
    x_other = x.clone()
    x_other[:, 1] = 100.0
    torch.testing.assert_close(network(x_other), network(x))


def test_uncorrelated_switched_off_sensor_starts_from_the_mean():
    network, x = _correlated_network(torch.tensor([0, 1, 2]))
    out = network(x)[:, 3, 0, 0]     # standardised: 0 is the training mean
    assert out.abs().max().item() < 0.2
    assert network(x)[:, 3].std().item() < 0.1 * x[:, 3, -1].std().item()


def test_absent_sensor_starts_from_its_estimate_from_the_others():
    network, x = _correlated_network(None)
    network.sensor_dropout = 0.5
    torch.manual_seed(1)
    out = network.train()(x)[:, :, 0, 0]
    absent = network.last_presence_ == 0
    assert absent[:, 1].any() and absent[:, 3].any()
    z = x[:, :, -1, 0] / torch.tensor([1.0, 2.0, 1.0, 1.0])
    # sensor 1 from sensor 0 (when present), sensor 3 from nobody: the mean
    both = absent[:, 1] & ~absent[:, 0]
    np.testing.assert_allclose(out[both, 1].detach().numpy(),
                               z[both, 1].numpy(), atol=1e-2)
    assert out[absent[:, 3], 3].abs().max().item() < 0.2
    # a hidden sensor does not inform the others' estimates
    hidden_too = absent[:, 1] & absent[:, 0]
    assert hidden_too.any()
    assert out[hidden_too, 1].abs().max().item() < 0.2
    np.testing.assert_allclose(out[~absent].detach().numpy(),
                               z[~absent].numpy(), rtol=1e-6)
    # the samples share at most dropout_patterns presence patterns
    assert len(torch.unique(network.last_presence_, dim=0)) <= 8


def test_trust_in_the_interpolated_base_is_learned_per_sensor_and_step():
    network, x = _correlated_network(torch.tensor([0, 2, 3]))
    network.base_trust.requires_grad_(True)
    network(x).sum().backward()
    gradient = network.base_trust.grad[:, 0]
    # only the switched-off sensor's forecast leans on an estimate
    assert gradient[1] != 0
    np.testing.assert_array_equal(gradient[[0, 2, 3]].numpy(), 0.0)
    network.base_trust.data[1] = 0.0   # no trust: no base, as "last"
    assert network(x)[:, 1].abs().max().item() == 0.0


def test_set_active_recomputes_the_interpolation():
    network, x = _correlated_network(None)
    assert network.fill_map is None            # every sensor kept
    network.set_active([0, 2])
    assert network.fill_index.tolist() == [1, 3]
    assert network.fill_map.shape == (2, 2)
    network.set_active([0, 1, 2, 3])
    assert network.fill_map is None
    no_fill = ForecastNetwork(ZeroBackbone(4, 1), *_scalers(), horizon=1,
                              sensor_index=torch.tensor([0, 2]),
                              base_covariance=network.base_covariance,
                              residual=False)
    assert no_fill.fill_map is None            # no residual, no base


# ------------------------------------------------------------ ForecastNetwork
def test_residual_adds_scaled_last_value():
    input_scaler, target_scaler = _scalers()
    network = ForecastNetwork(ZeroBackbone(4, 2), input_scaler, target_scaler,
                              horizon=2)
    x = torch.tensor(np.random.default_rng(0).normal(size=(5, 4, 3, 1)),
                     dtype=torch.float32)
    x[0, 1, 2] = NAN           # last step missing: the step before is used
    out = network(x)
    assert out.shape == (5, 4, 2, 1)
    last = x[:, :, -1].clone()
    last[0, 1] = x[0, 1, 1]
    expected = (last - target_scaler.mean) / target_scaler.scale
    for step in range(2):
        np.testing.assert_allclose(out[:, :, step].numpy(), expected.numpy(),
                                   rtol=1e-6)
    # in original units the forecast is the last observed value
    np.testing.assert_allclose(network.inverse_transform(out)[:, :, 0].numpy(),
                               last.numpy(), rtol=1e-6, atol=1e-6)


def test_residual_false_gives_backbone_output():
    network = ForecastNetwork(ZeroBackbone(4, 2), *_scalers(), horizon=2,
                              residual=False)
    out = network(torch.ones(3, 4, 3, 1))
    np.testing.assert_array_equal(out.numpy(), np.zeros((3, 4, 2, 1)))


def test_residual_with_subset_only_kept_outputs_get_base():
    input_scaler, target_scaler = _scalers()
    backbone = ZeroBackbone(4, 2)
    network = ForecastNetwork(backbone, input_scaler, target_scaler, 2,
                              sensor_index=torch.tensor([0, 2]))
    x = torch.full((2, 4, 3, 1), 9.0)
    out = network(x)
    expected = (9.0 - target_scaler.mean[[0, 2], 0]) / target_scaler.scale[
        [0, 2], 0]
    np.testing.assert_allclose(out[0, [0, 2], 0, 0].numpy(), expected.numpy())
    np.testing.assert_array_equal(out[:, [1, 3]].numpy(), 0.0)
    # the backbone only saw the kept sensors
    assert backbone.seen[-1] == ((2, 2, 6), [0, 2])


def test_fully_missing_sensor_gets_no_residual():
    network = ForecastNetwork(ZeroBackbone(4, 1), *_scalers(), horizon=1)
    x = torch.ones(1, 4, 3, 1)
    x[0, 3] = NAN
    out = network(x)
    assert out[0, 3, 0, 0].item() == 0.0
    assert torch.isfinite(out).all()


def test_backbone_gets_values_and_observed_flags():
    backbone = ZeroBackbone(4, 1)
    input_scaler, target_scaler = _scalers()

    class Recorder(nn.Module):
        def forward(self, x, sensor_index):
            self.x = x
            return backbone(x, sensor_index)

    recorder = Recorder()
    network = ForecastNetwork(recorder, input_scaler, target_scaler, 1)
    x = torch.tensor([[[[1.0], [NAN], [5.0]]] * 4])   # (1, 4, 3, 1)
    network(x)
    tokens = recorder.x
    # 3 steps x (1 value + 1 flag), flattened per sensor
    assert tokens.shape == (1, 4, 6)
    # sensor 2 has mean 2, scale 2: z = (1-2)/2, 0 (missing), (5-2)/2
    np.testing.assert_allclose(tokens[0, 2].numpy(),
                               [-0.5, 1.0, 0.0, 0.0, 1.5, 1.0])


def test_all_or_kept_sensors_give_same_output():
    index = torch.tensor([0, 1, 3])
    network = _mlp_network(sensor_index=index)
    x = torch.tensor(np.random.default_rng(0).normal(size=(6, 4, 3, 1)),
                     dtype=torch.float32)
    with torch.no_grad():
        out_all = network(x)
        out_kept = network(x[:, index])
        x_changed = x.clone()
        x_changed[:, 2] = 1e3      # a dropped sensor is never read
        out_changed = network(x_changed)
    assert out_all.shape == (6, 4, 2, 1)
    torch.testing.assert_close(out_all, out_kept)
    torch.testing.assert_close(out_all, out_changed)
    assert network.n_kept == 3


@pytest.mark.parametrize("n_sensors", [2, 5])
def test_other_sensor_counts_raise(n_sensors):
    network = _mlp_network(sensor_index=torch.tensor([0, 1, 3]))
    with pytest.raises(ValueError, match=f"all 4 sensors or the 3 kept ones; "
                                         f"got {n_sensors}"):
        network(torch.zeros(2, n_sensors, 3, 1))


def test_nan_input_gives_finite_output():
    network = _mlp_network()
    x = torch.tensor(np.random.default_rng(1).normal(size=(4, 4, 3, 1)),
                     dtype=torch.float32)
    x[torch.rand(x.shape, generator=torch.Generator().manual_seed(0)) < 0.5] \
        = NAN
    x[0, 1] = NAN
    with torch.no_grad():
        out = network(x)
    assert out.shape == (4, 4, 2, 1)
    assert torch.isfinite(out).all()


def test_scale_target_and_inverse_transform():
    input_scaler, target_scaler = _scalers()
    network = ForecastNetwork(ZeroBackbone(4, 1), input_scaler, target_scaler,
                              1)
    y = torch.tensor(np.random.default_rng(2).normal(size=(3, 4, 1, 1)),
                     dtype=torch.float32)
    z = network.scale_target(y)
    torch.testing.assert_close(z, (y - target_scaler.mean[:, None])
                               / target_scaler.scale[:, None])
    torch.testing.assert_close(network.inverse_transform(z), y)


def _recording_network(sensor_dropout):
    """A residual network over a ZeroBackbone that keeps the tokens it saw."""
    backbone = ZeroBackbone(4, 1)

    class Recorder(nn.Module):
        def forward(self, x, sensor_index):
            self.x = x
            return backbone(x, sensor_index)

    recorder = Recorder()
    network = ForecastNetwork(recorder, *_scalers(), horizon=1,
                              sensor_dropout=sensor_dropout)
    return network, recorder


def test_sensor_dropout_switches_whole_sensors_off_in_training():
    network, recorder = _recording_network(0.5)
    x = torch.full((200, 4, 3, 1), 7.0)
    torch.manual_seed(0)
    out = network.train()(x)
    absent = (recorder.x == 0).all(-1)            # (batch, sensors)
    present = (recorder.x != 0).all(-1)
    # each (sample, sensor) token is either fully kept or fully zeroed
    assert (absent | present).all()
    assert 0.4 < absent.float().mean().item() < 0.6
    # an absent sensor adds no residual: the ZeroBackbone forecasts 0 there
    np.testing.assert_array_equal(out[..., 0, 0][absent].numpy(), 0.0)
    assert (out[..., 0, 0][present] != 0).all()


def test_sensor_dropout_is_off_in_evaluation():
    x = torch.full((50, 4, 3, 1), 7.0)
    network, recorder = _recording_network(0.5)
    reference, _ = _recording_network(0.0)
    with torch.no_grad():
        out = network.eval()(x)
        assert (recorder.x != 0).all()
        torch.testing.assert_close(out, reference.eval()(x))
