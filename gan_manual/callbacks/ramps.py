"""Hyperparameters that follow ramps over training (R3GAN's schedules): learning rates, Adam's second beta, the
penalties' weight, the moving average's decay and the augmentation's probability, set before every training batch
and logged as ``ramp/<name>``."""

from typing import Any, Optional

import lightning as L

from gan_manual.errors import ConfigError
from gan_manual.optimization import NETWORKS
from gan_manual.penalties import Penalties
from gan_manual.ramps import HalfLife, Ramp


class Ramps(L.Callback):
    """Sets each given hyperparameter to its ramp's value before every training batch (from the batches trained
    and the training images seen, so a resumed run takes the same values), and logs the values as
    ``ramp/<name>`` when the logger writes.

    Args:
        g_lr: G's learning rate (every parameter group); not with a ``g_scheduler``.
        d_lr: D's learning rate; not with a ``d_scheduler``.
        g_beta2: The second beta of G's Adam (or any optimizer with ``betas``).
        d_beta2: The second beta of D's.
        penalty_weight: The penalty's weight; with :class:`~gan_manual.penalties.Penalties`, every member's (R3GAN
            ramps the gamma of R1 and R2 together; weight = gamma / 2).
        g_ema_decay: The decay of G's moving average per G step (replacing its warm-up); needs ``g_ema_decay``
            on the system.
        g_ema_half_life: The same decay from a half-life in training images (:class:`~gan_manual.ramps.HalfLife`,
            StyleGAN's; :class:`~gan_manual.ramps.RampedHalfLife`, R3GAN's); not with ``g_ema_decay`` here.
        augment_p: The probability of :class:`~gan_manual.augment.AdaptiveAugment` with ``adaptive: false``
            (R3GAN's augmentation schedule).
    """

    def __init__(self, g_lr: Optional[Ramp] = None, d_lr: Optional[Ramp] = None, g_beta2: Optional[Ramp] = None,
                 d_beta2: Optional[Ramp] = None, penalty_weight: Optional[Ramp] = None,
                 g_ema_decay: Optional[Ramp] = None, g_ema_half_life: Optional[HalfLife] = None,
                 augment_p: Optional[Ramp] = None) -> None:
        if g_ema_decay is not None and g_ema_half_life is not None:
            raise ConfigError("trainer.callbacks: Ramps takes g_ema_decay or g_ema_half_life, not both")
        self.g_lr, self.d_lr, self.g_beta2, self.d_beta2 = g_lr, d_lr, g_beta2, d_beta2
        self.penalty_weight = penalty_weight
        self.g_ema_decay, self.g_ema_half_life = g_ema_decay, g_ema_half_life
        self.augment_p = augment_p
        self.values: dict[str, float] = {}

    def check_system(self, model: L.LightningModule) -> None:
        """Every ramp has something to move (asked by the CLI before anything is written)."""
        for network, short in NETWORKS.items():
            if getattr(self, f"{short}_lr") is not None and model.optimization.schedulers[network] is not None:
                raise ConfigError(f"trainer.callbacks: Ramps sets {short}_lr, and model.{short}_scheduler sets it too; "
                                  f"use one of them")
            if getattr(self, f"{short}_beta2") is not None:
                optimizer = model.optimization.optimizers[network](getattr(model, network).parameters())
                if "betas" not in optimizer.param_groups[0]:
                    raise ConfigError(f"trainer.callbacks: Ramps sets {short}_beta2, and model.{short}_optimizer "
                                      f"({type(optimizer).__name__}) has no betas")
        if self.penalty_weight is not None and model.penalty is None:
            raise ConfigError("trainer.callbacks: Ramps.penalty_weight ramps a penalty, and model.penalty is unset")
        if self.augment_p is not None and getattr(model.augment, "adaptive", True):
            raise ConfigError("trainer.callbacks: Ramps.augment_p sets the probability of an AdaptiveAugment with "
                              "adaptive: false; model.augment is not one")
        if (self.g_ema_decay or self.g_ema_half_life) is not None and model.generator_ema is None:
            raise ConfigError("trainer.callbacks: Ramps ramps the moving average's decay, and the system keeps none; "
                              "set model.g_ema_decay")

    def on_train_batch_start(self, trainer: L.Trainer, pl_module: L.LightningModule, batch: Any,
                             batch_idx: int) -> None:
        batches = pl_module.batches_trained
        batch_images = len(batch[0]) * trainer.world_size
        images = batches * batch_images
        values: dict[str, float] = {}
        for short in NETWORKS.values():
            optimizer = self._optimizer(trainer, short)
            for name in (f"{short}_lr", f"{short}_beta2"):
                ramp = getattr(self, name)
                if ramp is not None:
                    values[name] = ramp(batches, images)
                    for group in optimizer.param_groups:
                        if name.endswith("_lr"):
                            group["lr"] = values[name]
                        else:
                            group["betas"] = (group["betas"][0], values[name])
        if self.penalty_weight is not None:
            values["penalty_weight"] = self.penalty_weight(batches, images)
            penalty = pl_module.penalty
            for member in penalty.penalties if isinstance(penalty, Penalties) else [penalty]:
                member.weight = values["penalty_weight"]
        if self.g_ema_decay is not None:
            values["g_ema_decay"] = self.g_ema_decay(batches, images)
        elif self.g_ema_half_life is not None:
            values["g_ema_decay"] = self.g_ema_half_life(batches, images, batch_images)
        if "g_ema_decay" in values:
            pl_module.generator_ema.scheduled_decay = values["g_ema_decay"]
        if self.augment_p is not None:
            values["augment_p"] = self.augment_p(batches, images)
            pl_module.augment.p.fill_(values["augment_p"])
        self.values = values
        if values and (batches + 1) % trainer.log_every_n_steps == 0:  # the system's own logging moments
            pl_module.log_dict({f"ramp/{name}": value for name, value in values.items()}, on_step=True,
                               on_epoch=False)

    @staticmethod
    def _optimizer(trainer: L.Trainer, short: str) -> Any:
        """The network's torch optimizer (the system configures G's first, D's second: NETWORKS' order)."""
        return trainer.optimizers[list(NETWORKS.values()).index(short)]
