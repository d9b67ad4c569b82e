"""Fit and predict cost of DynST against the dense model, in one run.

* **Fit**, same epochs: DynST trains ``2 + n_rounds`` x ``epochs_per_round``
  epochs while pruning, then ``--fit-epochs`` fine-tuning epochs; the dense
  model trains exactly as many epochs (no early stopping, no validation
  split, for either). Wall time per model, and the ratio to dense.
* **Predict**: cost depends on the architecture and the number of kept
  sensors, not on how well the weights were trained. ``predict`` is timed
  on the protocol's test windows, alternating the models so that machine
  drifts hit all alike: the whole test set in the estimator's batches, and
  one window at a time (latency), over ``--single`` windows.

Accuracy is ``bench_dynst.py``'s job.

Usage::

    python benchmarks/bench_cost.py [--dataset era5_uk_t2m]
        [--sparsities 0.5 0.7 0.9] [--fit-epochs 1] [--repeats 7]
        [--data-home ../shared/data]
"""

import argparse
import os
import time

import numpy as np
import pandas as pd
import torch

from _protocol import load, machine_line, split
from sklearn_dynst import DynSTRegressor


def _seconds(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="era5_uk_t2m")
    parser.add_argument("--sparsities", nargs="+", type=float,
                        default=[0.5, 0.7, 0.9])
    parser.add_argument("--fit-epochs", type=int, default=1,
                        help="fine-tuning epochs of DynST (the dense model "
                             "trains as many epochs as DynST in all)")
    parser.add_argument("--n-rounds", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--single", type=int, default=20,
                        help="windows predicted one at a time")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--data-home", default=os.environ.get(
        "SKLEARN_DYNST_DATA", "../shared/data"))
    parser.add_argument("--out", default="benchmarks/results")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    X, y, _, adjacency = load(args.dataset, args.data_home)
    X_fit, X_test, y_fit, _ = split(X, y)
    common = {"validation_fraction": None, "patience": None,
              "adjacency": adjacency, "random_state": 0,
              "n_rounds": args.n_rounds}
    pruning_epochs = 2 * 2 + args.n_rounds * 2  # warm-up + rounds, 2 each
    models, fit_s = {}, {}
    for sparsity in [0.0] + list(args.sparsities):
        epochs = args.fit_epochs + (pruning_epochs if sparsity == 0 else 0)
        start = time.perf_counter()
        models[sparsity] = DynSTRegressor(sparsity, max_epochs=epochs,
                                          **common).fit(X_fit, y_fit)
        fit_s[sparsity] = time.perf_counter() - start
        assert len(models[sparsity].history_) == pruning_epochs \
            + args.fit_epochs
    batch = {s: [] for s in models}
    single = {s: [] for s in models}
    windows = X_test[:args.single]
    for _ in range(args.repeats):
        for sparsity, model in models.items():
            batch[sparsity] += _seconds(lambda: model.predict(X_test), 1)
            single[sparsity] += _seconds(
                lambda: [model.predict(w[None]) for w in windows], 1)
    rows = []
    for sparsity, model in models.items():
        rows.append({
            "sparsity": sparsity, "kept": int(model.support_.sum()),
            "epochs": len(model.history_), "fit s": fit_s[sparsity],
            "fit ratio DynST/dense": fit_s[sparsity] / fit_s[0.0],
            "test set s": np.median(batch[sparsity]),
            "ratio dense/compact (test set)":
                np.median(batch[0.0]) / np.median(batch[sparsity]),
            "one window ms": 1e3 * np.median(single[sparsity]) / len(windows),
            "ratio dense/compact (one window)":
                np.median(single[0.0]) / np.median(single[sparsity]),
        })
    table = pd.DataFrame(rows)
    text = (f"{machine_line([0])} {args.dataset}: {X.shape[2]} sensors, "
            f"{len(X_test)} test windows, {args.threads} threads, medians of "
            f"{args.repeats} alternated repeats.\n\n"
            + table.round(4).to_markdown(index=False) + "\n")
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"cost_{args.dataset}.md")
    with open(path, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
