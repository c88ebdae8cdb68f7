"""A queue drained by one background thread: `run_once` repeatedly, woken early by `wake()` after a commit."""

import logging
import threading


class BackgroundLoop:
    """Base of the outbox and the inbox: subclasses define `run_once`, `THREAD` (its name) and `IDLE` (seconds
    between runs when nobody wakes it)."""

    THREAD = "baton-loop"
    IDLE = 1.0

    def __init__(self, log: logging.Logger):
        self._log = log
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        raise NotImplementedError

    def wake(self) -> None:
        """Tell the background thread there is new work (called after a commit that queued some)."""
        self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=self.THREAD, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.run_once()
            except Exception:  # keep draining whatever one row does
                self._log.exception("%s loop error", self.THREAD.removeprefix("baton-"))
            self._wake.wait(timeout=self.IDLE)
            self._wake.clear()
