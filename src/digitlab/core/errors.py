"""Errors a user can fix, one type per kind, so a caller catches exactly what it handles.

Every stage and the `digitlab` command turn a `UserError` into one line on stderr
and a non-zero exit; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A mistake the user can fix; the message says what is wrong and how to fix it."""


class ConfigError(UserError):
    """A bad, missing or unknown param, or an unreadable params file."""


class DataError(UserError):
    """A dataset or model file that is missing or cannot be read."""


class ImageError(UserError):
    """A file that cannot be read as a picture of a digit."""


class DownloadError(UserError):
    """No download source gave MNIST with the expected checksums."""


class DivergedError(UserError):
    """Training stopped because the loss became NaN or infinite."""
