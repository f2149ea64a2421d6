"""The one exception type for mistakes a user can fix by changing the config or the command line, and what the
places that raise or recognise it share."""

from collections.abc import Callable, Iterator
from typing import Any, Optional


class ConfigError(ValueError):
    """Raised by components for bad input; the CLI prints its message as one line and exits with code 2.

    The message names the config key (e.g. ``data.root``) and what is allowed.
    """


class DivergenceError(RuntimeError):
    """A non-finite loss or gradient, or a checkpoint of networks that give non-finite output (raised by
    :class:`gan_manual.callbacks.DivergenceGuard`); the CLI prints the message as one line and exits with code 1."""


class StorageError(RuntimeError):
    """A file the run must write could not be written (a full disk); the CLI prints the message as one line and
    exits with code 1. The message names the folder and says what was kept."""


class Interrupted(Exception):
    """A run stopped by SIGINT (Ctrl-C) or SIGTERM (a scheduler's notice); the CLI prints the message (what was
    saved, the command that resumes it) as one line and exits with the shell's code for the signal, 128 + its
    number: 130 for SIGINT, 143 for SIGTERM."""

    def __init__(self, message: str, signum: int) -> None:
        super().__init__(message)
        self.exit_code = 128 + signum


def class_path(obj: Any) -> str:
    """The import path of ``obj``'s class (``gan_manual.nets.mlp.MLPGenerator``): how a message names a component
    the config chose."""
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def causes(error: Optional[BaseException]) -> Iterator[BaseException]:
    """``error`` and the exceptions behind it (``__cause__``, else ``__context__``), each once: jsonargparse and
    Lightning wrap what a component raises."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def require_data_shape(datamodule: Any, fits: Callable[[tuple], bool], what: str, hint: str = "") -> None:
    """Raises ``trainer.callbacks: <what>; <datamodule> serves samples of shape <shape><hint>`` unless the
    datamodule's ``data_shape`` ``fits``: a callback or metric saying, before a run, that it cannot use the data."""
    shape = tuple(getattr(datamodule, "data_shape", ()))
    if not fits(shape):
        raise ConfigError(f"trainer.callbacks: {what}; {type(datamodule).__name__} serves samples of shape {shape}"
                          f"{hint}")
