"""The runtime's console: whole lines, never interleaved, flushed at once (scripts read them)."""

from __future__ import annotations

import sys
import threading
from typing import TextIO


class Console:
    """Prints lines from any thread without interleaving them, flushing after each one."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream
        self._lock = threading.Lock()

    def line(self, text: str) -> None:
        """Print one line and flush, so a reader of a pipe sees it immediately."""
        stream = self._stream or sys.stdout
        with self._lock:
            stream.write(text + "\n")
            stream.flush()
