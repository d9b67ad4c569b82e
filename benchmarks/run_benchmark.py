"""The SPEC benchmark in one command: every method against every baseline.

Per data set and seed, under the protocol of ``benchmarks/_protocol.py``
(12 steps in, 12 ahead, chronological 70 / 10 / 20 split, metrics in
original units with missing truths masked), the methods:

========================  ==================================================
``persistence``           last observed value, every step ahead
``dense``                 ``DynSTRegressor(sparsity=0)``: every sensor read
``dynst``                 ``DynSTRegressor(sparsity)``: learns which to drop
``random``                ``--n-random`` random subsets (seeds 0, 1, ...)
``variance``              the highest-variance sensors
``qr``                    PySensors' QR pivoting (``pysensors`` extra)
``auto``                  ``DynSTRegressor(sparsity="auto")`` (PALS): one
                          fit that chooses its level
``st-prune``              the dense model trained with ``sample_pruning=0.8``
``dense-transformer``     the dense model with the transformer backbone
``dyna-pruner``           ``DynaPrunerRegressor(budget=1 - sparsity)``
========================  ==================================================

The selections (``random``, ``variance``, ``qr``) feed the *same*
forecaster as DynST: a ``DynSTRegressor`` whose ``required_sensors`` are the
selection, trained exactly as DynST is except for which sensors it keeps.
Dyna-Pruner keeps every sensor's reading and computes, per window, on
``budget`` of the regions; its reference is the dense transformer it
prunes. ERA5 is read as 1617 sensors (one per cell) except by the
transformer models, which read 187 patches of 3 x 3 cells (the forecast
is scored on the cells).

Written to ``--out``: ``benchmark_raw.csv`` (one row per fit),
``benchmark.csv`` (mean per data set, method and sparsity),
``benchmark_mae.csv`` (test MAE, a row per data set and method, a column
per sparsity) and ``benchmark.md`` (the same as tables, with the command,
machine and date).
Columns: MAE, RMSE, MAE at horizons 3, 6 and 12, the share of sensors
read (``kept``; ``auto``: the share it chose), FLOPs per window over the
reference's, the fit time over the reference's (``fit ratio``, mean of the
reference's seeds) and the reference's predict time over the model's
(``predict speed-up``). Predict times are measured at the end of the run, in
one process, models of a data set taking turns (median of ``--repeats``
on the test windows), so they compare within one run. Fit times are those
of the run that fitted the model: fits are cached (``joblib.Memory``
under ``--cache``), so an interrupted run resumes, and the table says
how many fits it read from the cache.

``--quick`` is a smoke run of every method in a few minutes on 2 CPU
cores: the two data sets shipped with the package, their last
``--max-windows`` windows, a few epochs, one seed, two random subsets,
sparsity 0.3 and 0.7. Its numbers show that everything runs, not how good
the methods are.

Usage::

    python benchmarks/run_benchmark.py [--quick] [--datasets ...]
        [--methods ...] [--sparsities 0.3 0.5 0.7 0.9] [--seeds 0 1 2]
        [--n-random 5] [--max-epochs 100] [--max-windows N] [--jobs 2]
        [--threads N] [--device cpu|cuda|auto] [--repeats 3]
        [--data-home ../shared/data] [--out DIR] [--cache DIR]
"""

import argparse
import os
import sys
import time
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import torch

from _protocol import (DATASETS, VALIDATION_FRACTION, add_run_arguments,
                       code_version, era5_patches, evaluate, load,
                       machine_line, split)
from sklearn_dynst import DynaPrunerRegressor, DynSTRegressor
from sklearn_dynst.baselines import (PersistenceRegressor, QRSensorSelector,
                                     RandomSensorSelector,
                                     VarianceSensorSelector)

METHODS = ("persistence", "dense", "dynst", "random", "variance", "qr",
           "auto", "st-prune", "dense-transformer", "dyna-pruner")
#: methods fitted once per data set and seed (the others once per level)
PER_SEED = ("persistence", "dense", "auto", "st-prune", "dense-transformer")
SELECTORS = {
    "random": lambda sparsity, seed: RandomSensorSelector(
        sparsity, random_state=seed),
    "variance": lambda sparsity, seed: VarianceSensorSelector(sparsity),
    "qr": lambda sparsity, seed: QRSensorSelector(sparsity),
}
TRANSFORMER = ("dense-transformer", "dyna-pruner")
SAMPLE_PRUNING = 0.8
QUICK = {"datasets": ["metr_la", "beijing_pm25"], "sparsities": [0.3, 0.7],
         "seeds": [0], "n_random": 2, "max_epochs": 4, "max_windows": 1200}
#: the short DynST schedule of a quick run (rounds of one epoch)
QUICK_SCHEDULE = {"n_rounds": 2, "epochs_per_round": 1}


def reference(method):
    """The dense model a method's time and FLOPs ratios are taken over."""
    return "dense-transformer" if method in TRANSFORMER else "dense"


def windows(dataset, data_home, max_windows, patches):
    """The protocol's fit and test windows (the last ``max_windows``
    only, when given), the adjacency, and a map from forecasts back to
    sensors: on ERA5 with ``patches``, the windows are cut into patches."""
    X, y, _, adjacency = load(dataset, data_home)
    if max_windows:
        X, y = X[-max_windows:], y[-max_windows:]
    back = None
    if patches and dataset == "era5_uk_t2m":
        to_patches, back = era5_patches()
        X = to_patches(X)
    X_fit, X_test, y_fit, y_test = split(X, y)
    if back is not None:
        y_fit = to_patches(y_fit)
    return X_fit, X_test, y_fit, y_test, adjacency, back


def make_model(method, sparsity, seed, X_fit, adjacency, max_epochs, device,
               quick):
    """The estimator of one job, unfitted."""
    params = {"random_state": seed, "max_epochs": max_epochs,
              "validation_fraction": VALIDATION_FRACTION, "device": device}
    if quick:
        params.update(QUICK_SCHEDULE)
    if method == "persistence":
        return PersistenceRegressor()
    if method in TRANSFORMER:
        params.update(backbone="transformer")
        params.pop("n_rounds", None), params.pop("epochs_per_round", None)
        if method == "dense-transformer":
            return DynSTRegressor(**params)
        return DynaPrunerRegressor(1.0 - sparsity, **params)
    params["adjacency"] = adjacency
    if method == "dense":
        return DynSTRegressor(**params)
    if method == "st-prune":
        return DynSTRegressor(sample_pruning=SAMPLE_PRUNING, **params)
    if method in ("dynst", "auto"):
        return DynSTRegressor(sparsity, **params)
    support = SELECTORS[method](sparsity, seed).fit(X_fit).support_
    return DynSTRegressor(1.0 - support.mean(), required_sensors=support,
                          **params)


def flops_share(model, X):
    """Mean FLOPs per window over the dense backbone's (NaN when the
    backbone does not count its FLOPs)."""
    if isinstance(model, DynaPrunerRegressor):
        return float(model.compute_cost(X).mean() / model.dense_flops_)
    backbone = getattr(getattr(model, "net_", None), "module_", None)
    backbone = getattr(backbone, "backbone", None)
    if not hasattr(backbone, "flops"):
        return np.nan
    return backbone.flops(int(model.support_.sum())) / backbone.flops(
        model.n_features_in_)


def fit_job(dataset, method, sparsity, seed, data_home, max_windows,
            max_epochs, device, quick, code=None, threads=1):
    """Fit one job and score it on the test windows; returns ``(row,
    model)``. ``code`` (the package's code version) only keys the cache."""
    torch.set_num_threads(threads)
    X_fit, X_test, y_fit, y_test, adjacency, back = windows(
        dataset, data_home, max_windows, method in TRANSFORMER)
    model = make_model(method, sparsity, seed, X_fit, adjacency, max_epochs,
                       device, quick)
    start = time.perf_counter()
    model.fit(X_fit, y_fit)
    fit_s = time.perf_counter() - start
    y_pred = model.predict(X_test)
    if back is not None:
        y_pred = back(y_pred)
    support = getattr(model, "support_", None)
    row = {"dataset": dataset, "method": method,
           "sparsity": "auto" if method == "auto" else sparsity,
           "seed": seed, **evaluate(y_test, y_pred),
           "kept": float(np.mean(support)) if support is not None else 1.0,
           "flops": flops_share(model, X_test)
           if method != "persistence" else np.nan,
           "fit_s": fit_s, "epochs": len(getattr(model, "history_", [])),
           "fitted_at": time.strftime("%Y-%m-%d %H:%M")}
    if isinstance(model, DynaPrunerRegressor):
        row["kept"] = float(model.predict_masks(X_test).mean())
    return row, model


def _run(cached, job, arguments, threads):
    """One job in a worker: ``(job, (row, model))``."""
    return job, cached(*arguments, threads=threads)


def plan(args):
    """Every job: ``(dataset, method, sparsity, seed)``."""
    jobs = []
    for dataset in args.datasets:
        for seed in args.seeds:
            for method in args.methods:
                if method in PER_SEED:
                    jobs.append((dataset, method,
                                 "auto" if method == "auto" else 0.0, seed))
        for sparsity in args.sparsities:
            for method in args.methods:
                if method == "random":
                    jobs += [(dataset, method, sparsity, i)
                             for i in range(args.n_random)]
                elif method not in PER_SEED:
                    jobs += [(dataset, method, sparsity, seed)
                             for seed in args.seeds]
    return jobs


def predict_seconds(models, X_tests, repeats):
    """Median predict time of each model on its data set's test windows;
    models take turns within each repeat, so drifts hit all alike."""
    times = {key: [] for key in models}
    for _ in range(repeats):
        for key, model in models.items():
            X_test = X_tests[key[1] in TRANSFORMER]
            start = time.perf_counter()
            model.predict(X_test)
            times[key].append(time.perf_counter() - start)
    return {key: float(np.median(value)) for key, value in times.items()}


def summarise(raw):
    """Mean per (dataset, method, sparsity), with the time ratios over each
    method's dense reference."""
    raw = raw.copy()
    refs = raw[raw["method"].isin(["dense", "dense-transformer"])].groupby(
        ["dataset", "method"])[["fit_s", "predict_s"]].mean()
    ref_fit, ref_predict = [], []
    for dataset, method in zip(raw["dataset"], raw["method"]):
        ref = refs.loc[(dataset, reference(method))] if (
            dataset, reference(method)) in refs.index else None
        ref_fit.append(np.nan if ref is None else ref["fit_s"])
        ref_predict.append(np.nan if ref is None else ref["predict_s"])
    raw["fit ratio"] = raw["fit_s"] / np.asarray(ref_fit)
    raw["predict speed-up"] = np.asarray(ref_predict) / raw["predict_s"]
    metrics = ["MAE", "RMSE", "MAE@3", "MAE@6", "MAE@12", "kept", "flops",
               "fit ratio", "predict speed-up", "fit_s", "predict_s"]
    raw["sparsity"] = raw["sparsity"].astype(str)
    grouped = raw.groupby(["dataset", "method", "sparsity"], sort=False)
    summary = grouped[metrics].mean()
    summary["MAE std"] = grouped["MAE"].std()
    summary["runs"] = grouped.size()
    return summary


def mae_table(summary, dataset):
    """Test MAE of one data set: a row per method, a column per level."""
    rows = summary[summary.index.get_level_values("dataset") == dataset]
    table = rows["MAE"].droplevel("dataset").unstack("sparsity")
    order = [m for m in METHODS if m in table.index]
    return table.loc[order]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run of every method in a few minutes")
    parser.add_argument("--datasets", nargs="+", choices=DATASETS)
    parser.add_argument("--methods", nargs="+", choices=METHODS,
                        default=list(METHODS))
    parser.add_argument("--sparsities", nargs="+", type=float)
    parser.add_argument("--seeds", nargs="+", type=int)
    parser.add_argument("--n-random", type=int)
    parser.add_argument("--max-epochs", type=int)
    parser.add_argument("--max-windows", type=int,
                        help="use the last N windows of each data set")
    parser.add_argument("--jobs", type=int, default=2,
                        help="fits run in parallel (joblib processes)")
    parser.add_argument("--repeats", type=int, default=3,
                        help="predict timings per model (median)")
    add_run_arguments(parser)
    parser.set_defaults(threads=None)
    args = parser.parse_args(argv)
    defaults = QUICK if args.quick else {
        "datasets": list(DATASETS), "sparsities": [0.3, 0.5, 0.7, 0.9],
        "seeds": [0, 1, 2], "n_random": 5, "max_epochs": 100,
        "max_windows": None}
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    threads = args.threads or max(1, (os.cpu_count() or 1) // args.jobs)
    memory = joblib.Memory(Path(args.cache) / "joblib", verbose=0)
    cached = memory.cache(fit_job, ignore=["threads"])
    code = code_version()
    jobs = plan(args)

    def call(job):
        return (*job, args.data_home, args.max_windows, args.max_epochs,
                args.device, args.quick, code)

    in_cache = sum(cached.check_call_in_cache(*call(job)) for job in jobs)
    print(f"{len(jobs)} fits, {in_cache} already in the cache, "
          f"{args.jobs} at a time, {threads} torch threads each", flush=True)
    start = time.perf_counter()
    results = joblib.Parallel(n_jobs=args.jobs,
                              return_as="generator_unordered")(
        joblib.delayed(_run)(cached, job, call(job), threads) for job in jobs)
    rows, models = {}, {}
    for done, (job, (row, model)) in enumerate(results, 1):
        rows[job], models[job] = row, model
        print(f"[{done:>{len(str(len(jobs)))}}/{len(jobs)}] {job[0]} "
              f"{job[1]} sparsity {job[2]} seed {job[3]}: MAE "
              f"{row['MAE']:.4g}, kept {row['kept']:.2f}, fit "
              f"{row['fit_s']:.0f} s ({time.perf_counter() - start:.0f} s "
              "elapsed)", flush=True)
    torch.set_num_threads(os.cpu_count() or 1)
    for dataset in args.datasets:
        print(f"timing predict on {dataset}", flush=True)
        X_tests = {patches: windows(dataset, args.data_home,
                                    args.max_windows, patches)[1]
                   for patches in (False, True)}
        keys = [job for job in jobs if job[0] == dataset]
        seconds = predict_seconds({job: models[job] for job in keys},
                                  X_tests, args.repeats)
        for job, seconds_ in seconds.items():
            rows[job]["predict_s"] = seconds_
    raw = pd.DataFrame([rows[job] for job in jobs])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    raw.to_csv(out / "benchmark_raw.csv", index=False)
    summary = summarise(raw)
    summary.round(4).to_csv(out / "benchmark.csv")
    pd.concat({dataset: mae_table(summary, dataset) for dataset in
               args.datasets}, names=["dataset"]).round(3).to_csv(
        out / "benchmark_mae.csv")
    command = "python benchmarks/run_benchmark.py " + " ".join(
        sys.argv[1:] if argv is None else argv)
    text = [f"Command: `{command.strip()}`", "",
            machine_line(args.seeds) + f" Device {args.device}; "
            f"{args.jobs} fits at a time, {threads} torch threads each; "
            f"{in_cache} of {len(jobs)} fits read from the cache.", ""]
    for dataset in args.datasets:
        text += [f"## {dataset}: test MAE per method and sparsity", "",
                 mae_table(summary, dataset).round(3).to_markdown(), "",
                 f"## {dataset}: all metrics", "",
                 summary.loc[[dataset]].drop(columns=["fit_s", "predict_s"])
                 .droplevel("dataset").round(3).reset_index()
                 .to_markdown(index=False), ""]
    (out / "benchmark.md").write_text("\n".join(text))
    print("\n".join(text))
    return summary


if __name__ == "__main__":
    main()
