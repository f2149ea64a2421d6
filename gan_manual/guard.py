"""Stops (or skips) a training step whose loss or gradient is not finite, before it reaches the weights, and
never lets a checkpoint of networks that give non-finite output replace the last good one."""

from collections.abc import Iterator
from typing import Any, Literal, Optional

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_warn
from torch import Tensor

from gan_manual import generation
from gan_manual.errors import DivergenceError
from gan_manual.nets.conditioning import judge
from gan_manual.optimization import network_of


class DivergenceGuard(L.Callback):
    """Checks every optimizer step's loss and gradient norm, after backward and before the weights change.

    The check runs in ``on_before_optimizer_step``, after mixed precision unscaled the gradients, so the
    weights of a stopped run are the last finite ones.

    A finite step can still ruin the networks (a learning rate of 1e30 puts finite weights at 1e30, whose output
    overflows), so every checkpoint is checked before it is written, in ``on_save_checkpoint``: its weights,
    buffers and optimizer states are finite, and G's samples from fixed noise (G's moving average's too) and D's
    scores on them are finite (eval mode, no gradients, the networks' own random state untouched). A checkpoint
    that fails is not written, so the file on disk stays the last good one, and the run stops (with ``skip`` too:
    no skipped step brings such weights back).

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
        self._last_good: Optional[int] = None  # the batch of the last checkpoint that passed the check
        self._resumed_from: Optional[tuple[str, int]] = None  # the checkpoint this run started from, its batch

    def on_train_start(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        path = trainer.ckpt_path
        self._resumed_from = (str(path), pl_module.batches_trained) if path else None

    def on_before_backward(self, trainer: L.Trainer, pl_module: L.LightningModule, loss: Tensor) -> None:
        self._loss = loss.detach()

    def on_before_optimizer_step(
        self, trainer: L.Trainer, pl_module: L.LightningModule, optimizer: torch.optim.Optimizer
    ) -> None:
        if self.action == "off":
            return
        loss, self._loss = self._loss, None
        problem = None
        network = network_of(trainer.optimizers, optimizer)
        if loss is not None and not torch.isfinite(loss).all():
            problem = f"{network} loss is {loss.float().sum().item()}"
        elif self.check_gradients:
            grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
            norm = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(g) for g in grads])) if grads else None
            if norm is not None and not torch.isfinite(norm):
                problem = f"{network} gradient norm is {norm.item()}"
        if problem is None:
            return
        where = _batch(trainer)
        if self.action == "stop":
            raise DivergenceError(
                f"divergence at {where}: {problem}; stopped before the step, {self._good_one(trainer)} "
                f"(--divergence_guard.action=skip skips such steps instead)"
            )
        optimizer.zero_grad(set_to_none=True)  # no gradients: the optimizer leaves every weight unchanged
        self.skipped += 1
        rank_zero_warn(f"skipped a step at {where}: {problem}")
        pl_module.log("train/skipped_steps", float(self.skipped), on_step=True, on_epoch=False, reduce_fx="max")

    def on_save_checkpoint(self, trainer: L.Trainer, pl_module: L.LightningModule, checkpoint: dict[str, Any]) -> None:
        if self.action == "off" or trainer.state.fn != "fit":
            return
        problem = unhealthy(pl_module, checkpoint)
        if problem is None:
            self._last_good = trainer.fit_loop.total_batch_idx + 1
            return
        raise DivergenceError(
            f"divergence by {_batch(trainer)}: {problem}, so the checkpoint of this point was not written; "
            f"{self._good_one(trainer)}"
        )

    def _good_one(self, trainer: L.Trainer) -> str:
        """What the last checkpoint on disk is: every one written in this run passed :func:`unhealthy`."""
        saved = [cb.last_model_path for cb in trainer.checkpoint_callbacks if getattr(cb, "last_model_path", "")]
        if (not saved or self._last_good is None) and self._resumed_from is not None:
            path, batch = self._resumed_from
            return f"no checkpoint was written in this run; it resumed from {path} (after batch {batch})"
        if not saved or self._last_good is None:
            return "no checkpoint was written before it"
        return (f"the last checkpoint, {saved[0]} (after batch {self._last_good}), is the last good one: finite "
                f"weights, optimizer states, samples and scores")

    def state_dict(self) -> dict:
        return {"skipped": self.skipped}

    def load_state_dict(self, state_dict: dict) -> None:
        self.skipped = state_dict.get("skipped", 0)


def _batch(trainer: L.Trainer) -> str:
    return f"training batch {trainer.fit_loop.total_batch_idx + 1} of the run (epoch {trainer.current_epoch})"


def _tensors(value: Any, key: str) -> Iterator[tuple[str, Tensor]]:
    if isinstance(value, Tensor):
        yield key, value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _tensors(item, f"{key}.{name}" if key else str(name))
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _tensors(item, f"{key}[{index}]")


NETWORK_PREFIXES = ("generator.", "discriminator.", "generator_ema.")


@torch.no_grad()
def unhealthy(system: Any, checkpoint: dict[str, Any], num_samples: int = 4) -> Optional[str]:
    """What is wrong with ``checkpoint`` of ``system`` (a :class:`gan_manual.GAN`), or None: a weight, buffer or
    optimizer state that is not finite, or samples of G (and of its moving average) from fixed noise, or D's scores
    on them, that are not finite."""
    # The networks' weights and buffers; the system's own bookkeeping (a rolling window not yet full) may hold NaN.
    weights = {k: v for k, v in checkpoint.get("state_dict", {}).items() if k.startswith(NETWORK_PREFIXES)}
    states = {"": weights, "optimizer state ": checkpoint.get("optimizer_states", [])}
    for where, state in states.items():
        for key, tensor in _tensors(state, ""):
            if tensor.is_floating_point() and not torch.isfinite(tensor).all():
                return f"its {where}{key} is not finite"
    labels = system.label_prior.draw(num_samples, 0)  # None for an unconditional system
    networks = {"the generator": system.generator}
    if system.sampling_generator is not system.generator:
        networks["the generator's moving average"] = system.sampling_generator
    for name, network in networks.items():
        fake = generation.generate(network, system.latent_dim, num_samples, 0, num_samples, system.device, labels)
        if not torch.isfinite(fake).all():
            return f"{name} gives non-finite samples (largest weight {_largest(network):.3g})"
    was_training = system.discriminator.training
    system.discriminator.eval()
    try:
        out = judge(system.discriminator, fake.to(system.device), None if labels is None else labels.to(system.device))
    finally:
        system.discriminator.train(was_training)
    if not all(torch.isfinite(t).all() for _, t in _tensors(out, "")):
        return f"the discriminator gives non-finite scores (largest weight {_largest(system.discriminator):.3g})"
    return None


def _largest(network: torch.nn.Module) -> float:
    return max((p.detach().abs().max().item() for p in network.parameters() if p.numel()), default=0.0)
