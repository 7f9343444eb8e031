"""The progress reporter, with a fake clock and stream."""

from __future__ import annotations

import io

from xiaofei.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _last(out: io.StringIO) -> str:
    """What a terminal shows on the last line: the text after the last carriage return, padding dropped."""
    return out.getvalue().rstrip("\n").split("\r")[-1].rstrip()


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_done_total_rate_and_eta_redrawn_in_place() -> None:
    clock, out = Clock(), Terminal()
    bar = Progress("importing", unit="households", stream=out, clock=clock, total=1000)
    clock.now += 2
    bar.update(200)
    assert out.getvalue() == "\rimporting: 200/1,000 households (20%), 100 households/s, ETA 8s"
    clock.now += 0.1
    bar.update(250)  # drawn at most every 0.5 s
    assert out.getvalue().count("\r") == 1
    clock.now += 5.9
    bar.update(800)
    assert out.getvalue().endswith("\rimporting: 800/1,000 households (80%), 100 households/s, ETA 2s")
    clock.now += 2
    bar.update(1000)
    bar.finish(", 3 unchanged")
    assert out.getvalue().endswith("\n") and _last(out) == (
        "importing: 1,000 households in 10.0 s (100 households/s), 3 unchanged")


def test_elsewhere_only_the_final_line_is_written() -> None:
    clock, out = Clock(), io.StringIO()
    bar = Progress("rebuilding employment", unit="events", stream=out, clock=clock, start=0, total=5000)
    for done in range(1000, 5001, 1000):
        clock.now += 1
        bar.update(done, 5000)
    assert out.getvalue() == ""
    bar.finish()
    assert out.getvalue() == "rebuilding employment: 5,000 events in 5.0 s (1,000 events/s)\n"


def test_work_done_before_the_run_is_not_counted_in_the_rate_and_eta() -> None:
    clock, out = Clock(), Terminal()
    bar = Progress("projecting registry", unit="events", stream=out, clock=clock, start=9000, total=10_000)
    clock.now += 1
    bar.update(9500)
    assert "9,500/10,000 events (95%), 500 events/s, ETA 1s" in out.getvalue()
    clock.now += 1
    bar.update(10_000)
    bar.finish()
    assert _last(out) == "projecting registry: 1,000 events in 2.0 s (500 events/s)"


def test_a_longer_line_is_cleared_by_the_next_shorter_one_and_no_total_shows_a_count() -> None:
    clock, out = Clock(), Terminal()
    bar = Progress("x", unit="rows", stream=out, clock=clock)
    clock.now += 1
    bar.update(123456)
    clock.now += 1
    bar.update(7)
    first, second = out.getvalue().split("\r")[1:]
    assert first == "x: 123,456 rows, 123,456 rows/s" and len(second) == len(first) and second.startswith("x: 7 rows")


def test_eta_in_minutes_and_hours() -> None:
    clock, out = Clock(), Terminal()
    bar = Progress("x", unit="events", stream=out, clock=clock, total=1_000_000)
    clock.now += 10
    bar.update(1000)
    assert out.getvalue().endswith("ETA 2h46m")
