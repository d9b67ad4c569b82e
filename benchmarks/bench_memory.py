"""How much memory does a fit need beyond the windows it is given?

Cuts a random-walk series of ``--steps`` steps and ``--sensors`` sensors
(float32) into 12-in, 12-out windows with ``make_windows`` (zero-copy views
of the series), fits ``DynSTRegressor`` for one epoch and reports the
process's peak resident memory increase, as a multiple of one window
array's float32 size. One fit per process: the peak is the process's.

Usage::

    python benchmarks/bench_memory.py [--steps 20023] [--sensors 200]
"""

import argparse
import resource
import time

import numpy as np
import torch

from _protocol import machine_line
from sklearn_dynst import DynSTRegressor, make_windows


def _peak_mb():
    # ru_maxrss is in KiB on Linux
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20023)
    parser.add_argument("--sensors", type=int, default=200)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)
    series = rng.normal(size=(args.steps, args.sensors)).astype(
        np.float32).cumsum(0)
    X, y = make_windows(series, 12, 12)
    one = X.size * 4 / 2**20
    before = _peak_mb()
    start = time.perf_counter()
    DynSTRegressor(max_epochs=1, random_state=0).fit(X, y)
    increase = _peak_mb() - before
    print(machine_line([0]))
    print(f"windows X and y of shape {X.shape} ({one:.0f} MB each as "
          f"float32); one-epoch fit in {time.perf_counter() - start:.0f} s; "
          f"peak memory +{increase:.0f} MB = {increase / one:.1f} x one "
          "window array")


if __name__ == "__main__":
    main()
