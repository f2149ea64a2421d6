"""Every use of a private name of Lightning, torch, torchvision or jsonargparse, in this one file.

Each entry turns a private hook into a public one that the project's classes implement, or wraps a private
helper in a function named for what it does. They hold for the versions setup.cfg admits (lightning<2.7,
torch<2.15, torchvision<0.30, jsonargparse<4.54); ``tests/test_private_api.py`` checks each against the installed
versions, and ``tests/test_structure.py`` that no other module touches a private name of theirs. Raising a pin
means checking this file.
"""

from typing import Any, Callable, Optional

import torch
from jsonargparse import set_loader
from jsonargparse._loaders_dumpers import get_loader_exceptions
from jsonargparse._optionals import get_omegaconf_loader
from lightning.pytorch import callbacks, cli
from torch import Tensor
from torchvision import datasets


class HookedLightningCLI(cli.LightningCLI):
    """Lightning's CLI with two of its private steps open to subclasses:

    * :meth:`parse_ckpt_path` replaces ``_parse_ckpt_path``, which Lightning calls once the arguments are parsed
      (its own reads ``ckpt_path`` and overwrites the model's config with the checkpoint's);
    * :meth:`after_dump_config` sees the config that ``_dump_config`` made for the hyperparameters and the saved
      ``config.yaml``, once, right after it is made.
    """

    def _parse_ckpt_path(self) -> None:
        self.parse_ckpt_path()

    def parse_ckpt_path(self) -> None:
        """Lightning's own, unless a subclass says otherwise."""
        super()._parse_ckpt_path()

    def _dump_config(self) -> None:
        fresh = not hasattr(self, "config_dump")
        super()._dump_config()
        if fresh:
            self.after_dump_config(self.config_dump)

    def after_dump_config(self, dump: dict[str, Any]) -> None:
        """Changes ``dump`` in place (the subcommand's part of the dumped config); nothing by default."""


class HookedModelCheckpoint(callbacks.ModelCheckpoint):
    """Lightning's ModelCheckpoint with the helpers a subclass needs to write ``last.ckpt`` at moments of its own
    choosing."""

    def saves_on_train_epoch_end(self, trainer: Any) -> bool:
        """Whether this callback saves at the end of a training epoch (else after validation)."""
        return self._should_save_on_train_epoch_end(trainer)

    def save_last_now(self, trainer: Any) -> bool:
        """Writes ``last.ckpt`` of this moment unless this step was saved already (a second save at the same step
        is skipped); returns whether it wrote."""
        if self._should_skip_saving_checkpoint(trainer):
            return False
        self._save_last_checkpoint(trainer, self._monitor_candidates(trainer))
        return True


class HookedLearningRateMonitor(callbacks.LearningRateMonitor):
    """Lightning's LearningRateMonitor whose subclasses rename the logged rates in :meth:`rename`."""

    def _find_names_from_optimizers(self, optimizers: list[Any], *args: Any, **kwargs: Any) -> tuple[list, list]:
        names, without_scheduler = super()._find_names_from_optimizers(optimizers, *args, **kwargs)
        return self.rename(names, without_scheduler, optimizers), without_scheduler

    def rename(self, names: list[list[str]], without_scheduler: list[Any], optimizers: list[Any]) -> list[list[str]]:
        """The names (one list per optimizer without a scheduler, one per param group) to log the rates of the
        optimizers ``without_scheduler`` under; ``optimizers`` are the trainer's. Lightning's by default."""
        return names


class UnverifiedCIFAR10(datasets.CIFAR10):
    """torchvision's CIFAR-10 reader without its MD5 checks, for copies rebuilt in the same layout; it does not
    read the class names either, which nothing here uses."""

    def _check_integrity(self) -> bool:
        return True

    def _load_meta(self) -> None:
        pass


def native_bfloat16() -> Optional[bool]:
    """Whether torch finds AVX512-BF16 or AMX on this CPU (torch's own private checks); None where this torch has
    neither check."""
    checks = [getattr(torch.cpu, name, None) for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported")]
    found = [check for check in checks if check is not None]
    return any(check() for check in found) if found else None


def upgrading_loader(upgrade: Callable[[Any], Any]) -> str:
    """The name of a jsonargparse parser mode that reads as its ``omegaconf`` mode does (``${...}``
    interpolation) and then gives each loaded value to ``upgrade``; the mode is registered on first call (the
    omegaconf loader itself is private to jsonargparse)."""
    mode = "omegaconf_upgraded"
    omegaconf_load = get_omegaconf_loader("omegaconf")
    set_loader(mode, lambda value: upgrade(omegaconf_load(value)), exceptions=get_loader_exceptions("yaml"))
    return mode


#: ``lerp_(tensors, ends, weight)``: each of ``tensors`` moved ``weight`` of the way to its end, in place, in one
#: kernel launch (torch's private foreach op, which AveragedModel's own averaging uses).
lerp_: Callable[[list[Tensor], list[Tensor], float], None] = torch._foreach_lerp_
