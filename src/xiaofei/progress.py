"""Progress of long command-line work (imports, rebuilds, the demo): done out of total, rate and ETA.

On a terminal one line is redrawn in place (at most every ``every`` seconds); anywhere else (a log file, CI) only
the final line is written, so logs stay short."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TextIO


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    minutes, s = divmod(seconds, 60)
    hours, m = divmod(minutes, 60)
    return f"{hours}h{m:02d}m" if hours else f"{m}m{s:02d}s" if m else f"{s}s"


class Progress:
    """``update(done, total)`` as work goes on, ``finish()`` once at the end (always prints its line)."""

    def __init__(self, label: str, *, unit: str, stream: TextIO | None = None,
                 clock: Callable[[], float] = time.monotonic, every: float = 0.5, live: bool | None = None,
                 start: int = 0, total: int | None = None) -> None:
        self.label = label
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        self.clock = clock
        self.every = every
        self.live = self._isatty() if live is None else live
        self.started = clock()
        self.start = start  # done before this run began (a catch-up starts at its position): not in the rate
        self.done = start
        self.total = total
        self._drawn_at: float | None = None
        self._width = 0

    def _isatty(self) -> bool:
        try:
            return bool(self.stream.isatty())
        except (AttributeError, ValueError):
            return False

    def rate(self) -> float:
        """Units per second since the first update (work done before this run started does not count)."""
        elapsed = self.clock() - self.started
        done = self.done - self.start
        return done / elapsed if elapsed > 0 else 0.0

    def line(self) -> str:
        rate = self.rate()
        if self.total:
            pct = min(100, self.done * 100 // self.total)
            text = f"{self.label}: {self.done:,}/{self.total:,} {self.unit} ({pct}%), {rate:,.0f} {self.unit}/s"
            if rate > 0 and self.done < self.total:
                text += f", ETA {_duration((self.total - self.done) / rate)}"
            return text
        return f"{self.label}: {self.done:,} {self.unit}, {rate:,.0f} {self.unit}/s"

    def update(self, done: int, total: int | None = None) -> None:
        self.done = done
        if total is not None:
            self.total = total
        if not self.live:
            return
        now = self.clock()
        if self._drawn_at is not None and now - self._drawn_at < self.every:
            return
        self._drawn_at = now
        self._draw(self.line())

    def _draw(self, text: str) -> None:
        pad = " " * max(0, self._width - len(text))
        self._width = len(text)
        self.stream.write(f"\r{text}{pad}")
        self.stream.flush()

    def finish(self, note: str = "") -> None:
        elapsed = self.clock() - self.started
        done = self.done - self.start
        rate = done / elapsed if elapsed > 0 else 0.0
        text = f"{self.label}: {done:,} {self.unit} in {elapsed:.1f} s ({rate:,.0f} {self.unit}/s){note}"
        if self.live and self._width:
            self._draw(text)
            self.stream.write("\n")
        else:
            self.stream.write(text + "\n")
        self.stream.flush()
