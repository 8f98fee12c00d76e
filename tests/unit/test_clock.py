"""The server's clock: real time, a clock started at a chosen moment, and a frozen clock read
from a file that a test moves by rewriting it."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from wartemarke.cli import build_parser, load_settings
from wartemarke.clock import (
    RACY_NS,
    Clock,
    ClockFile,
    ClockFileError,
    parse_clock_text,
    write_clock_file,
)
from wartemarke.config import ConfigError, parse_clock_file

CEST = timezone(timedelta(hours=2))
MORNING = datetime(2026, 3, 30, 9, 15, tzinfo=CEST)


def age(path, seconds: float = 60) -> None:
    """Back-date the file, as if it had been written a while ago (no longer 'racy')."""
    past = time.time_ns() - int(seconds * 1e9)
    os.utime(path, ns=(past, past))


def test_real_time_and_a_clock_started_at_a_moment():
    real = Clock()
    assert abs(real.now() - datetime.now(UTC)) < timedelta(seconds=1)
    assert real.now().tzinfo is not None and real.file is None
    started = Clock("Europe/Berlin", start=MORNING)
    first = started.now()
    assert abs(first - MORNING) < timedelta(seconds=1)
    time.sleep(0.01)
    assert started.now() > first  # it runs on
    assert started.day() == "2026-03-30" and started.local().utcoffset() == timedelta(hours=2)


def test_the_clock_file_is_a_frozen_clock_a_test_moves(tmp_path):
    path = tmp_path / "clock"
    write_clock_file(path, MORNING)
    assert path.read_text() == "2026-03-30T09:15:00+02:00\n"
    clock = Clock("Europe/Berlin", file=path)
    assert clock.now() == datetime(2026, 3, 30, 7, 15, tzinfo=UTC)
    assert clock.now().tzinfo is UTC
    assert clock.local().isoformat() == "2026-03-30T09:15:00+02:00"
    time.sleep(0.02)
    assert clock.now() == MORNING  # frozen
    # Quick rewrites of the same length, each seen at once: the file system's coarse
    # timestamps and a reused inode must not hide a step.
    for minute in range(1, 200):
        at = MORNING + timedelta(minutes=minute)
        write_clock_file(path, at)
        assert clock.now() == at, minute
    # Any zone in the file; backwards is allowed too (a rehearsal starts over).
    write_clock_file(path, datetime(2026, 3, 30, 23, 30, tzinfo=UTC))
    assert clock.day() == "2026-03-31" and clock.local().hour == 1
    write_clock_file(path, MORNING)
    assert clock.now() == MORNING and clock.day() == "2026-03-30"
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was renamed


def test_a_missing_or_half_written_file_keeps_the_last_good_time(tmp_path, caplog):
    path = tmp_path / "clock"
    write_clock_file(path, MORNING)
    clock = Clock(file=path)
    path.unlink()
    assert clock.now() == MORNING
    for broken in ("", "2026-03-30T09:", "2026-03-30T09:20:00", "tomorrow", "\xff", "9" * 300):
        path.write_text(broken, encoding="utf-8")  # not atomic: a reader may see anything
        assert clock.now() == MORNING, broken
    # A broken file that stays broken is logged once.
    age(path)
    with caplog.at_level("WARNING", logger="wartemarke.clock"):
        for _ in range(5):
            assert clock.now() == MORNING
    assert len([r for r in caplog.records if "clock file" in r.getMessage()]) == 1
    write_clock_file(path, MORNING + timedelta(hours=1))
    assert clock.now() == MORNING + timedelta(hours=1)


def test_the_file_is_read_again_only_when_it_changed(tmp_path):
    path = tmp_path / "clock"
    write_clock_file(path, MORNING)
    age(path)
    clock = Clock(file=path)
    assert clock.file.reads == 1
    for _ in range(1000):
        assert clock.now() == MORNING
    assert clock.file.reads == 1  # one stat per call, no read
    write_clock_file(path, MORNING + timedelta(minutes=5))
    assert clock.now() == MORNING + timedelta(minutes=5)
    assert clock.file.reads == 2
    # Just written: its timestamp could repeat within the file system's granularity, so it is
    # read again for a moment (RACY_NS), then no more.
    age(path, seconds=2 * RACY_NS / 1e9)
    assert clock.now() == MORNING + timedelta(minutes=5)
    reads = clock.file.reads
    for _ in range(1000):
        clock.now()
    assert clock.file.reads == reads


def test_a_clock_file_must_hold_a_time_with_zone_at_start(tmp_path):
    path = tmp_path / "clock"
    with pytest.raises(ClockFileError, match="cannot read"):
        ClockFile(path)
    path.write_text("2026-03-30T09:15:00")  # no zone
    with pytest.raises(ClockFileError, match="with zone"):
        ClockFile(path)
    with pytest.raises(ConfigError, match="WARTEMARKE_CLOCK_FILE"):
        parse_clock_file(str(path))
    path.write_text(" 2026-03-30T07:15:00Z \n")
    assert parse_clock_file(str(path)) == path
    assert ClockFile(path).now() == MORNING
    assert parse_clock_text("2026-03-30T09:15:00.250+02:00").microsecond == 250000
    with pytest.raises(ValueError):
        Clock(start=MORNING, file=path)
    with pytest.raises(ValueError):
        write_clock_file(path, datetime(2026, 3, 30, 9, 15))


def test_settings_take_the_clock_from_the_environment(tmp_path, monkeypatch):
    path = tmp_path / "clock"
    write_clock_file(path, MORNING)
    args = build_parser().parse_args(["user", "list", "--data-dir", str(tmp_path / "data")])
    monkeypatch.delenv("WARTEMARKE_CLOCK_START", raising=False)
    monkeypatch.setenv("WARTEMARKE_CLOCK_FILE", str(path))
    settings = load_settings(args)
    assert settings.clock_file == path and settings.clock_start is None
    monkeypatch.setenv("WARTEMARKE_CLOCK_START", "2026-03-30T08:55:00+02:00")
    with pytest.raises(ConfigError, match="exclude each other"):
        load_settings(args)
    monkeypatch.delenv("WARTEMARKE_CLOCK_FILE")
    settings = load_settings(args)
    assert settings.clock_file is None and settings.clock_start == MORNING - timedelta(minutes=20)
    monkeypatch.delenv("WARTEMARKE_CLOCK_START")
    monkeypatch.setenv("WARTEMARKE_CLOCK_FILE", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="WARTEMARKE_CLOCK_FILE"):
        load_settings(args)
