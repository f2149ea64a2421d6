"""Checkpoint files that are either the old one or the new one, never half of the new one."""

import errno
import os
import shutil
from pathlib import Path
from typing import Any, Optional

import torch
from fsspec.implementations.local import LocalFileSystem
from lightning.fabric.utilities.cloud_io import get_filesystem
from lightning.pytorch.plugins.io import TorchCheckpointIO

from gan_manual.errors import StorageError


class AtomicCheckpointIO(TorchCheckpointIO):
    """Writes ``path`` by way of a temporary file in the same folder, fsync and ``os.replace``.

    Lightning's own writer moves a temporary file from the system's temp folder, which is a copy (and so a
    truncation window) when that folder is on another file system, and it does not fsync. A kill (SIGKILL,
    power loss after the fsync) at any moment leaves the previous ``last.ckpt`` whole. A write that fails for want
    of space is a :class:`StorageError` naming the folder and the space needed; the previous file stays whole
    and the temporary file is removed. Remote paths (s3://...) go to Lightning's writer.
    """

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Optional[Any] = None) -> None:
        if storage_options is not None or not isinstance(get_filesystem(path), LocalFileSystem):
            return super().save_checkpoint(checkpoint, path, storage_options)
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        try:
            with open(temporary, "wb") as file:
                torch.save(checkpoint, file)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, path)
        except (OSError, RuntimeError) as error:
            temporary.unlink(missing_ok=True)
            needed, free = _size(checkpoint), shutil.disk_usage(path.parent).free
            # torch's zip writer reports ENOSPC as a RuntimeError ("unexpected pos"): the free space tells.
            if getattr(error, "errno", None) != errno.ENOSPC and free >= needed:
                raise
            kept = (f"the previous {path.name} is intact (resume with --ckpt_path {path})" if path.is_file()
                    else f"no {path.name} was written before")
            raise StorageError(
                f"{path.parent}: no space left to write {path.name}: it needs about {needed / 2**20:.1f} MiB and "
                f"{free / 2**20:.1f} MiB are free; {kept}; free some space, or write the run elsewhere "
                f"(--trainer.logger.init_args.save_dir)"
            ) from error
        finally:
            temporary.unlink(missing_ok=True)
        folder = os.open(path.parent, os.O_RDONLY)  # make the rename itself durable
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
        remove_stale(path.parent)


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


def _size(checkpoint: Any) -> int:
    """The bytes of the tensors in ``checkpoint``: what its file needs, but for a little pickled structure."""
    if isinstance(checkpoint, torch.Tensor):
        return checkpoint.numel() * checkpoint.element_size()
    if isinstance(checkpoint, dict):
        return sum(_size(v) for v in checkpoint.values())
    if isinstance(checkpoint, (list, tuple)):
        return sum(_size(v) for v in checkpoint)
    return 0
