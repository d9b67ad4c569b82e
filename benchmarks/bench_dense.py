"""Dense forecaster against persistence and ridge, under the SPEC protocol.

The protocol is in ``benchmarks/_protocol.py`` (../shared/SPEC.md); results
are the mean over seeds.

Usage::

    python benchmarks/bench_dense.py [--datasets metr_la sz_taxi beijing_pm25]
        [--seeds 0 1 2] [--data-home ../shared/data] [--out benchmarks/results]

METR-LA and Beijing PM2.5 ship with the package; SZ-taxi is read from
``--data-home`` (or the SKLEARN_DYNST_DATA environment variable).
"""

import argparse
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import RidgeCV

from _protocol import VALIDATION_FRACTION, evaluate, load, machine_line, split
from sklearn_dynst import DynSTRegressor
from sklearn_dynst.baselines import PersistenceRegressor


def ridge_forecast(X_fit, y_fit, X_test):
    """RidgeCV on flattened z-scored windows (alphas 0.1 ... 1e5).

    Fitted on train + validation (80%): the strongest ridge the protocol
    allows. Missing inputs and targets are set to the training mean.
    """
    mean = np.nanmean(X_fit, axis=(0, 1))
    std = np.nanstd(X_fit, axis=(0, 1)) + 1e-8

    def flat(A):
        return np.nan_to_num((A - mean) / std).reshape(len(A), -1)

    ridge = RidgeCV(alphas=np.logspace(-1, 5, 13))
    ridge.fit(flat(X_fit), flat(y_fit))
    return ridge.predict(flat(X_test)).reshape(-1, *y_fit.shape[1:]) * std \
        + mean


def run(name, seeds, data_home):
    X, y, y_raw, adjacency = load(name, data_home)
    X_fit, X_test, y_fit, y_test, y_raw_fit, _ = split(
        X, y, y_raw)
    rows = []
    start = time.perf_counter()
    y_pers = PersistenceRegressor().fit(X_fit, y_fit).predict(X_test)
    rows.append({"dataset": name, "model": "persistence", "seed": 0,
                 **evaluate(y_test, y_pers),
                 "fit_s": time.perf_counter() - start, "epochs": 0})
    ridges = {"ridge": y_fit}
    if y_raw_fit is not y_fit and not np.array_equal(y_raw_fit, y_fit,
                                                     equal_nan=True):
        ridges["ridge (trained on zeros as values)"] = y_raw_fit
    for label, target in ridges.items():
        start = time.perf_counter()
        y_ridge = ridge_forecast(X_fit, target, X_test)
        rows.append({"dataset": name, "model": label, "seed": 0,
                     **evaluate(y_test, y_ridge),
                     "fit_s": time.perf_counter() - start, "epochs": 0})
    for seed in seeds:
        start = time.perf_counter()
        model = DynSTRegressor(adjacency=adjacency,
                               validation_fraction=VALIDATION_FRACTION,
                               random_state=seed)
        model.fit(X_fit, y_fit)
        fit_s = time.perf_counter() - start
        rows.append({"dataset": name, "model": "DynSTRegressor dense",
                     "seed": seed, **evaluate(y_test, model.predict(X_test)),
                     "fit_s": fit_s, "epochs": len(model.history_)})
        print(f"{name} seed {seed}: MAE {rows[-1]['MAE']:.3f} "
              f"({fit_s:.0f} s, {rows[-1]['epochs']} epochs)", flush=True)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+",
                        default=["metr_la", "sz_taxi", "beijing_pm25"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--data-home", default=os.environ.get(
        "SKLEARN_DYNST_DATA", "../shared/data"))
    parser.add_argument("--out", default="benchmarks/results")
    args = parser.parse_args()
    rows = []
    for name in args.datasets:
        rows += run(name, args.seeds, args.data_home)
    raw = pd.DataFrame(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    raw.to_csv(out / "dense_raw.csv", index=False)
    table = raw.groupby(["dataset", "model"], sort=False).agg(
        MAE=("MAE", "mean"), MAE_std=("MAE", "std"), RMSE=("RMSE", "mean"),
        **{f"MAE@{h}": (f"MAE@{h}", "mean") for h in (3, 6, 12)},
        fit_s=("fit_s", "mean"), epochs=("epochs", "mean"))
    table.to_csv(out / "dense.csv")
    header = machine_line(args.seeds) + "\n\n"
    (out / "dense.md").write_text(header + table.round(3).to_markdown() + "\n")
    print(table.round(3).to_string())


if __name__ == "__main__":
    main()
