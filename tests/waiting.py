"""Bounded waits: a test that waits for a server's line fails in seconds, saying what for."""

from __future__ import annotations

import queue
import threading
from typing import IO

import pytest


def read_line(stream: IO[str], seconds: float, what: str) -> str:
    """The next line of a child's pipe, or a test failure after `seconds` naming `what`."""
    lines: queue.Queue[str] = queue.Queue()
    # A daemon thread: a readline that never returns must not keep the test run alive.
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    try:
        return lines.get(timeout=seconds)
    except queue.Empty:
        pytest.fail(f"waited {seconds:g} s for {what}; no line came")
