"""A one-line progress bar for a terminal; silent when the output is not a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class ProgressBar:
    WIDTH = 30

    def __init__(self, total_bytes: int, stream: TextIO | None = None):
        self.total = max(total_bytes, 1)
        self.stream = stream or sys.stderr
        self.enabled = bool(getattr(self.stream, "isatty", lambda: False)())
        self.started = time.monotonic()

    def __call__(self, done_bytes: int) -> None:
        if not self.enabled:
            return
        share = min(done_bytes / self.total, 1.0)
        filled = int(share * self.WIDTH)
        elapsed = time.monotonic() - self.started
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {share:4.0%} {elapsed:6.1f}s"
        )
        self.stream.flush()

    def done(self) -> None:
        if self.enabled:
            self(self.total)
            self.stream.write("\n")
            self.stream.flush()
