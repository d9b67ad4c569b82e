"""Shared fixtures of the test suite.

Nothing is computed at import time: data and fitted models are built by
fixtures, the expensive ones once per session.
"""

from pathlib import Path

import numpy as np
import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

# Small settings that keep a fit well under a second on 2 CPU cores.
TINY = {"max_epochs": 3, "batch_size": 16, "backbone_params": {"hidden_size": 8},
        "random_state": 0}


@pytest.fixture(scope="session", autouse=True)
def single_torch_thread():
    """Run torch on one thread during the tests.

    The test models are tiny: a second thread only adds synchronisation,
    and on a busy 2-core machine it made fits several times slower.
    """
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def shared_data():
    """The real data folder beside the repository; skip when absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} not present")
    return SHARED_DATA


def make_sine_series(n_timesteps=200, n_sensors=4, seed=0, noise=0.05):
    """Smooth, slightly noisy series ``(n_timesteps, n_sensors)``."""
    rng = np.random.default_rng(seed)
    t = np.arange(n_timesteps)[:, None]
    phase = np.arange(n_sensors)[None, :]
    return np.sin(t / 8.0 + phase) + noise * rng.standard_normal(
        (n_timesteps, n_sensors))


def make_twin_windows(n_timesteps=600, seed=0):
    """Windows ``X (n, 6, 8)``, ``y (n, 2, 8)`` where sensors ``i`` and
    ``i + 4`` are near copies of each other (one of each pair covers both)."""
    from sklearn_dynst import make_windows

    rng = np.random.default_rng(seed)
    sources = np.zeros((n_timesteps, 4))
    for t in range(1, n_timesteps):
        sources[t] = 0.9 * sources[t - 1] + rng.normal(size=4)
    series = np.hstack([sources, sources])
    series += 0.05 * rng.normal(size=series.shape)
    X, y = make_windows(series, 6, 2)
    return np.array(X), np.array(y)


@pytest.fixture(scope="session")
def sine_windows():
    """3-D windows ``X (n, 6, 4)`` and targets ``y (n, 2, 4)`` of a sine series."""
    from sklearn_dynst import make_windows

    X, y = make_windows(make_sine_series(), n_steps_in=6, horizon=2)
    return np.array(X), np.array(y)


@pytest.fixture(scope="session")
def fitted_dense(sine_windows):
    """A small DynSTRegressor fitted on :func:`sine_windows` (do not refit)."""
    from sklearn_dynst import DynSTRegressor

    X, y = sine_windows
    return DynSTRegressor(validation_fraction=None, **TINY).fit(X, y)


def make_gated_network(X, y, *, residual=True, l1=0.0, interpolate=False):
    """A small seeded MLP ``ForecastNetwork`` with a ``SensorGate``.

    Sizes come from ``X`` (n, sensors, steps, 1) and ``y`` (n, sensors,
    horizon, 1), token layout. ``interpolate`` gives switched-off sensors
    the base interpolated from the kept ones (covariance of ``X``).
    """
    import torch

    from sklearn_dynst._masks import SensorGate
    from sklearn_dynst._network import ForecastNetwork, last_value_covariance
    from sklearn_dynst._scaling import Standardizer, fit_standardizer
    from sklearn_dynst.backbones import MLPBackbone

    n_sensors, n_steps, horizon = X.shape[1], X.shape[2], y.shape[2]
    with torch.random.fork_rng():
        torch.manual_seed(0)
        backbone = MLPBackbone(n_sensors, n_steps * 2, n_sensors, horizon,
                               hidden_size=8, dropout=0.0)
        target_scaler = Standardizer(*fit_standardizer(y))
        covariance = last_value_covariance(
            torch.as_tensor(X), target_scaler) if interpolate else None
        return ForecastNetwork(
            backbone, Standardizer(*fit_standardizer(X)), target_scaler,
            horizon, residual=residual, gate=SensorGate(n_sensors, l1=l1),
            base_covariance=covariance)
