"""python-escpos' printer database cache lives in the data dir, private to the server."""

from __future__ import annotations

import os
import stat
import subprocess
import sys

from wartemarke.printers.escpos_env import PICKLE_DIR_ENV, cache_dir


def test_the_capabilities_cache_is_kept_in_the_data_dir(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != PICKLE_DIR_ENV}  # as on a real laptop
    code = (
        "import sys\n"
        "from wartemarke.printers.escpos_env import configure\n"
        "configure(sys.argv[1])\n"
        "import escpos.capabilities as c\n"
        "print(c.pickle_path)\n"
    )
    run = [sys.executable, "-c", code, str(tmp_path)]
    first = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    pickle_path = first.stdout.strip()
    cache = cache_dir(tmp_path)
    assert os.path.dirname(pickle_path) == str(cache)
    assert os.path.getsize(pickle_path) > 10_000  # the parsed database, not an empty file
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    built = os.path.getmtime(pickle_path)
    second = subprocess.run(run, env=env, capture_output=True, text=True, check=True)
    assert second.stdout.strip() == pickle_path
    assert os.path.getmtime(pickle_path) == built  # read back, not parsed and written again
