"""Tests of sklearn_dynst._masks (DynST's sensor gate and mask gradients)."""

import numpy as np
import pytest
import torch

from sklearn_dynst._masks import SensorGate, mask_gradients
from sklearn_dynst._net import MaskedLoss

from conftest import make_gated_network

N_SENSORS, N_STEPS, HORIZON = 5, 3, 2


def _network(residual=True, interpolate=False):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, N_SENSORS, N_STEPS, 1)).astype(np.float32)
    X[:, 4] += X[:, 0]  # sensor 4 correlates with sensor 0
    y = rng.normal(size=(16, N_SENSORS, HORIZON, 1)).astype(np.float32)
    network = make_gated_network(X, y, residual=residual,
                                 interpolate=interpolate)
    network.gate.scores.data = torch.tensor([1.0, 0.5, 2.0, -1.0, 0.8])
    return network.eval(), torch.tensor(X), torch.tensor(y)


def test_gate_scales_each_token_by_its_sensor_score():
    gate = SensorGate(4)
    gate.scores.data = torch.tensor([1.0, 2.0, 3.0, 4.0])
    tokens = torch.ones(2, 2, 3)
    out = gate(tokens, torch.tensor([1, 3])).detach()
    np.testing.assert_allclose(out[0, :, 0].numpy(), [2.0, 4.0])
    assert out.shape == tokens.shape


@pytest.mark.parametrize("residual", [True, False])
def test_full_presence_equals_the_plain_forward(residual):
    network, X, _ = _network(residual)
    expected = network(X)
    torch.testing.assert_close(
        network(X, sensor_weights=torch.ones(N_SENSORS)), expected)


@pytest.mark.parametrize("interpolate", [False, True])
def test_active_presence_gives_the_pruned_residual(interpolate):
    # presence 1 on the active sensors, 0 elsewhere: every sensor's residual
    # base (own last value, interpolated one or none) is the pruned model's
    network, X, _ = _network(interpolate=interpolate)
    no_residual, _, _ = _network(residual=False)
    for net in (network, no_residual):
        net.set_active([0, 2, 3])
    assert (network.fill_map is not None) == interpolate
    presence = torch.tensor([1.0, 0.0, 1.0, 1.0, 0.0])
    torch.testing.assert_close(
        network(X, sensor_weights=presence)
        - no_residual(X, sensor_weights=presence),
        network(X) - no_residual(X))


@pytest.mark.parametrize("interpolate", [False, True])
def test_set_active_computes_on_the_active_sensors_only(interpolate):
    network, X, _ = _network(interpolate=interpolate)
    network.set_active([0, 2, 4])
    full = network(X)
    compact = network(X[:, [0, 2, 4]])
    torch.testing.assert_close(full, compact)
    weights = torch.tensor([1.0, 0.0, 1.0, 0.0, 1.0])
    with pytest.raises(ValueError, match="all 5 sensors or the 3 kept"):
        network(X[:, :4])
    with pytest.raises(ValueError, match="all 5 sensors when sensor_weights"):
        network(X[:, [0, 2, 4]], sensor_weights=weights)


def test_zero_presence_removes_the_residual():
    network, X, _ = _network(residual=True)
    no_residual, _, _ = _network(residual=False)
    presence = torch.tensor([1.0, 1.0, 1.0, 1.0, 0.0])
    # the sensor at presence 0 gets the forecast without its last value
    diff = network(X, sensor_weights=presence) - no_residual(
        X, sensor_weights=presence)
    assert torch.all(diff[:, 4] == 0)
    assert torch.all(diff[:, 0].abs().sum((1, 2)) > 0)


@pytest.mark.parametrize("interpolate", [False, True])
def test_mask_gradients_match_finite_differences(interpolate):
    network, X, y = _network(interpolate=interpolate)
    network.set_active([0, 1, 2])
    loss = MaskedLoss("mse")
    y_scaled = network.scale_target(y)
    batches = [(X[:8], y_scaled[:8]), (X[8:], y_scaled[8:])]
    gradients, _ = mask_gradients(network, batches, loss)
    assert gradients.shape == (N_SENSORS,)
    base = torch.tensor([1.0, 1.0, 1.0, 0.0, 0.0])  # presence of the active
    eps = 1e-2
    for sensor in (1, 3):  # one active, one switched off
        up, down = base.clone(), base.clone()
        up[sensor] += eps
        down[sensor] -= eps
        with torch.no_grad():
            numeric = sum(
                (loss(network(x, sensor_weights=up), t)
                 - loss(network(x, sensor_weights=down), t)) / (2 * eps)
                for x, t in batches)
        assert gradients[sensor].item() == pytest.approx(numeric.item(),
                                                          rel=2e-2, abs=1e-4)
    assert abs(gradients[3].item()) > 0  # switched-off sensors get a signal
    assert all(p.grad is None for p in network.parameters())


def test_gate_penalty_is_l1_of_active_scores():
    gate = SensorGate(4, l1=0.5)
    gate.scores.data = torch.tensor([1.0, -2.0, 3.0, 4.0])
    assert gate.penalty(torch.tensor([0, 1])).item() == pytest.approx(0.75)
    network, _, _ = _network()
    assert network.penalty().item() == 0.0  # l1=0 by default


def test_squared_mask_gradients_sum_per_batch_squares():
    network, X, y = _network()
    network.set_active([0, 1, 2])
    loss = MaskedLoss("mse")
    y_scaled = network.scale_target(y)
    batches = [(X[:8], y_scaled[:8]), (X[8:], y_scaled[8:])]
    per_batch = [mask_gradients(network, [batch], loss)[0]
                 for batch in batches]
    fisher = mask_gradients(network, batches, loss)[1]
    torch.testing.assert_close(fisher, per_batch[0] ** 2 + per_batch[1] ** 2)
    assert torch.all(fisher >= 0)

