"""Dyna-Pruner on ERA5: the grid patches each input window computes on.

Fits a ``DynaPrunerRegressor`` (adaptive budget: half of the patches on
average) on ERA5's hourly 2 m temperature over the UK (33 x 49 cells, cut
into 187 patches of 3 x 3 cells; read from ``--data-home``), and draws, for
the calmest, a middling and the busiest test window, the temperature field
of its last input hour with the patches it skipped greyed out, beside the
kept share of every test window against how busy its input was. Prints the
test MAE and the FLOPs per window against the dense backbone's. Saves
``dyna_pruner_era5.png``.

Run: ``python examples/plot_dyna_pruner_era5.py [--budget 0.5]
[--max-epochs 30] [--data-home ../shared/data] [--output PATH]``.
"""

import argparse
import os

import numpy as np

from sklearn_dynst import (DynaPrunerRegressor, make_windows, patchify,
                           temporal_train_test_split, unpatchify)
from sklearn_dynst.datasets import load_era5_uk_t2m
from sklearn_dynst.metrics import masked_mae, window_variability
from sklearn_dynst.plotting import plot_grid_map, plot_kept_share

PATCH = 3


def main(budget=0.5, max_epochs=30, data_home=None,
         output="dyna_pruner_era5.png", quick=False):
    import matplotlib.pyplot as plt

    bunch = load_era5_uk_t2m(data_home=data_home)
    grid = bunch.grid_shape
    data = bunch.data.iloc[-200:] if quick else bunch.data
    X, y = make_windows(data.to_numpy(), n_steps_in=12, horizon=12)
    cells = X  # (n, steps, 1617), for the pictures
    X, y = (patchify(a.reshape(a.shape[:2] + (1,) + grid), PATCH, pad=True)
            for a in (X, y))  # (n, steps, 187 patches, 9 cells)
    X_fit, X_test, y_fit, y_test = temporal_train_test_split(X, y,
                                                             test_size=0.2)
    cells_test = cells[len(X_fit):]
    model = DynaPrunerRegressor(budget, validation_fraction=0.125,
                                max_epochs=max_epochs,
                                random_state=0).fit(X_fit, y_fit)
    patch_grid = tuple(-(-edge // PATCH) for edge in grid)

    def on_cells(patches):
        return unpatchify(patches, patch_grid, PATCH, grid_shape=grid)

    mae = masked_mae(on_cells(y_test), on_cells(model.predict(X_test)))
    masks = model.predict_masks(X_test)
    share = masks.mean(1)
    busy = window_variability(cells_test)
    flops = model.compute_cost(X_test) / model.dense_flops_
    print(f"test MAE {mae:.3f} K; patches kept per window {share.mean():.2f}"
          f" on average ({share.min():.2f} to {share.max():.2f}); FLOPs per "
          f"window {flops.mean():.2f} of the dense backbone's")

    fig, axes = plt.subplots(1, 4, figsize=(22, 4.6),
                             gridspec_kw={"width_ratios": [1, 1.1, 1.1, 1.1]})
    plot_kept_share(busy, share, ax=axes[0],
                    title="test windows: busier inputs keep more?")
    axes[0].set_xlabel("input variability (mean std over the 12 hours, K)")
    order = np.argsort(busy)
    picks = {"calmest": order[0], "middling": order[len(order) // 2],
             "busiest": order[-1]}
    for ax, (name, index) in zip(axes[1:], picks.items()):
        plot_grid_map(cells_test[index, -1], grid_shape=grid,
                      support=masks[index].reshape(patch_grid),
                      latitude=bunch.latitude, longitude=bunch.longitude,
                      ax=ax, cmap="RdYlBu_r", label="2 m temperature (K)",
                      legend=("patches computed", "skipped"),
                      title=f"{name} window: {share[index]:.0%} of the "
                            "patches computed")
    fig.tight_layout()
    fig.savefig(output, dpi=100)
    plt.close(fig)
    print(f"saved {output}")
    return model


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", type=float, default=0.5)
    parser.add_argument("--max-epochs", type=int, default=30)
    parser.add_argument("--data-home", default=os.environ.get(
        "SKLEARN_DYNST_DATA", "../shared/data"))
    parser.add_argument("--output", default="dyna_pruner_era5.png")
    parser.add_argument("--quick", action="store_true",
                        help="two epochs on the last days (a smoke test)")
    args = parser.parse_args()
    main(args.budget, 2 if args.quick else args.max_epochs, args.data_home,
         args.output, args.quick)
