"""What a user reads on the terminal, and the check made before anything is written.

Mistakes a user can fix are one line, ``error: <key or file>: <what is wrong and what is allowed>``, and exit
code 2; notes (what resumes from where, what the CLI changed) are lines on stderr from the first process only.
"""

import logging
import os
import sys
import warnings
from functools import cache
from pathlib import Path
from typing import NoReturn

from lightning.pytorch.utilities import rank_zero_only

from gan_manual.errors import ConfigError


#: What libraries print on every run that a user of this project cannot act on (regular expressions).
SILENCED_WARNINGS = (
    r"`isinstance\(treespec, LeafSpec\)` is deprecated",  # Lightning's use of a torch API it has not caught up with
    r"Metric `.*` will save all extracted features in buffer",  # torchmetrics, of the scores `sample --score` asks for
)
SILENCED_LINES = ("💡 Tip:",)  # Lightning's advertisement of its cloud logger


@cache
def quiet() -> None:
    """Silences :data:`SILENCED_WARNINGS` and Lightning's lines starting with :data:`SILENCED_LINES`, once."""
    for message in SILENCED_WARNINGS:
        warnings.filterwarnings("ignore", message=message)
    logging.getLogger("lightning.pytorch.utilities.rank_zero").addFilter(
        lambda record: not str(record.getMessage()).startswith(SILENCED_LINES))


def note(message: str) -> None:
    """A line on stderr, from the first process only."""
    if rank_zero_only.rank == 0:
        sys.stderr.write(f"{message}\n")


def fail(message: str, code: int = 2) -> NoReturn:
    """Ends the program with ``error: message`` on stderr and exit code ``code``."""
    sys.stderr.write(f"error: {message}\n")
    sys.exit(code)


def check_writable(key: str, folder: Path) -> None:
    """Raises a ConfigError naming ``key`` if ``folder`` cannot be created or written to."""
    existing = folder.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise ConfigError(f"{key}: cannot write to {folder}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{key}: cannot write to {folder}: {existing} is not writable")
