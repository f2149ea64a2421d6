"""Checkpoint files that are either the old one or the new one, never half of the new one."""

from pathlib import Path
from typing import Any, Optional

import torch
from fsspec.implementations.local import LocalFileSystem
from lightning.fabric.utilities.cloud_io import get_filesystem
from lightning.pytorch.plugins.io import TorchCheckpointIO

from gan_manual import files


class AtomicCheckpointIO(TorchCheckpointIO):
    """Writes ``path`` by way of a temporary file in the same folder, fsync and ``os.replace``
    (:func:`gan_manual.files.write`).

    Lightning's own writer moves a temporary file from the system's temp folder, which is a copy (and so a
    truncation window) when that folder is on another file system, and it does not fsync. A kill (SIGKILL,
    power loss after the fsync) at any moment leaves the previous ``last.ckpt`` whole. A write that fails for want
    of space is a StorageError naming the folder and the space needed; the previous file stays whole and the
    temporary file is removed. Remote paths (s3://...) go to Lightning's writer.
    """

    def save_checkpoint(self, checkpoint: dict[str, Any], path: Any, storage_options: Optional[Any] = None) -> None:
        if storage_options is not None or not isinstance(get_filesystem(path), LocalFileSystem):
            return super().save_checkpoint(checkpoint, path, storage_options)
        path = Path(path)
        resume = f"resume with --ckpt_path {path}; " if path.is_file() else ""
        files.write(path, lambda file: torch.save(checkpoint, file), needed=_size(checkpoint),
                    hint=f"{resume}free some space, or write the run elsewhere (--trainer.logger.init_args.save_dir)")
        files.remove_stale(path.parent)


def _size(checkpoint: Any) -> int:
    """The bytes of the tensors in ``checkpoint``: what its file needs, but for a little pickled structure."""
    if isinstance(checkpoint, torch.Tensor):
        return checkpoint.numel() * checkpoint.element_size()
    if isinstance(checkpoint, dict):
        return sum(_size(v) for v in checkpoint.values())
    if isinstance(checkpoint, (list, tuple)):
        return sum(_size(v) for v in checkpoint)
    return 0
