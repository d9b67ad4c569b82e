"""Variants of DynST's covering removal at one sparsity: which weights?

DynST's rounds switch sensors off by
:func:`~sklearn_dynst._pruning.prune_covering`, whose weights are each
sensor's importance per unit of interpolation variance, in the units of the
training loss (standardised targets). The benchmark's MAE is in original
units, where a sensor with a large standard deviation weighs more. This
script fits the same ``DynSTRegressor`` (same seed, same windows, the SPEC
protocol) with each ``--importance`` and each ``--weights``:

* ``z``: the weights as the package computes them;
* ``std``: times each sensor's standard deviation on the training windows
  (the covering then weighs an MAE in original units);
* ``var``: times its variance (an MSE in original units).

``std`` and ``var`` patch ``prune_covering`` for the fit (as
``bench_mixing_lr.py`` patches the learning-rate rule): they are
experiments, not options of the package. One row per fit, printed and
written to ``<out>/cover_weights_<dataset>.csv``; no cache.

Usage::

    python benchmarks/bench_cover_weights.py --dataset era5_uk_t2m
        --sparsity 0.9 [--importance auto absence] [--weights z std var]
        [--seeds 0] [--threads 1] [--data-home ../shared/data]
        [--out benchmarks/results]
"""

import argparse
import contextlib
import time
from pathlib import Path
from unittest import mock

import numpy as np
import pandas as pd
import torch

from _protocol import (DATASETS, VALIDATION_FRACTION, add_run_arguments,
                       evaluate, load, machine_line, split)
from sklearn_dynst import DynSTRegressor
from sklearn_dynst.callbacks import _sensor_pruning

POWERS = {"z": 0, "std": 1, "var": 2}


def covering_weights(weights, y_train):
    """A context in which the covering removal's weights are multiplied by
    each sensor's standard deviation in ``y_train`` to the power
    ``POWERS[weights]`` (none for ``"z"``)."""
    power = POWERS[weights]
    if power == 0:
        return contextlib.nullcontext()
    factor = np.nanstd(y_train, axis=(0, 1)) ** power
    original = _sensor_pruning.prune_covering

    def scaled(sensor_weights, *args, **kwargs):
        return original(np.asarray(sensor_weights) * factor, *args, **kwargs)

    return mock.patch.object(_sensor_pruning, "prune_covering", scaled)


def fit_one(dataset, sparsity, seed, importance, weights, data_home,
            device="cpu"):
    """Fit one variant; return its row."""
    X, y, _, adjacency = load(dataset, data_home)
    X_fit, X_test, y_fit, y_test = split(X, y)
    # the standard deviations of the windows the network trains on
    n_train = int(len(y_fit) * (1 - VALIDATION_FRACTION))
    model = DynSTRegressor(sparsity, importance=importance,
                           adjacency=adjacency, random_state=seed,
                           validation_fraction=VALIDATION_FRACTION,
                           device=device)
    start = time.perf_counter()
    with covering_weights(weights, y_fit[:n_train]):
        model.fit(X_fit, y_fit)
    fit_s = time.perf_counter() - start
    row = {"dataset": dataset, "sparsity": sparsity, "seed": seed,
           "importance": importance, "weights": weights,
           **evaluate(y_test, model.predict(X_test)), "fit_s": fit_s,
           "epochs": len(model.history_),
           "n_kept": int(model.support_.sum())}
    print(f"{dataset} {sparsity} seed {seed} importance={importance} "
          f"weights={weights}: MAE {row['MAE']:.3f}, kept {row['n_kept']}, "
          f"fit {fit_s:.0f} s", flush=True)
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=DATASETS, default="era5_uk_t2m")
    parser.add_argument("--sparsity", type=float, default=0.9)
    parser.add_argument("--importance", nargs="+", default=["auto"],
                        choices=["auto", "absence", "removal", "magnitude"])
    parser.add_argument("--weights", nargs="+", default=list(POWERS),
                        choices=list(POWERS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    add_run_arguments(parser)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = [fit_one(args.dataset, args.sparsity, seed, importance, weights,
                    args.data_home, args.device)
            for seed in args.seeds for importance in args.importance
            for weights in args.weights]
    table = pd.DataFrame(rows)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    table.to_csv(out / f"cover_weights_{args.dataset}.csv", index=False)
    print(machine_line(args.seeds))
    print(table.round(3).to_markdown(index=False))
    return table


if __name__ == "__main__":
    main()
