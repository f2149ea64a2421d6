"""The folder a ``fit`` writes (``runs/<name>/version_N``): checked for space before anything is written, locked
while the run trains, removed again where the run stops before its first batch, and named, with what was kept,
where a disk fails mid-run."""

import os
import shutil
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Optional

import lightning as L
import torch

from gan_manual import files
from gan_manual.console import note
from gan_manual.errors import StorageError
from gan_manual.lock import Lock

#: The folder of the run in progress in this process, for the message of a failing disk.
CURRENT: ContextVar[Optional[Path]] = ContextVar("run_folder", default=None)
#: What a run writes beside its checkpoint (config, logs, sample pictures), at the least.
LOGS = 2**20


def check_space(model: torch.nn.Module, folders: list[Path]) -> None:
    """Raises a StorageError where a folder the run writes to has less space free than its checkpoint needs (the
    weights and buffers three times over: Adam keeps two moments per weight) and LOGS."""
    needed = 3 * sum(t.numel() * t.element_size() for t in model.state_dict().values()) + LOGS
    for folder in dict.fromkeys(folders):
        existing = folder.absolute()
        while not existing.exists():
            existing = existing.parent
        free = shutil.disk_usage(existing).free
        if free < needed:
            raise StorageError(f"{folder}: no space left for the run: it needs about {files.size(needed)} for its "
                               f"checkpoint and logs, and {files.size(free)} are free; nothing was written; free "
                               f"some space, or write the run elsewhere (--trainer.logger.init_args.save_dir)")


class RunFolder(L.Callback):
    """The run's ``folder`` while it trains: locked (:mod:`gan_manual.lock`), so that ``--ckpt_path last`` in
    another process leaves a live run's checkpoint alone; and, where the run made the
    folder (``new``) and stops before its first training batch (a full disk, a bad file found late, Ctrl-C), the
    folder removed: nothing is left of a run that never started. ``say``: say where the run writes as it starts
    training."""

    def __init__(self, folder: Path, new: bool, say: bool = True) -> None:
        self.folder = folder
        self.new = new
        self.existed = next(p for p in folder.absolute().parents if p.exists())  # what stays of the path
        self.say = say
        self.started = False
        self.lock = Lock(folder)

    def on_fit_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.is_global_zero and self.folder.is_dir():  # made in setup, when the config was saved
            self.lock.take()

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if self.say:
            note(f"fit: writes to {self.folder}")

    def on_train_batch_start(self, trainer: L.Trainer, *args: Any) -> None:
        self.started = True

    def on_exception(self, trainer: L.Trainer, pl_module: L.LightningModule, exception: BaseException) -> None:
        self.lock.release()
        if self.new and not self.started and trainer.is_global_zero:
            shutil.rmtree(self.folder, ignore_errors=True)
            for parent in self.folder.absolute().parents:  # runs/<name>, made for it, if nothing else is there
                if parent == self.existed or any(parent.iterdir()):
                    break
                parent.rmdir()

    def teardown(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        self.lock.release()


def disk_failure(error: OSError) -> str:
    """The one line for a disk that failed under a library's writer (TensorBoard's events, say): the folder, why,
    and what the run in progress kept (:func:`kept`)."""
    run = CURRENT.get()
    file = Path(os.fsdecode(error.filename)) if error.filename else None  # TensorBoard's writer names it in bytes
    folder = file.parent if file else run
    what = f"cannot write {file.name} ({files.reason(error)})" if file else files.reason(error)
    return f"{folder or 'the run folder'}: {what}; {kept()}"


def kept() -> str:
    """What the run in progress in this process kept: its last checkpoint and the command that resumes it, or that
    it wrote none."""
    run = CURRENT.get()
    last = run / "checkpoints" / "last.ckpt" if run else None
    if last is None or not last.is_file():
        return "the run wrote no checkpoint"
    config = run / "config.yaml"
    given = f"-c {config}" if config.is_file() else "<the same -c files>"
    return f"its last checkpoint is intact; resume with: python -m gan_manual fit {given} --ckpt_path {last}"
