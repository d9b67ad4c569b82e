"""Regenerate the datasets shipped inside sklearn_dynst.datasets.

Reads the original METR-LA and Beijing PM2.5 files from a data folder laid
out as ``<folder>/metr_la/`` and ``<folder>/beijing_pm25/`` and writes

- ``sklearn_dynst/datasets/data/metr_la.npz``: ``values`` (2016, 207)
  float64, ``sensor_names`` (207,) str, ``adjacency`` (207, 207) float64,
  ``latitude`` and ``longitude`` (207,) float64;
- ``sklearn_dynst/datasets/data/beijing_pm25.npz``: ``values`` (8759, 36)
  float64 with NaN, ``time`` (8759,) datetime64[s], ``sensor_names`` (36,)
  str, ``latitude`` and ``longitude`` (36,) float64.

The files are zip archives of ``.npy`` members, as written by
``np.savez_compressed``, with fixed timestamps so that regenerating them
from unchanged data gives identical bytes. All values are stored as
float64, equal to the numbers of the original files. The files hold no
Python objects (they load with ``allow_pickle=False``).

Usage::

    python maint_tools/make_shipped_datasets.py ../shared/data
"""

import argparse
import io
import sys
import zipfile
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parents[1]
OUTPUT_DIR = REPO_ROOT / "sklearn_dynst" / "datasets" / "data"
MAX_BYTES = 3 * 1024 * 1024


def _readers():
    """Import the readers of the original files from the package source."""
    sys.path.insert(0, str(REPO_ROOT))
    from sklearn_dynst.datasets._loaders import (
        _read_beijing_pm25_folder,
        _read_metr_la_folder,
    )

    return {
        "metr_la": _read_metr_la_folder,
        "beijing_pm25": _read_beijing_pm25_folder,
    }


def _save_npz(path, arrays):
    """Like ``np.savez_compressed`` but byte-for-byte reproducible.

    Every member gets a fixed timestamp, so regenerating unchanged data
    leaves the file unchanged.
    """
    with zipfile.ZipFile(path, mode="w", compression=zipfile.ZIP_DEFLATED) as zf:
        for key, value in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(
                buffer, np.asarray(value), allow_pickle=False
            )
            info = zipfile.ZipInfo(
                f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0)
            )
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buffer.getvalue(), compresslevel=9)


def make_shipped_datasets(data_folder, output_dir=OUTPUT_DIR):
    """Write the shipped ``.npz`` files from the original files.

    Parameters
    ----------
    data_folder : str or path-like
        Folder holding ``metr_la/`` and ``beijing_pm25/``.
    output_dir : str or path-like, default=sklearn_dynst/datasets/data
        Where the ``.npz`` files are written.

    Returns
    -------
    paths : list of pathlib.Path
        The files written.
    """
    data_folder = Path(data_folder)
    output_dir = Path(output_dir)
    if not data_folder.is_dir():
        raise FileNotFoundError(f"Data folder '{data_folder}' does not exist.")
    output_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, read in _readers().items():
        arrays = read(data_folder / name)
        path = output_dir / f"{name}.npz"
        _save_npz(path, arrays)
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise ValueError(
                f"{path} must be at most {MAX_BYTES} bytes, got {size}."
            )
        # the copy must load back without pickle and hold the same numbers
        with np.load(path, allow_pickle=False) as npz:
            for key, value in arrays.items():
                np.testing.assert_array_equal(npz[key], value, err_msg=key)
        shapes = ", ".join(f"{key} {value.shape}" for key, value in arrays.items())
        print(f"wrote {path} ({size} bytes): {shapes}")
        paths.append(path)
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "data_folder", help="folder holding metr_la/ and beijing_pm25/"
    )
    parser.add_argument(
        "--output-dir",
        default=str(OUTPUT_DIR),
        help="where to write the .npz files (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    make_shipped_datasets(args.data_folder, args.output_dir)


if __name__ == "__main__":
    main()
