"""The bounded wait itself: a line that never comes fails the test in seconds, not never."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from tests.waiting import read_line


def test_a_line_that_never_comes_fails_within_the_bound() -> None:
    """A child that prints nothing makes read_line fail after its bound, naming the wait."""
    child = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)"], stdout=subprocess.PIPE, text=True
    )
    start = time.monotonic()
    try:
        assert child.stdout is not None
        with pytest.raises(pytest.fail.Exception, match=r"waited 0\.5 s for the greeting"):
            read_line(child.stdout, 0.5, "the greeting")
    finally:
        child.kill()
        child.communicate(timeout=10)
    assert time.monotonic() - start < 5


def test_a_line_that_comes_is_returned() -> None:
    """A line printed in time is returned whole, newline included."""
    child = subprocess.Popen(
        [sys.executable, "-c", "print('hi')"], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert read_line(child.stdout, 20, "hi") == "hi\n"
    child.communicate(timeout=10)
