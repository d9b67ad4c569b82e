"""Dyna-Pruner: input-adaptive masks against the dense backbone and DynST.

Per (dataset, seed), with the same transformer backbone:

* **dense**: ``DynSTRegressor(sparsity=0, backbone="transformer")``, every
  region computed for every sample;
* **adaptive**: ``DynaPrunerRegressor(budget)`` (per-sample counts, the
  average held at the budget);
* **fixed**: ``DynaPrunerRegressor(budget, budget_mode="fixed")``;
* **dynst**: ``DynSTRegressor(sparsity=1 - budget)``, one static set of
  regions for all samples: the same average compute (less the generator).

ERA5 is a grid: the 33 x 49 cells are cut into 3 x 3 patches (padded to
33 x 51 with missing values, left out of the loss and the metrics), one
region per patch, 187 patches. METR-LA is a graph: one region per sensor.

Reported per model: test MAE, FLOPs per sample over the dense model's
(``compute_cost``; DynST: the backbone on its kept regions), and the
predict time of the dense model over each model's, measured in this
process, alternating the models, median of ``--repeats``: on the whole test
set in one ``predict`` call (batch_size 64), and one window at a time
(``--single`` windows). For
the adaptive model, the Spearman correlation between each test window's
kept share and how busy its input is (mean over regions of the standard
deviation over the input steps, ``window_variability``), written per window to
``dyna_busy_<dataset>.csv`` (draw it with ``plotting.plot_kept_share``).

Fitted models are cached with ``joblib.Memory``: an interrupted run
resumes, and the timings are taken again on every run.

Usage::

    python benchmarks/bench_dyna.py [--datasets era5_uk_t2m metr_la]
        [--seeds 0 1 2] [--budget 0.5] [--data-home ../shared/data]
"""

import argparse
import sys
import time
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import torch
from scipy.stats import spearmanr

from _protocol import (VALIDATION_FRACTION, add_run_arguments, code_version,
                       era5_patches, evaluate, load, machine_line, split)
from sklearn_dynst import DynaPrunerRegressor, DynSTRegressor
from sklearn_dynst.metrics import window_variability

PATCH = 3
METHODS = ("dense", "adaptive", "fixed", "dynst")


def windows(dataset, data_home):
    """``(X, y)`` in the layout the models read, and a function mapping
    forecasts back to the protocol's ``(n, horizon, n_sensors)``."""
    X, y, _, _ = load(dataset, data_home)
    if dataset != "era5_uk_t2m":
        return X, y, lambda out: out
    to_patches, to_cells = era5_patches(PATCH)
    return to_patches(X), to_patches(y), to_cells


def make_model(method, budget, seed, max_epochs):
    common = {"backbone": "transformer", "random_state": seed,
              "validation_fraction": VALIDATION_FRACTION,
              "max_epochs": max_epochs, "device": "cpu"}
    if method == "dense":
        return DynSTRegressor(**common)
    if method == "dynst":
        return DynSTRegressor(1 - budget, **common)
    mode = "fixed" if method == "fixed" else "adaptive"
    return DynaPrunerRegressor(budget, budget_mode=mode, **common)


def fit_model(dataset, method, seed, budget, data_home, threads, max_epochs,
              code=None):
    """Fit one model on the protocol's fitted windows (cached)."""
    torch.set_num_threads(threads)
    X, y, _ = windows(dataset, data_home)
    X_fit, _, y_fit, _ = split(X, y)
    start = time.perf_counter()
    model = make_model(method, budget, seed, max_epochs).fit(X_fit, y_fit)
    return model, time.perf_counter() - start


def flops_share(model, X):
    """Mean FLOPs per sample over the dense backbone's."""
    if isinstance(model, DynaPrunerRegressor):
        return float(model.compute_cost(X).mean() / model.dense_flops_)
    backbone = model.net_.module_.backbone
    return backbone.flops(int(model.support_.sum())) / backbone.flops(
        model.n_features_in_)


def predict_times(models, X_test, n_single, repeats):
    """Median predict seconds per model: the test set, and windows one by
    one; models alternate within each repeat."""
    batch = {name: [] for name in models}
    single = {name: [] for name in models}
    for _ in range(repeats):
        for name, model in models.items():
            start = time.perf_counter()
            model.predict(X_test)
            batch[name].append(time.perf_counter() - start)
            start = time.perf_counter()
            for i in range(n_single):
                model.predict(X_test[i:i + 1])
            single[name].append(time.perf_counter() - start)
    return ({k: float(np.median(v)) for k, v in batch.items()},
            {k: float(np.median(v)) for k, v in single.items()})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", nargs="+",
                        default=["era5_uk_t2m", "metr_la"])
    parser.add_argument("--methods", nargs="+", default=list(METHODS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--budget", type=float, default=0.5)
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--single", type=int, default=20,
                        help="windows predicted one at a time")
    add_run_arguments(parser)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    memory = joblib.Memory(Path(args.cache) / "joblib", verbose=0)
    fit = memory.cache(fit_model, ignore=["threads"])
    code = code_version()
    rows = []
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for dataset in args.datasets:
        X, y, back = windows(dataset, args.data_home)
        _, X_test, _, y_test = split(X, y)
        y_true = split(load(dataset, args.data_home)[1])[1]
        for seed in args.seeds:
            models, fit_s = {}, {}
            for method in args.methods:
                models[method], fit_s[method] = fit(
                    dataset, method, seed, args.budget, args.data_home,
                    args.threads, args.max_epochs, code=code)
            batch, single = predict_times(models, X_test, args.single,
                                          args.repeats)
            for method, model in models.items():
                row = {"dataset": dataset, "seed": seed, "method": method,
                       **evaluate(y_true, back(model.predict(X_test))),
                       "flops_share": flops_share(model, X_test),
                       "fit_s": fit_s[method],
                       "epochs": len(model.history_),
                       "predict_ratio_batch": batch["dense"] / batch[method]
                       if "dense" in batch else np.nan,
                       "predict_ratio_single": single["dense"] /
                       single[method] if "dense" in single else np.nan}
                if isinstance(model, DynaPrunerRegressor):
                    masks = model.predict_masks(X_test)
                    share = masks.reshape(len(masks), -1).mean(1)
                    busy = window_variability(X_test)
                    row["kept_share"] = float(share.mean())
                    row["kept_share_min"] = float(share.min())
                    row["kept_share_max"] = float(share.max())
                    if method == "adaptive":
                        row["spearman_busy"] = float(
                            spearmanr(share, busy)[0])
                    if method == "adaptive" and seed == args.seeds[0]:
                        pd.DataFrame({"busyness": busy, "kept_share": share}
                                     ).to_csv(out / f"dyna_busy_{dataset}.csv",
                                              index=False)
                rows.append(row)
                print(f"{dataset} seed {seed} {method}: MAE {row['MAE']:.4f}"
                      f", FLOPs {row['flops_share']:.3f} of dense, predict "
                      f"dense/model {row['predict_ratio_batch']:.2f} (batch) "
                      f"{row['predict_ratio_single']:.2f} (one window), fit "
                      f"{fit_s[method]:.0f} s", flush=True)
    raw = pd.DataFrame(rows)
    raw.to_csv(out / "dyna_raw.csv", index=False)
    summary = raw.drop(columns="seed").groupby(
        ["dataset", "method"], sort=False).mean()
    summary["runs"] = raw.groupby(["dataset", "method"], sort=False).size()
    dense = summary.xs("dense", level="method")["MAE"]
    summary["MAE vs dense %"] = [
        100 * (mae / dense[ds] - 1) for (ds, _), mae in summary["MAE"].items()]
    summary.round(4).to_csv(out / "dyna.csv")
    (out / "dyna.md").write_text(
        f"{machine_line(args.seeds)}\nBudget {args.budget}; command: python "
        f"benchmarks/bench_dyna.py {' '.join(sys.argv[1:] if argv is None else argv)}\n\n"
        + summary.round(3).to_markdown() + "\n")
    print(summary.round(3).to_markdown())


if __name__ == "__main__":
    main()
