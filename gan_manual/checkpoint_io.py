"""Checkpoint files that are either the old one or the new one, never half of the new one."""

import os
from pathlib import Path
from typing import Any, Optional

import torch
from fsspec.implementations.local import LocalFileSystem
from lightning.fabric.utilities.cloud_io import get_filesystem
from lightning.pytorch.plugins.io import TorchCheckpointIO


class AtomicCheckpointIO(TorchCheckpointIO):
    """Writes ``path`` by way of a temporary file in the same folder, fsync and ``os.replace``.

    Lightning's own writer moves a temporary file from the system's temp folder, which is a copy (and so a
    truncation window) when that folder is on another file system, and it does not fsync. A kill (SIGKILL,
    power loss after the fsync) at any moment leaves the previous ``last.ckpt`` whole. Remote paths (s3://...)
    go to Lightning's writer.
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
        finally:
            temporary.unlink(missing_ok=True)
        folder = os.open(path.parent, os.O_RDONLY)  # make the rename itself durable
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
        for stale in path.parent.glob(f".{path.name}.tmp-*"):  # left by a process killed while writing
            stale.unlink(missing_ok=True)
