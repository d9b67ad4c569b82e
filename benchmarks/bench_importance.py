"""DynST at one sparsity with a chosen ``importance``, under the protocol.

Compares what a round ranks by (e.g. the absence cost against the Fisher
estimate that ``importance="auto"`` uses above sparsity 0.8) without the
baselines: ``bench_dynst.py`` gives those. One line per fit.

Usage::

    python benchmarks/bench_importance.py --datasets metr_la beijing_pm25
        --importance absence [--sparsity 0.9] [--seeds 0 1 2]
        [--data-home ../shared/data] [--threads 1]
"""

import argparse
import os
import time

import torch

from _protocol import VALIDATION_FRACTION, evaluate, load, split
from sklearn_dynst import DynSTRegressor


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", nargs="+", required=True)
    parser.add_argument("--importance", required=True,
                        choices=["auto", "absence", "removal", "magnitude"])
    parser.add_argument("--sparsity", type=float, default=0.9)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--max-epochs", type=int, default=100)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--data-home", default=os.environ.get(
        "SKLEARN_DYNST_DATA", "../shared/data"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    for dataset in args.datasets:
        X, y, _, adjacency = load(dataset, args.data_home)
        X_fit, X_test, y_fit, y_test = split(X, y)
        for seed in args.seeds:
            start = time.perf_counter()
            model = DynSTRegressor(
                args.sparsity, importance=args.importance,
                adjacency=adjacency, random_state=seed,
                max_epochs=args.max_epochs,
                validation_fraction=VALIDATION_FRACTION).fit(X_fit, y_fit)
            mae = evaluate(y_test, model.predict(X_test))["MAE"]
            print(f"{dataset} importance={args.importance} sparsity "
                  f"{args.sparsity} seed {seed}: MAE {mae:.3f}, fit "
                  f"{time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
