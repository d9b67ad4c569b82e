"""The example scripts run end to end (a few epochs: a smoke test)."""

import runpy
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
def quickstart(monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.syspath_prepend(str(EXAMPLES))
    sys.modules.pop("quickstart", None)
    return runpy.run_path(str(EXAMPLES / "quickstart.py"))


def test_quickstart_prints_the_table_and_saves_the_map(quickstart, tmp_path,
                                                       capsys):
    output = tmp_path / "quickstart.png"
    table = quickstart["main"](output=str(output), quick=True)
    assert output.stat().st_size > 10_000
    assert {"dense (all sensors)", "DynST", "random half (seed 0)",
            "highest variance"} <= set(table.index)
    assert table.loc["DynST", "sensors read"] == 104
    assert table.loc["dense (all sensors)", "sensors read"] == 207
    assert (table["MAE"] > 0).all()
    out = capsys.readouterr().out
    assert "DynST reads 104 of 207 sensors" in out
