"""PALS on METR-LA: how many sensors can go, decided during one training.

Fits ``DynSTRegressor(sparsity="auto")`` on the shipped METR-LA data and
draws the sparsity after each PALS update, marked shrink / expand / stable,
with the validation error (MAE, in mph) and the ``tolerance x best``
threshold that decides between them. Prints the level chosen and the test MAE beside the
dense model's. Saves ``auto_sparsity.png``.

Run: ``python examples/plot_auto_sparsity.py [--output PATH]``.
"""

import argparse

from sklearn_dynst import DynSTRegressor, make_windows, temporal_train_test_split
from sklearn_dynst.datasets import load_metr_la
from sklearn_dynst.metrics import masked_mae
from sklearn_dynst.plotting import plot_sparsity_path


def main(output="auto_sparsity.png", quick=False):
    import matplotlib.pyplot as plt

    bunch = load_metr_la()
    X, y = make_windows(bunch.data, n_steps_in=12, horizon=12)
    X_fit, X_test, y_fit, y_test = temporal_train_test_split(X, y,
                                                             test_size=0.2)
    params = {"adjacency": bunch.adjacency, "validation_fraction": 0.125,
              "random_state": 0}
    if quick:
        params.update(n_rounds=2, epochs_per_round=1, max_epochs=1)
    auto = DynSTRegressor("auto", **params).fit(X_fit, y_fit)
    dense = DynSTRegressor(**params).fit(X_fit, y_fit)
    ax = plot_sparsity_path(auto.history_, tolerance=auto.tolerance,
                            title=f"PALS on METR-LA: {auto.sparsity_:.0%} of "
                                  f"the {auto.n_features_in_} sensors off")
    ax.figure.tight_layout()
    ax.figure.savefig(output, dpi=110)
    plt.close(ax.figure)
    print(f"sparsity chosen: {auto.sparsity_:.2f} "
          f"({int(auto.support_.sum())} sensors kept)")
    print(f"test MAE: auto {masked_mae(y_test, auto.predict(X_test)):.3f}, "
          f"dense {masked_mae(y_test, dense.predict(X_test)):.3f}")
    print(f"saved {output}")
    return auto


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="auto_sparsity.png")
    parser.add_argument("--quick", action="store_true",
                        help="a few epochs only: checks the script runs")
    args = parser.parse_args()
    main(args.output, args.quick)
