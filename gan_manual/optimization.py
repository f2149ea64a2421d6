"""What steps each network's weights: its optimizer and optional LR scheduler (injected callables), the clipping
of its gradient norm, and the clamping of D's weights; and the one order and naming of the two networks.

The config says ``g_optimizer``, ``d_clip_norm``; the schedule ``g`` and ``d``; the logs ``lr-g``, ``d_loss``;
the system's attributes ``generator`` and ``discriminator``: :data:`NETWORKS` maps one to the other.
"""

from typing import Any, Literal, Optional

import torch
from torch import nn

#: The two networks, in the order of their optimizers (``configure_optimizers``, ``trainer.optimizers``), each with
#: its short name (the config's ``g_``/``d_`` keys, the schedule's steps, the logs' ``lr-g``/``lr-d``).
NETWORKS = {"generator": "g", "discriminator": "d"}

Interval = Literal["batch", "epoch"]


class Optimization:
    """The optimizers and schedulers of both networks, and their clipping.

    Args:
        optimizers: Network name -> a callable building its optimizer from its parameters.
        schedulers: Network name -> a callable building an LR scheduler of its optimizer, or None.
        interval: When the schedulers step: after every training ``batch``, or every training ``epoch``.
        clip_norms: Network name -> the total gradient norm its gradients are clipped to before a step, or None.
        weight_clip: Clamp D's weights to [-c, c] after each D step (the original WGAN's constraint), or None.
    """

    def __init__(self, optimizers: dict[str, Any], schedulers: dict[str, Any], interval: Interval,
                 clip_norms: dict[str, Optional[float]], weight_clip: Optional[float]) -> None:
        self.optimizers = optimizers
        self.schedulers = schedulers
        self.interval = interval
        self.clip_norms = clip_norms
        self.weight_clip = weight_clip

    def configure(self, networks: dict[str, nn.Module]) -> tuple[list[torch.optim.Optimizer], list[dict[str, Any]]]:
        """``configure_optimizers``' answer: one optimizer per network in :data:`NETWORKS`' order, and the
        schedulers, named ``lr-g``/``lr-d``."""
        optimizers = [self.optimizers[name](networks[name].parameters()) for name in NETWORKS]
        interval = "step" if self.interval == "batch" else "epoch"
        schedulers = [
            # "interval" tells LearningRateMonitor when to log; the system steps the schedulers itself.
            {"scheduler": self.schedulers[name](optimizer), "name": f"lr-{short}", "interval": interval}
            for (name, short), optimizer in zip(NETWORKS.items(), optimizers) if self.schedulers[name] is not None
        ]
        return optimizers, schedulers

    def step_schedulers(self, trainer: Any, interval: Interval) -> None:
        """Steps every scheduler, at the end of a training batch or epoch (``interval``) if they step then."""
        if interval == self.interval:
            for config in trainer.lr_scheduler_configs:
                config.scheduler.step()

    def clip_gradients(self, system: Any, optimizer: torch.optim.Optimizer) -> None:
        """Clips the gradients ``optimizer`` is about to apply to its network's norm, if it has one. Called inside
        ``optimizer.step()`` (``on_before_optimizer_step``), after mixed precision unscaled them: clipping the
        scaled gradients before the step would clip at clip_norm * loss scale, that is, not at all."""
        clip_norm = self.clip_norms[network_of(system.trainer.optimizers, optimizer)]
        if clip_norm is not None:
            system.clip_gradients(optimizer, gradient_clip_val=clip_norm, gradient_clip_algorithm="norm")

    @torch.no_grad()
    def clamp_weights(self, discriminator: nn.Module) -> None:
        """After a D step: D's weights clamped to [-weight_clip, weight_clip], if set."""
        if self.weight_clip is not None:
            for p in discriminator.parameters():
                p.clamp_(-self.weight_clip, self.weight_clip)


def network_of(optimizers: list[torch.optim.Optimizer], optimizer: torch.optim.Optimizer) -> str:
    """``generator`` or ``discriminator``: the network ``optimizer`` steps, one of ``optimizers`` (the trainer's)."""
    return list(NETWORKS)[optimizers.index(optimizer)]
