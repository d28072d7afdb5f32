"""Progress of long work for someone watching a terminal: how much is done, the rate and the time left.

Written to stderr, rewriting one line, and only when stderr is a terminal: a log, a pipe or CI gets the
results alone.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """`with Progress("generate", total, "customers") as progress: ... progress.advance(n)`."""

    def __init__(self, label: str, total: int, unit: str, stream: TextIO | None = None):
        self.label = label
        self.total = total
        self.unit = unit
        self.stream = sys.stderr if stream is None else stream

    def __enter__(self) -> Progress:
        self.done_ = 0
        self.started_ = time.perf_counter()
        self.shown_ = self.stream.isatty()
        return self

    def advance(self, amount: int) -> None:
        self.done_ += amount
        if not self.shown_:
            return
        seconds = time.perf_counter() - self.started_
        rate = self.done_ / seconds if seconds > 0 else 0.0
        line = f"{self.label}: {self.done_:,} / {self.total:,} {self.unit} ({self.done_ / max(self.total, 1):.0%})"
        if rate > 0:
            line += f", {rate:,.0f} {self.unit}/s, {_duration((self.total - self.done_) / rate)} left"
        self.stream.write(f"\r{line}\033[K")  # \033[K: clear what a longer earlier line left
        self.stream.flush()

    def __exit__(self, *exc_info) -> None:
        if self.shown_:
            self.stream.write("\n")
            self.stream.flush()


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(round(seconds), 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"
