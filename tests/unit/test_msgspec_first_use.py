"""msgspec must never be first used on a type by several threads at once (it crashed the server: issue 7 §0).

Each case runs in a subprocess, because the failure is a segmentation fault of the whole interpreter. With
msgspec 0.22.0 the cold reproduction below crashed 30 of 30 runs and the warmed one 0 of 30.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

RUNS = 8

FRESH_TYPES = textwrap.dedent("""
    import datetime, decimal, sys, threading, uuid
    import msgspec
    from xiaofei.persistence import warm_types
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, as a loaded server does
    inner = [msgspec.defstruct(f"I{i}", [("x", int), ("y", str | None)], kw_only=True, frozen=True)
             for i in range(300)]
    types = [msgspec.defstruct(f"T{i}", [("a", int), ("c", uuid.UUID), ("d", datetime.date),
                                         ("e", decimal.Decimal), ("f", list[inner[i]]),
                                         ("u", datetime.datetime)], kw_only=True) for i in range(300)]
    warm_types(types)
    sample = {"a": 1, "c": str(uuid.uuid4()), "d": "2024-01-01", "e": "1.5", "f": [{"x": 1, "y": None}],
              "u": "2024-01-01T00:00:00Z"}
    start = threading.Barrier(4)
    def work():
        start.wait()
        for t in types:
            msgspec.convert(sample, t)
    threads = [threading.Thread(target=work) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
""")

EVENT_TYPES = textwrap.dedent("""
    import sys, threading
    import msgspec
    from xiaofei.catalogue import event_classes
    from xiaofei.persistence import event_state_type, prepare_event_types
    sys.setswitchinterval(1e-6)
    classes = event_classes()
    prepare_event_types(classes)  # what bootstrap.build does before any thread starts
    start = threading.Barrier(4)
    def work():
        start.wait()
        for cls in classes:
            try:
                msgspec.convert({}, event_state_type(cls))
            except msgspec.ValidationError:
                pass
    threads = [threading.Thread(target=work) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
""")


def _runs(script: str) -> list[int]:
    return [subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120).returncode
            for _ in range(RUNS)]


def test_fresh_types_warmed_on_one_thread_survive_concurrent_first_use() -> None:
    assert _runs(FRESH_TYPES) == [0] * RUNS  # a segfault shows as -11


def test_every_event_state_type_is_ready_before_threads_decode() -> None:
    assert _runs(EVENT_TYPES) == [0] * RUNS


def test_the_service_prepares_event_types_before_building_anything() -> None:
    import inspect

    from xiaofei import bootstrap

    source = inspect.getsource(bootstrap.build)
    assert source.index("prepare_event_types(") < source.index("open_database(")
