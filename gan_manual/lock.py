"""Which runs and studies are alive: an exclusive ``flock`` on a file of theirs, held while their process runs. The
kernel drops it when the process ends, however it ends, so a killed run or study leaves no stale lock behind."""

import fcntl
import os
from pathlib import Path
from typing import Optional


class Lock:
    """An exclusive lock on ``path``, a folder or a file (made if missing), taken by :meth:`take` and given up by
    :meth:`release` or by the end of the process."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._descriptor: Optional[int] = None

    def take(self) -> bool:
        """Takes the lock if no other holder has it; returns whether this one holds it now."""
        if self._descriptor is not None:
            return True
        descriptor = os.open(self.path, os.O_RDONLY | (0 if self.path.is_dir() else os.O_CREAT), 0o644)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            return False
        self._descriptor = descriptor
        return True

    def release(self) -> None:
        if self._descriptor is not None:
            os.close(self._descriptor)  # closing the descriptor drops its lock
            self._descriptor = None


def held(path: Path) -> bool:
    """Whether a live holder (another process, or another :class:`Lock` of this one) has ``path`` locked."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(descriptor, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(descriptor)
