"""Forecast error against the share of sensors switched off, per selector.

On the Beijing PM2.5 stations shipped with the package (the last half year,
36 stations, hourly), fits at each sparsity DynST and the same forecaster on
the sensors chosen by random draws, by highest variance and by PySensors'
QR pivoting (when ``python-sensors`` is installed), plus the dense model,
persistence and one ``sparsity="auto"`` fit (PALS), and draws the test MAE
against sparsity. With ``--results`` it draws a benchmark run's
``benchmark_raw.csv`` (``benchmarks/run_benchmark.py``) instead, for the
data set named by ``--dataset``. Saves ``accuracy_vs_sparsity.png``.

Run: ``python examples/plot_accuracy_vs_sparsity.py [--max-epochs 30]
[--results benchmarks/results/benchmark_raw.csv --dataset metr_la]
[--output PATH]``.
"""

import argparse
import importlib.util

import numpy as np
import pandas as pd

from sklearn_dynst import DynSTRegressor, make_windows, temporal_train_test_split
from sklearn_dynst.baselines import (PersistenceRegressor, QRSensorSelector,
                                     RandomSensorSelector,
                                     VarianceSensorSelector)
from sklearn_dynst.datasets import load_beijing_pm25
from sklearn_dynst.metrics import masked_mae
from sklearn_dynst.plotting import plot_accuracy_vs_sparsity


def selectors(sparsity, n_random):
    """Baseline selections by name (one per random draw)."""
    out = {("random", i): RandomSensorSelector(sparsity, random_state=i)
           for i in range(n_random)}
    out["variance", 0] = VarianceSensorSelector(sparsity)
    if importlib.util.find_spec("pysensors") is not None:
        out["qr", 0] = QRSensorSelector(sparsity)
    return out


def run(sparsities, max_epochs, n_random, quick):
    """Fit every model on Beijing; one row per fit."""
    bunch = load_beijing_pm25()
    data = bunch.data.iloc[-(600 if quick else 4380):]
    X, y = make_windows(data, n_steps_in=12, horizon=12, drop_empty=True)
    X_fit, X_test, y_fit, y_test = temporal_train_test_split(X, y,
                                                             test_size=0.2)
    params = {"validation_fraction": 0.125, "max_epochs": max_epochs,
              "random_state": 0}
    if quick:
        params.update(n_rounds=2, epochs_per_round=1)
    rows = []

    def score(method, sparsity, model):
        model.fit(X_fit, y_fit)
        mae = masked_mae(y_test, model.predict(X_test))
        kept = float(np.mean(getattr(model, "support_", 1.0)))
        rows.append({"method": method, "sparsity": sparsity, "MAE": mae,
                     "kept": kept})
        print(f"{method:>11} sparsity {sparsity}: MAE {mae:.2f} "
              f"(kept {kept:.2f})", flush=True)

    score("persistence", 0.0, PersistenceRegressor())
    score("dense", 0.0, DynSTRegressor(**params))
    score("auto", "auto", DynSTRegressor("auto", **params))
    for sparsity in sparsities:
        score("dynst", sparsity, DynSTRegressor(sparsity, **params))
        for (method, i), selector in selectors(sparsity, n_random).items():
            support = selector.fit(X_fit).support_
            score(method, sparsity, DynSTRegressor(
                sparsity, required_sensors=support,
                **{**params, "random_state": i}))
    return pd.DataFrame(rows)


def main(sparsities=(0.3, 0.5, 0.7, 0.9), max_epochs=30, n_random=3,
         results=None, dataset="metr_la", output="accuracy_vs_sparsity.png",
         quick=False):
    import matplotlib.pyplot as plt

    if results is None:
        table = run(sparsities, max_epochs, n_random, quick)
        name = "Beijing PM2.5 (last half year)"
    else:
        table = pd.read_csv(results)
        table = table[table["dataset"] == dataset]
        if table.empty:
            raise ValueError(f"{results} has no rows of data set {dataset!r}")
        name = dataset
    references = ("dense", "persistence", "dense-transformer", "st-prune")
    ax = plot_accuracy_vs_sparsity(
        table[table["method"] != "dyna-pruner"], references=references,
        title=f"{name}: test MAE of the same forecaster on each selection")
    ax.figure.tight_layout()
    ax.figure.savefig(output, dpi=110)
    plt.close(ax.figure)
    print(f"saved {output}")
    return table


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sparsities", nargs="+", type=float,
                        default=[0.3, 0.5, 0.7, 0.9])
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--n-random", type=int, default=3)
    parser.add_argument("--results", help="a benchmark_raw.csv to draw")
    parser.add_argument("--dataset", default="metr_la",
                        help="the data set of --results to draw")
    parser.add_argument("--output", default="accuracy_vs_sparsity.png")
    parser.add_argument("--quick", action="store_true",
                        help="a few epochs on the last days (a smoke test)")
    args = parser.parse_args()
    main(args.sparsities, args.max_epochs, args.n_random, args.results,
         args.dataset, args.output, args.quick)
