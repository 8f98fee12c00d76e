"""The results table every bench script ends with."""

from __future__ import annotations

import datetime
import os
import platform


def print_table(rows: list[tuple[str, str, str]], now: datetime.datetime) -> None:
    """Figure, value and remark in aligned columns, under the date and the machine."""
    width = max(len(name) for name, _, _ in rows)
    value_width = max(len(value) for _, value, _ in rows)
    print(f"\nResults ({now:%Y-%m-%d}, {os.cpu_count()} CPUs, Python {platform.python_version()})")
    print(f"{'figure':<{width}}  {'value':<{value_width}}  remark")
    print(f"{'-' * width}  {'-' * value_width}  {'-' * 6}")
    for name, value, remark in rows:
        print(f"{name:<{width}}  {value:<{value_width}}  {remark}")
