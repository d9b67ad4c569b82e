"""Real spatio-temporal sensor datasets.

METR-LA and Beijing PM2.5 ship with the package. SZ-taxi and ERA5 UK t2m are
read from a data folder given as ``data_home`` or by the
``SKLEARN_DYNST_DATA`` environment variable, see :func:`get_data_home`.
"""

from ._base import get_data_home
from ._loaders import (
    load_beijing_pm25,
    load_era5_uk_t2m,
    load_metr_la,
    load_sz_taxi,
)

__all__ = [
    "get_data_home",
    "load_beijing_pm25",
    "load_era5_uk_t2m",
    "load_metr_la",
    "load_sz_taxi",
]
