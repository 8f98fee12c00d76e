from wartemarke.throttle import DeviceThrottle


def test_burst_then_one_per_interval():
    t = DeviceThrottle(burst=3, interval=5, max_delay=3)
    assert [t.wait_for("k", now=0) for _ in range(3)] == [0, 0, 0]
    assert t.wait_for("k", now=0) == 5  # would need 5 s: refused, nothing taken
    assert t.wait_for("k", now=2) == 3  # 3 s: held back, token reserved
    assert t.wait_for("k", now=5) > 3  # the reserved token is gone
    assert t.wait_for("k", now=12) == 0
    assert t.wait_for("other", now=0) == 0  # devices are independent
