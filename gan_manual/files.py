"""Every file the project writes is whole or absent: written to a hidden temporary file beside it, fsynced and
renamed over it (:func:`write`; a group of files, a study's report, all at once or none: :func:`together`).

A write that fails leaves the previous file whole and no temporary file behind. One that fails for want of space
or on a file system that cannot be written is a :class:`~gan_manual.errors.StorageError` naming the folder, what
was kept, and the space (the CLI prints it as one line). The temporary file of a process killed while writing is
removed by :func:`remove_stale`.
"""

import errno
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO, Optional, Union

from gan_manual.errors import StorageError, causes

#: What a file is made of: its bytes, its text (UTF-8), or a function that writes it to a binary file.
Content = Union[bytes, str, Callable[[BinaryIO], None]]
#: The errors of a full disk (or quota) and of a file system that cannot be written.
NO_SPACE = (errno.ENOSPC, errno.EDQUOT)
READ_ONLY = (errno.EROFS, errno.EACCES, errno.EPERM)


def write(path: Path, content: Content, needed: Optional[int] = None, hint: str = "") -> Path:
    """Writes ``content`` to ``path`` whole (see the module's docstring); ``needed``: about how many bytes it
    takes, for the message of a full disk; ``hint``: what to do then, added to it. Returns ``path``."""
    with together(hint) as add:
        add(path, content, needed)
    return Path(path)


@contextmanager
def together(hint: str = "") -> Iterator[Callable[..., Path]]:
    """Yields ``add(path, content, needed=None)``, which writes a file's temporary copy; the files all take their
    places when the block ends, or, if anything in it fails, none does (the previous ones stay whole)."""
    staged: list[tuple[Path, Path]] = []

    def add(path: Path, content: Content, needed: Optional[int] = None) -> Path:
        path = Path(path)
        temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        staged.append((temporary, path))
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(temporary, "wb") as file:
                if callable(content):
                    content(file)
                else:
                    file.write(content.encode() if isinstance(content, str) else content)
                file.flush()
                os.fsync(file.fileno())
        except (OSError, RuntimeError) as error:  # torch's zip writer says "unexpected pos" on a full disk
            raise storage_error(error, path, needed, hint) or error
        return path

    try:
        yield add
        for temporary, path in staged:
            os.replace(temporary, path)
    finally:
        for temporary, _ in staged:
            temporary.unlink(missing_ok=True)
    for folder in dict.fromkeys(path.parent for _, path in staged):
        _sync(folder)


def storage_error(error: BaseException, path: Path, needed: Optional[int] = None,
                  hint: str = "") -> Optional[StorageError]:
    """The one-line StorageError for a failed write of ``path`` where the disk is full or cannot be written (None
    for any other failure): the folder, the space needed (where known) and free, and what was kept."""
    folder = _existing(path.parent)
    code = getattr(error, "errno", None)
    free = shutil.disk_usage(folder).free
    full = code in NO_SPACE or (code is None and needed is not None and free < needed)
    kept = f"the previous {path.name} is intact" if path.is_file() else f"no {path.name} was written"
    hint = f"; {hint}" if hint else ""
    if full:
        space = f"it needs about {size(needed)} and {size(free)} are free" if needed else f"{size(free)} are free"
        return StorageError(f"{path.parent}: no space left to write {path.name} ({space}); {kept}{hint}")
    if code in READ_ONLY:
        return StorageError(f"{path.parent}: cannot write {path.name} ({reason(error)}); {kept}{hint}")
    return None


def disk_error(error: Optional[BaseException]) -> Optional[OSError]:
    """The OSError of a full or unwritable disk behind ``error``, if any (a library's writer raised it)."""
    return next((e for e in causes(error) if isinstance(e, OSError) and e.errno in NO_SPACE + READ_ONLY), None)


def reason(error: OSError) -> str:
    """``no space left`` or why the file system cannot be written, for a message."""
    if error.errno in NO_SPACE:
        return "no space left"
    return "the file system is read-only" if error.errno == errno.EROFS else "permission denied"


def size(n: float) -> str:
    """``n`` bytes for a person: 512 B, 3.2 KiB, 1.5 MiB, 2.0 GiB."""
    if n < 1024:
        return f"{n:.0f} B"
    for unit in ("KiB", "MiB", "GiB"):
        n /= 1024
        if n < 1024 or unit == "GiB":
            break
    return f"{n:.1f} {unit}"


def remove_stale(folder: Path) -> list[Path]:
    """Removes the temporary files under ``folder`` that a process killed while writing left behind (their writer
    is no longer running); returns them."""
    removed = []
    for stale in folder.rglob(".*.tmp-*") if folder.is_dir() else ():
        pid = stale.name.rsplit("-", 1)[-1]
        if pid.isdigit() and int(pid) != os.getpid() and not _running(int(pid)):
            stale.unlink(missing_ok=True)
            removed.append(stale)
    return removed


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _existing(folder: Path) -> Path:
    folder = folder.absolute()
    while not folder.exists():
        folder = folder.parent
    return folder


def _sync(folder: Path) -> None:
    """Makes the renames into ``folder`` durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
