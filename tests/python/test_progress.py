"""Progress lines: shown on a terminal, with rate and time left; nothing on a pipe or in a log."""

from __future__ import annotations

import io

from customer_scoring.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_sees_done_total_rate_and_time_left():
    stream = Terminal()
    with Progress("generate", 200, "customers", stream) as progress:
        progress.advance(50)
        progress.advance(50)
    lines = stream.getvalue().split("\r")
    assert lines[-1].startswith("generate: 100 / 200 customers (50%), ")
    assert "customers/s" in lines[-1] and " left" in lines[-1]
    assert stream.getvalue().endswith("\n")


def test_a_pipe_or_a_log_sees_nothing():
    stream = io.StringIO()
    with Progress("import", 10, "rows", stream) as progress:
        progress.advance(10)
    assert stream.getvalue() == ""
