"""Quick start: switch off half of the METR-LA loop detectors, forecast all.

Runs on the METR-LA data shipped inside the package (207 road-speed sensors
of Los Angeles, 5-minute steps), following the benchmark protocol: 12 steps
(one hour) in, 12 steps out, chronological 70% train / 10% validation / 20%
test split.

1. A dense forecaster reads every sensor (the reference).
2. DynST learns which half of the sensors to keep; its deployed model reads
   only those 104 and still forecasts all 207.
3. The same forecaster on the halves chosen by random draws, by highest
   variance and by PySensors' QR pivoting (when ``python-sensors`` is
   installed), to show what the choice is worth.

It prints a results table and saves ``quickstart.png``: the kept sensors on
the map, the MAE of each selection, and a switched-off sensor's forecast.

Run: ``python examples/quickstart.py [--sparsity 0.5] [--max-epochs N]
[--output PATH] [--quick]``.
"""

import argparse
import importlib.util
import time

import numpy as np
import pandas as pd

from sklearn_dynst import DynSTRegressor, make_windows, temporal_train_test_split
from sklearn_dynst.baselines import (
    PersistenceRegressor,
    QRSensorSelector,
    RandomSensorSelector,
    VarianceSensorSelector,
)
from sklearn_dynst.datasets import load_metr_la
from sklearn_dynst.metrics import masked_mae, masked_rmse


def _selectors(sparsity):
    selectors = {
        "random half (seed 0)": RandomSensorSelector(sparsity, random_state=0),
        "highest variance": VarianceSensorSelector(sparsity),
    }
    if importlib.util.find_spec("pysensors") is None:
        print("python-sensors is not installed: skipping QR pivoting "
              '(pip install ".[pysensors]").')
    else:
        selectors["PySensors QR"] = QRSensorSelector(sparsity)
    return selectors


def main(sparsity=0.5, max_epochs=100, output="quickstart.png", quick=False):
    bunch = load_metr_la()
    X, y = make_windows(bunch.data, n_steps_in=12, horizon=12)
    X_fit, X_test, y_fit, y_test = temporal_train_test_split(X, y,
                                                             test_size=0.2)
    n_sensors = X.shape[2]
    print(f"METR-LA: {n_sensors} sensors, {len(X_fit)} training windows "
          f"(last 1/8 for validation), {len(X_test)} test windows.")
    params = {"adjacency": bunch.adjacency, "validation_fraction": 0.125,
              "max_epochs": max_epochs, "random_state": 0}
    if quick:  # a smoke test of the script, not a result
        params.update(max_epochs=2, n_rounds=2, epochs_per_round=1)

    models, seconds = {}, {}

    def fit(name, model):
        start = time.perf_counter()
        models[name] = model.fit(X_fit, y_fit)
        seconds[name] = time.perf_counter() - start
        print(f"  {name}: fitted in {seconds[name]:.0f} s, reads "
              f"{int(model.support_.sum())} sensors", flush=True)

    fit("dense (all sensors)", DynSTRegressor(**params))
    fit("DynST", DynSTRegressor(sparsity, **params))
    for name, selector in _selectors(sparsity).items():
        support = selector.fit(X_fit).support_
        fit(name, DynSTRegressor(sparsity, required_sensors=support,
                                 **params))

    dynst = models["DynST"]
    kept = dynst.support_
    forecasts = {name: model.predict(X_test) for name, model in
                 models.items()}
    # the deployed model needs the kept sensors only
    forecast_kept = dynst.predict(dynst.transform(X_test))
    print("DynST's forecast from the kept sensors alone differs from its "
          "forecast from all by at most "
          f"{np.abs(forecast_kept - forecasts['DynST']).max():.1e} mph.")
    forecasts["persistence (all sensors)"] = PersistenceRegressor().fit(
        X_fit, y_fit).predict(X_test)

    rows = []
    for name, y_pred in forecasts.items():
        support = models[name].support_ if name in models \
            else np.ones_like(kept)
        per_step = masked_mae(y_test, y_pred, per_horizon=True)
        rows.append({
            "model": name, "sensors read": int(support.sum()),
            "MAE": masked_mae(y_test, y_pred),
            "MAE switched-off": masked_mae(y_test[..., ~support],
                                           y_pred[..., ~support])
            if (~support).any() else np.nan,
            "RMSE": masked_rmse(y_test, y_pred), "MAE@3": per_step[2],
            "MAE@12": per_step[11], "fit s": seconds.get(name, 0.0)})
    table = pd.DataFrame(rows).set_index("model")
    print(f"\nTest MAE (mph) over all {n_sensors} sensors, hour-ahead; "
          f"sparsity {sparsity}:")
    print(table.round(3).to_string())
    dense_mae = table.loc["dense (all sensors)", "MAE"]
    print(f"\nDynST reads {int(kept.sum())} of {n_sensors} sensors; its MAE "
          f"is {100 * (table.loc['DynST', 'MAE'] / dense_mae - 1):+.1f}% "
          "from the dense model's.")
    _plot(bunch, dynst, table, forecasts, y_test, output)
    print(f"Saved {output}")
    return table


def _plot(bunch, dynst, table, forecasts, y_test, output):
    import matplotlib.pyplot as plt

    from sklearn_dynst.plotting import plot_forecast, plot_sensor_map

    kept = dynst.support_
    error = np.nanmean(np.abs(forecasts["DynST"] - y_test), axis=(0, 1))
    fig, axes = plt.subplots(1, 3, figsize=(19, 5.5),
                             gridspec_kw={"width_ratios": [1.1, 0.8, 1.4]})
    plot_sensor_map(bunch.coordinates, error, support=kept, ax=axes[0],
                    cmap="magma_r", label="DynST test MAE (mph)",
                    title=f"METR-LA: {int(kept.sum())} sensors kept (dots), "
                          f"{int((~kept).sum())} switched off (crosses)")
    mae = table["MAE"].drop("persistence (all sensors)").sort_values()
    colours = ["tab:green" if name == "DynST" else "tab:grey"
               for name in mae.index]
    axes[1].barh(mae.index[::-1], mae.values[::-1], color=colours[::-1])
    axes[1].set_xlim(mae.min() * 0.95, mae.max() * 1.02)
    axes[1].set_xlabel("test MAE over all sensors (mph)")
    axes[1].set_title("same forecaster, different sensor sets")
    # the switched-off sensor with the largest error: never read, forecast
    dropped = np.flatnonzero(~kept)
    sensor = int(dropped[np.argmax(error[dropped])])
    plot_forecast(y_test, {"DynST (sensor switched off)": forecasts["DynST"],
                           "dense (sensor read)":
                               forecasts["dense (all sensors)"]},
                  sensor=sensor, step=11, ax=axes[2],
                  title=f"switched-off sensor {bunch.sensor_names[sensor]} "
                        "(its largest error), 60 minutes ahead")
    axes[2].set_xlabel("test window (5-minute steps)")
    fig.tight_layout()
    fig.savefig(output, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sparsity", type=float, default=0.5)
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument("--output", default="quickstart.png")
    parser.add_argument("--quick", action="store_true",
                        help="a few epochs only: checks the script runs")
    args = parser.parse_args()
    main(args.sparsity, args.max_epochs, args.output, args.quick)
