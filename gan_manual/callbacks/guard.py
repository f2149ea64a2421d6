"""Stops (or skips) a training step whose loss or gradient is not finite, before it reaches the weights."""

from typing import Literal, Optional

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_warn
from torch import Tensor


class DivergenceError(RuntimeError):
    """A non-finite loss or gradient; the CLI prints the message as one line and exits with code 1."""


class DivergenceGuard(L.Callback):
    """Checks every optimizer step's loss and gradient norm, after backward and before the weights change.

    The check runs in ``on_before_optimizer_step``, after mixed precision unscaled the gradients, so the
    weights of a stopped run are the last finite ones and the last checkpoint stays the last good one.

    Args:
        action: ``stop``: raise :class:`DivergenceError` naming the batch, the network and the value.
            ``skip``: drop that step's gradients (the optimizer leaves the weights alone), warn, count it in
            ``train/skipped_steps``, and go on. ``off``: no checks.
        check_gradients: Also check the total gradient norm (one reduction per step), not only the loss.
    """

    def __init__(self, action: Literal["stop", "skip", "off"] = "stop", check_gradients: bool = True) -> None:
        self.action = action
        self.check_gradients = check_gradients
        self.skipped = 0
        self._loss: Optional[Tensor] = None

    def on_before_backward(self, trainer: L.Trainer, pl_module: L.LightningModule, loss: Tensor) -> None:
        self._loss = loss.detach()

    def on_before_optimizer_step(
        self, trainer: L.Trainer, pl_module: L.LightningModule, optimizer: torch.optim.Optimizer
    ) -> None:
        if self.action == "off":
            return
        loss, self._loss = self._loss, None
        problem = None
        network = pl_module.network_of(optimizer)
        if loss is not None and not torch.isfinite(loss).all():
            problem = f"{network} loss is {loss.float().sum().item()}"
        elif self.check_gradients:
            grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
            norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])) if grads else None
            if norm is not None and not torch.isfinite(norm):
                problem = f"{network} gradient norm is {norm.item()}"
        if problem is None:
            return
        where = f"training batch {trainer.fit_loop.total_batch_idx + 1} of the run (epoch {trainer.current_epoch})"
        if self.action == "stop":
            saved = [cb.last_model_path for cb in trainer.checkpoint_callbacks if getattr(cb, "last_model_path", "")]
            checkpoint = (f"the last checkpoint, {saved[0]}, is the last good one" if saved
                          else "no checkpoint was written before it")
            raise DivergenceError(
                f"divergence at {where}: {problem}; stopped before the step, {checkpoint} "
                f"(--divergence_guard.action=skip skips such steps instead)"
            )
        optimizer.zero_grad(set_to_none=True)  # no gradients: the optimizer leaves every weight unchanged
        self.skipped += 1
        rank_zero_warn(f"skipped a step at {where}: {problem}")
        pl_module.log("train/skipped_steps", float(self.skipped), on_step=True, on_epoch=False, reduce_fx="max")

    def state_dict(self) -> dict:
        return {"skipped": self.skipped}

    def load_state_dict(self, state_dict: dict) -> None:
        self.skipped = state_dict.get("skipped", 0)
