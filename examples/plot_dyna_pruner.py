"""Dyna-Pruner on METR-LA: which sensors each window computes on.

Fits a ``DynaPrunerRegressor`` (adaptive budget: half of the sensors on
average) on the last weeks of the shipped METR-LA data, then draws, for
the test windows, the share of sensors each kept against how busy its
input was, and the sensors kept by the calmest and by the busiest window
on the map. Prints the test MAE and the FLOPs per window against the dense
backbone. Saves ``dyna_pruner.png``.

Run: ``python examples/plot_dyna_pruner.py [--budget 0.5] [--output PATH]``.
"""

import argparse

from sklearn_dynst import (DynaPrunerRegressor, make_windows,
                           temporal_train_test_split)
from sklearn_dynst.datasets import load_metr_la
from sklearn_dynst.metrics import masked_mae, window_variability
from sklearn_dynst.plotting import plot_kept_share, plot_sensor_map


def main(budget=0.5, output="dyna_pruner.png", quick=False):
    import matplotlib.pyplot as plt

    bunch = load_metr_la()
    # the last three weeks (the last four days in the quick run)
    data = bunch.data.iloc[-(1200 if quick else 6048):]
    X, y = make_windows(data, n_steps_in=12, horizon=12)
    X_fit, X_test, y_fit, y_test = temporal_train_test_split(X, y,
                                                             test_size=0.2)
    model = DynaPrunerRegressor(budget, validation_fraction=0.125,
                                max_epochs=2 if quick else 30,
                                random_state=0).fit(X_fit, y_fit)
    mae = masked_mae(y_test, model.predict(X_test))
    masks = model.predict_masks(X_test)
    share = masks.mean(1)
    busy = window_variability(X_test)
    flops = model.compute_cost(X_test)
    print(f"test MAE {mae:.3f} mph; regions kept per window {share.mean():.2f}"
          f" on average ({share.min():.2f} to {share.max():.2f}); FLOPs per "
          f"window {flops.mean() / model.dense_flops_:.2f} of the dense "
          "backbone's")

    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    plot_kept_share(busy, share, ax=axes[0],
                    title="test windows: busier inputs keep more?")
    axes[0].set_xlabel("input variability (mean std over steps, mph)")
    for ax, index, name in ((axes[1], busy.argmin(), "calmest"),
                            (axes[2], busy.argmax(), "busiest")):
        plot_sensor_map(bunch.coordinates, support=masks[index], ax=ax,
                        legend=("computed", "read, not computed"),
                        title=f"{name} window: {masks[index].sum()} of "
                              f"{masks.shape[1]} sensors computed")
    fig.tight_layout()
    fig.savefig(output, dpi=110)
    plt.close(fig)
    print(f"saved {output}")
    return model, busy, share


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=0.5)
    parser.add_argument("--output", default="dyna_pruner.png")
    parser.add_argument("--quick", action="store_true",
                        help="a few epochs on a few days, to check it runs")
    args = parser.parse_args()
    main(args.budget, args.output, args.quick)
