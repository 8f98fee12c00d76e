"""Where python-escpos keeps its capabilities cache (set before escpos is imported).

python-escpos 3.1 reads ESCPOS_CAPABILITIES_PICKLE_DIR once, when ``escpos.capabilities`` is
first imported; without it every process start parses the printer database again into a
fresh ``mkdtemp()`` folder that is never removed (it still creates an empty one either way).
The cache is a pickle that is loaded back, so it must live in a private directory: never
point it at a shared, predictable path such as /tmp/escpos.

The modules of this package import escpos only inside functions, so calling
:func:`configure` early (or :func:`wartemarke.printers.transports.open_transport`, which
calls it) is enough. Importing escpos also runs ``logging.basicConfig()``: configure
logging before the first print job, or pass ``force=True`` to ``basicConfig``.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

PICKLE_DIR_ENV = "ESCPOS_CAPABILITIES_PICKLE_DIR"

log = logging.getLogger(__name__)


def cache_dir(data_dir: str | os.PathLike[str]) -> Path:
    return Path(data_dir) / "cache" / "escpos"


def configure(data_dir: str | os.PathLike[str]) -> Path:
    """Point python-escpos' capabilities cache at ``<data_dir>/cache/escpos`` (mode 0700).

    An ESCPOS_CAPABILITIES_PICKLE_DIR already in the environment (set by the operator or by
    an earlier call) is kept. Returns the cache directory in effect.
    """
    current = os.environ.get(PICKLE_DIR_ENV)
    if current:
        return Path(current)
    if "escpos.capabilities" in sys.modules:
        used = sys.modules["escpos.capabilities"].pickle_dir
        log.warning("python-escpos was imported before configure(); its cache stays in %s", used)
        os.environ[PICKLE_DIR_ENV] = used  # warn once
        return Path(used)
    target = cache_dir(data_dir)
    target.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.environ[PICKLE_DIR_ENV] = str(target)
    return target
