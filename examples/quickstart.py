"""Quick start: forecast every METR-LA loop detector an hour ahead.

Runs on the METR-LA data shipped inside the package (207 road-speed sensors
of Los Angeles, 5-minute steps), following the benchmark protocol: 12 steps
(one hour) in, 12 steps out, chronological 70% train / 10% validation / 20%
test split. It compares the neural forecaster with persistence and ridge
regression, prints a results table and saves ``quickstart.png`` (a map of
the per-sensor error and one sensor's forecasts).

Run: ``python examples/quickstart.py [--max-epochs N] [--output PATH]``.
"""

import argparse
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import RidgeCV

from sklearn_dynst import DynSTRegressor, make_windows, temporal_train_test_split
from sklearn_dynst.baselines import PersistenceRegressor
from sklearn_dynst.datasets import load_metr_la
from sklearn_dynst.metrics import masked_mae, masked_rmse


def ridge_forecast(X_train, y_train, X_test):
    """Ridge on the flattened window, per-sensor z-scores fitted on train."""
    mean, std = X_train.mean(axis=(0, 1)), X_train.std(axis=(0, 1)) + 1e-8
    flat = lambda X: ((X - mean) / std).reshape(len(X), -1)  # noqa: E731
    ridge = RidgeCV(alphas=np.logspace(-1, 5, 13))
    ridge.fit(flat(X_train), ((y_train - mean) / std).reshape(len(y_train), -1))
    return ridge.predict(flat(X_test)).reshape(-1, *y_train.shape[1:]) * std \
        + mean


def main(max_epochs=100, output="quickstart.png"):
    bunch = load_metr_la()
    X, y = make_windows(bunch.data, n_steps_in=12, horizon=12)
    X_fit, X_test, y_fit, y_test = temporal_train_test_split(X, y,
                                                             test_size=0.2)
    print(f"METR-LA: {X.shape[2]} sensors, {len(X_fit)} training windows "
          f"(last 1/8 for validation), {len(X_test)} test windows.")

    forecasts, seconds = {}, {}
    start = time.perf_counter()
    model = DynSTRegressor(adjacency=bunch.adjacency, validation_fraction=0.125,
                           max_epochs=max_epochs, random_state=0)
    model.fit(X_fit, y_fit)
    forecasts["DynSTRegressor (dense)"] = model.predict(X_test)
    seconds["DynSTRegressor (dense)"] = time.perf_counter() - start
    start = time.perf_counter()
    forecasts["persistence"] = PersistenceRegressor().fit(
        X_fit, y_fit).predict(X_test)
    seconds["persistence"] = time.perf_counter() - start
    start = time.perf_counter()
    forecasts["ridge"] = ridge_forecast(X_fit, y_fit, X_test)
    seconds["ridge"] = time.perf_counter() - start

    rows = []
    for name, y_pred in forecasts.items():
        per_step = masked_mae(y_test, y_pred, per_horizon=True)
        rows.append({"model": name, "MAE": masked_mae(y_test, y_pred),
                     "RMSE": masked_rmse(y_test, y_pred),
                     "MAE@3": per_step[2], "MAE@6": per_step[5],
                     "MAE@12": per_step[11], "seconds": seconds[name]})
    table = pd.DataFrame(rows).set_index("model")
    print(table.round(3).to_string())
    print(f"DynSTRegressor trained {len(model.history_)} epochs.")
    _plot(bunch, model, forecasts, y_test, output)
    print(f"Saved {output}")
    return table


def _plot(bunch, model, forecasts, y_test, output):
    import matplotlib.pyplot as plt

    from sklearn_dynst.plotting import plot_forecast, plot_sensor_map

    name = "DynSTRegressor (dense)"
    error = np.nanmean(np.abs(forecasts[name] - y_test), axis=(0, 1))
    worst = int(np.argmax(error))
    fig, (left, right) = plt.subplots(
        1, 2, figsize=(14, 5), gridspec_kw={"width_ratios": [1, 1.6]})
    plot_sensor_map(bunch.coordinates, error, ax=left, cmap="magma_r",
                    label="test MAE (mph)",
                    title="METR-LA: hour-ahead error per sensor")
    plot_forecast(y_test, {k: forecasts[k] for k in (name, "persistence")},
                  sensor=worst, step=11, ax=right,
                  title=f"sensor {bunch.sensor_names[worst]} (largest error), "
                        "speed 60 minutes ahead")
    right.set_xlabel("test window (5-minute steps)")
    fig.tight_layout()
    fig.savefig(output, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument("--output", default="quickstart.png")
    args = parser.parse_args()
    main(args.max_epochs, args.output)
