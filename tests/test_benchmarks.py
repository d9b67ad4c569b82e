"""The one-command benchmark (``benchmarks/run_benchmark.py``) runs, tables
what it ran and resumes from its cache (tiny settings: a smoke test)."""

import sys
from pathlib import Path

import pandas as pd
import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture
def run_benchmark(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import run_benchmark

    yield run_benchmark
    sys.modules.pop("run_benchmark", None)


def test_plan_has_one_job_per_fit(run_benchmark):
    args = pd.Series({"datasets": ["metr_la"], "seeds": [0, 1],
                      "sparsities": [0.3, 0.7], "n_random": 5,
                      "methods": ["dense", "auto", "dynst", "random",
                                  "dyna-pruner"]})
    jobs = run_benchmark.plan(args)
    assert ("metr_la", "auto", "auto", 1) in jobs
    assert sum(job[1] == "dense" for job in jobs) == 2
    assert sum(job[1] == "dynst" for job in jobs) == 4       # 2 levels x 2
    assert sum(job[1] == "random" for job in jobs) == 10     # 2 levels x 5
    assert len(jobs) == len(set(jobs)) == 2 + 2 + 4 + 10 + 4
    assert run_benchmark.reference("dyna-pruner") == "dense-transformer"
    assert run_benchmark.reference("qr") == "dense"


def test_quick_run_writes_tables_and_resumes_from_cache(
        run_benchmark, tmp_path, capsys):
    argv = ["--quick", "--datasets", "beijing_pm25", "--methods",
            "persistence", "dense", "dynst", "random", "dense-transformer",
            "dyna-pruner", "--sparsities", "0.5", "--n-random", "2",
            "--max-epochs", "1", "--max-windows", "300", "--jobs", "1",
            "--repeats", "1", "--out", str(tmp_path / "out"),
            "--cache", str(tmp_path / "cache")]
    summary = run_benchmark.main(argv)
    out = capsys.readouterr().out
    assert "7 fits, 0 already in the cache" in out
    assert "[7/7]" in out
    raw = pd.read_csv(tmp_path / "out" / "benchmark_raw.csv")
    assert len(raw) == 7 and raw["MAE"].gt(0).all()
    assert raw["predict_s"].gt(0).all()
    rows = summary.loc["beijing_pm25"]
    assert rows.loc[("dense", "0.0"), "fit ratio"] == 1.0
    assert rows.loc[("dense-transformer", "0.0"), "predict speed-up"] == 1.0
    assert rows.loc[("random", "0.5"), "runs"] == 2
    assert rows.loc[("dynst", "0.5"), "kept"] == 0.5
    dyna = rows.loc[("dyna-pruner", "0.5")]
    assert 0 < dyna["flops"] < 1 and 0 < dyna["kept"] < 1
    mae = pd.read_csv(tmp_path / "out" / "benchmark_mae.csv",
                      index_col=["dataset", "method"])
    assert mae.loc[("beijing_pm25", "dynst"), "0.5"] == pytest.approx(
        rows.loc[("dynst", "0.5"), "MAE"], abs=1e-3)
    table = (tmp_path / "out" / "benchmark.md").read_text()
    assert "## beijing_pm25: test MAE per method and sparsity" in table
    assert "0 of 7 fits read from the cache" in table
    # an interrupted (here: repeated) run reads its fits back
    again = run_benchmark.main(argv)
    assert "7 fits, 7 already in the cache" in capsys.readouterr().out
    pd.testing.assert_series_equal(again["MAE"], summary["MAE"])


def test_bench_dynst_tabulates_several_runs_from_raw(monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import bench_dynst

    columns = ["MAE", "RMSE", "MAE@3", "MAE@6", "MAE@12", "fit_s", "epochs",
               "n_kept", "predict_s"]

    def rows(entries):
        return pd.DataFrame([
            {"dataset": "metr_la", "method": method, "sparsity": sparsity,
             "seed": seed, **dict.fromkeys(columns, value)}
            for method, sparsity, seed, value in entries])

    old = tmp_path / "old.csv"
    new = tmp_path / "new.csv"
    rows([("dense", 0.0, 0, 4.0), ("qr", 0.5, 0, 4.2),
          ("dynst", 0.5, 0, 4.4), ("random", 0.3, 0, 4.05),
          ("qr", 0.3, 0, 4.3), ("dynst", 0.3, 0, 4.1),
          ("dynst", 0.7, 0, 4.6)]).to_csv(old, index=False)
    rows([("dynst", 0.5, 0, 4.1)]).to_csv(new, index=False)
    out = tmp_path / "tables"
    monkeypatch.setattr(sys, "argv", ["bench_dynst.py", "--from-raw",
                                      str(old), str(new), "--out", str(out)])
    bench_dynst.main()
    sys.modules.pop("bench_dynst", None)
    summary = pd.read_csv(out / "dynst_summary.csv")
    # the later file's DynST row replaces the earlier one
    summary = summary.set_index("sparsity")
    assert summary.loc[0.5, "dynst"] == pytest.approx(4.1)
    assert summary.loc[0.5, "qr"] == pytest.approx(4.2)
    assert summary.loc[0.5, "dynst vs dense %"] == pytest.approx(2.5)
    # a baseline not run at a level (random at 0.5) does not count as won
    assert summary.loc[0.5, "dynst best"] == True  # noqa: E712
    assert summary.loc[0.3, "dynst best"] == False  # noqa: E712
    assert pd.isna(summary.loc[0.7, "dynst best"])  # no baseline at 0.7
    assert len(pd.read_csv(out / "dynst_raw.csv")) == 7
    assert "Rows from" in (out / "dynst.md").read_text()


def test_bench_memory_reports_the_fits_peak(monkeypatch, capsys):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import bench_memory

    monkeypatch.setattr(sys, "argv", ["bench_memory.py", "--steps", "200",
                                      "--sensors", "4"])
    bench_memory.main()
    sys.modules.pop("bench_memory", None)
    out = capsys.readouterr().out
    assert "windows X and y of shape (177, 12, 4)" in out
    assert "x one window array" in out


def test_bench_cover_weights_scales_the_covering_weights(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import numpy as np

    import bench_cover_weights
    from sklearn_dynst.callbacks import _sensor_pruning

    sys.modules.pop("bench_cover_weights", None)
    # four independent sensors of equal weight; their standard deviations
    # in original units are 3, 1, 2 and 4
    y_train = np.random.default_rng(0).normal(size=(4000, 1, 4)) \
        * np.array([3.0, 1.0, 2.0, 4.0])
    args = (np.ones(4), np.ones(4, bool), 0.25, np.eye(4))
    as_is = _sensor_pruning.prune_covering(*args)
    with bench_cover_weights.covering_weights("z", y_train):
        np.testing.assert_array_equal(
            _sensor_pruning.prune_covering(*args), as_is)
    with bench_cover_weights.covering_weights("std", y_train):
        # the sensor of least spread goes first
        assert _sensor_pruning.prune_covering(*args).tolist() == \
            [True, False, True, True]
    assert as_is.tolist() != [True, False, True, True]
    # the patch ends with the context
    np.testing.assert_array_equal(_sensor_pruning.prune_covering(*args),
                                  as_is)
