"""The Sphinx documentation builds without a warning (``sphinx-build -W``)."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_sphinx_build_has_no_warnings(tmp_path):
    pytest.importorskip("sphinx")
    pytest.importorskip("numpydoc")
    if not (ROOT / "doc" / "conf.py").exists():
        pytest.skip("no doc/ next to the package (installed without sources)")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q",
         "-b", "html", "-d", str(tmp_path / "doctrees"), str(ROOT / "doc"),
         str(tmp_path / "html")],
        capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr[-4000:]
    html = tmp_path / "html"
    for page in ["index", "examples", "benchmarks", "api",
                 "user_guide/sensor_selection"]:
        assert (html / f"{page}.html").exists(), page
    # the gallery's pictures are copied into the built site
    assert (html / "_images" / "sensor_maps.png").exists()
