"""The GAN system: one LightningModule with manual optimization; networks, loss, penalty, optimizers and
schedulers are injected (chosen by ``class_path`` in the config). ``trainer.global_step`` counts every optimizer
step; the batch count that drives the schedule and the logs' step axis is :attr:`GAN.batches_trained`.
"""

from collections.abc import Callable
from typing import Any, Literal, Optional

import lightning as L
import torch
from jsonargparse import lazy_instance
from jsonargparse.typing import NonNegativeInt, OpenUnitInterval, PositiveFloat, PositiveInt
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from torch import Tensor, nn

from gan_manual import generation, upgrade
from gan_manual.augment import Augmentation
from gan_manual.ema import moving_average
from gan_manual.labels import LabelPrior, num_classes_of
from gan_manual.losses import AuxiliaryClassifierLoss, GANLoss, NonSaturatingLoss
from gan_manual.noise import Noise
from gan_manual.objective import Objective
from gan_manual.optimization import NETWORKS, Optimization
from gan_manual.penalties import Penalty
from gan_manual.rolling import BatchLogs
from gan_manual.schedule import Order, Schedule


class GAN(L.LightningModule):
    """A generator and a discriminator trained against each other, step by step as :class:`Schedule` says.

    Conditional networks (``num_classes`` > 0 on both, :mod:`gan_manual.nets.contract`) get the batch's labels
    with real samples and labels drawn from the training labels' distribution (:attr:`label_prior`, from the
    per-batch noise) with generated ones.

    Args:
        generator: Maps ``(B, latent_dim)`` noise to ``(B, *data_shape)`` samples; exposes ``latent_dim``.
        discriminator: Maps ``(B, *data_shape)`` to raw scores ``(B,)`` (logits, or critic values).
        loss: The adversarial objective of both networks.
        class_loss: ACGAN's class loss, for a D that returns ``(scores, class_logits)``; joins both losses.
        penalty: Optional regulariser added to D's loss as ``penalty.weight * penalty(...)``; several (R3GAN's R1 and
            R2), each with its own weight and laziness, in :class:`~gan_manual.penalties.Penalties`.
        augment: Optional augmentation of every image D sees in training, real or fake (e.g. DiffAugment).
        g_optimizer: Builds G's optimizer from its parameters (any torch.optim class by class_path).
        d_optimizer: Builds D's optimizer from its parameters.
        g_scheduler: Optional LR scheduler of G's optimizer (any torch.optim.lr_scheduler), per scheduler_interval.
        d_scheduler: Optional LR scheduler of D's optimizer.
        scheduler_interval: ``batch``: after every training batch; ``epoch``: after every training epoch.
        d_steps_per_g_step: D steps in one cycle (see :mod:`gan_manual.schedule`).
        d_warmup_batches: First batches on which only D trains.
        order: G's step before (``g_then_d``) or after (``d_then_g``) the cycle's D steps.
        reuse_batch: All D steps of a cycle on one real batch; false: a fresh batch each (WGAN-GP's algorithm).
        g_clip_norm: Clip G's total gradient norm to this value before its step.
        d_clip_norm: Clip D's total gradient norm to this value before its step.
        d_weight_clip: Clamp D's weights to [-c, c] after each D step (the original WGAN's constraint; 0.01).
        rolling_window: Also log means of the losses over the last this-many steps; 0 turns them off.
        g_ema_decay: Keep a moving average of G's weights (part of the state_dict) with this decay per G step
            (0.999 is common); :meth:`generate` (evaluation, pictures, ``predict``, ``sample``) then uses it.
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        loss: GANLoss = lazy_instance(NonSaturatingLoss),
        class_loss: Optional[AuxiliaryClassifierLoss] = None,
        penalty: Optional[Penalty] = None,
        augment: Optional[Augmentation] = None,
        g_optimizer: OptimizerCallable = torch.optim.Adam,
        d_optimizer: OptimizerCallable = torch.optim.Adam,
        g_scheduler: Optional[LRSchedulerCallable] = None,
        d_scheduler: Optional[LRSchedulerCallable] = None,
        scheduler_interval: Literal["batch", "epoch"] = "epoch",
        d_steps_per_g_step: PositiveInt = 1,
        d_warmup_batches: NonNegativeInt = 0,
        order: Order = "d_then_g",
        reuse_batch: bool = False,
        g_clip_norm: Optional[PositiveFloat] = None,
        d_clip_norm: Optional[PositiveFloat] = None,
        d_weight_clip: Optional[PositiveFloat] = None,
        rolling_window: NonNegativeInt = 0,
        g_ema_decay: Optional[OpenUnitInterval] = None,
    ) -> None:
        super().__init__()
        # Under the CLI this records the parsed config (class paths and arguments), not the module objects, so a
        # checkpoint rebuilds the system alone: GAN.load_from_checkpoint(path).
        self.save_hyperparameters()
        self.automatic_optimization = False
        self.generator = generator
        self.discriminator = discriminator
        self.loss = loss
        self.class_loss = class_loss
        self.penalty = penalty
        self.objective = Objective(loss, class_loss, penalty, augment)
        self.augment = augment
        self.optimization = Optimization({"generator": g_optimizer, "discriminator": d_optimizer},
                                         {"generator": g_scheduler, "discriminator": d_scheduler}, scheduler_interval,
                                         {"generator": g_clip_norm, "discriminator": d_clip_norm}, d_weight_clip)
        self.schedule = Schedule(d_steps_per_g_step, d_warmup_batches, order, reuse_batch)
        self._logs = BatchLogs(rolling_window)
        self.rolling = self._logs.rolling  # a module of the system's own: the windows are in the state_dict
        self.generator_ema = None if g_ema_decay is None else moving_average(generator, g_ema_decay)
        self.noise = Noise()
        #: The distribution generated labels are drawn from (none for unconditional networks): the training
        #: labels', set in setup and checkpointed.
        self.label_prior = LabelPrior(num_classes_of(generator))
        #: Training batches seen over the run; drives the schedule (checkpointed).
        self.batches_trained = 0
        self._eval_rng: Optional[torch.Generator] = None

    @property
    def latent_dim(self) -> int:
        return self.generator.latent_dim

    @property
    def num_classes(self) -> int:
        """Classes the networks are conditioned on; 0: unconditional."""
        return self.label_prior.num_classes

    @property
    def sampling_generator(self) -> nn.Module:
        """The network samples are shown, scored and written from: G's moving average if kept, else G."""
        return self.generator if self.generator_ema is None else self.generator_ema.module

    def generate(self, num_samples: int, seed: int = 0, batch_size: int = 1000,
                 labels: Optional[Tensor] = None, progress: Optional[Callable[[int], None]] = None) -> Tensor:
        """The way to get samples out of a system: ``(num_samples, *data_shape)`` of :attr:`sampling_generator`,
        float on the CPU, the same for the same ``seed`` and ``batch_size`` on any device (:mod:`.generation`).
        A conditional system makes them of the classes ``labels`` ``(num_samples,)``, by default
        ``label_prior.draw(num_samples, seed)``. ``progress`` is told the number made after each batch."""
        if labels is None:
            labels = self.label_prior.draw(num_samples, seed)  # None if unconditional
        return generation.generate(self.sampling_generator, self.latent_dim, num_samples, seed, batch_size,
                                   self.device, labels, progress)

    def _fakes(self, n: int, rng: torch.Generator) -> tuple[Tensor, Optional[Tensor]]:
        """``n`` samples of G (never the average) from noise drawn on the device, and their labels (None if
        unconditional): what D is trained and judged on."""
        z = torch.randn(n, self.latent_dim, device=self.device, generator=rng)
        labels = self.label_prior.sample(n, rng)
        return (self.generator(z), None) if labels is None else (self.generator(z, labels), labels)

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        real, labels = batch[0], (batch[1] if self.num_classes else None)
        rng = self.noise.for_batch(self.global_rank, self.batches_trained)
        optimizers = dict(zip(NETWORKS.values(), self.optimizers()))  # "g", "d": the schedule's names
        logs: dict[str, Tensor] = {}  # with several D steps on one batch, the last one's values are kept
        for network in self.schedule.steps(self.batches_trained):
            if network == "d":
                logs.update(self._discriminator_step(real, labels, optimizers["d"], rng))
            else:
                logs.update(self._generator_step(real, labels, optimizers["g"], rng))
        # Lightning writes step metrics every log_every_n_steps batches (its step axis counts batches); self.log
        # costs more than a small GAN's step, so it is called on those batches only.
        written = self._logs.add(logs, write=(self.batches_trained + 1) % self.trainer.log_every_n_steps == 0)
        if written:
            self.log_dict({f"train/{k}": v for k, v in written.items()}, on_step=True, on_epoch=False, prog_bar=True)
        self.batches_trained += 1
        self.optimization.step_schedulers(self.trainer, "batch")

    def _discriminator_step(self, real: Tensor, labels: Optional[Tensor], opt: Any,
                            rng: torch.Generator) -> dict[str, Tensor]:
        with torch.no_grad():
            fake, fake_labels = self._fakes(real.shape[0], rng)
        loss, logs = self.objective.discriminator(self.discriminator, real, labels, fake, fake_labels, rng,
                                                  self.batches_trained)
        opt.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        opt.step()  # clipping, if any, in on_before_optimizer_step
        self.optimization.clamp_weights(self.discriminator)
        return logs

    def _generator_step(self, real: Tensor, real_labels: Optional[Tensor], opt: Any,
                        rng: torch.Generator) -> dict[str, Tensor]:
        # D's weights need no gradient here: skipping them saves a third of D's backward pass.
        self.discriminator.requires_grad_(False)
        fake, labels = self._fakes(real.shape[0], rng)
        loss, logs = self.objective.generator(self.discriminator, fake, labels, rng, real, real_labels)
        opt.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        self.discriminator.requires_grad_(True)
        opt.step()
        if self.generator_ema is not None:
            self.generator_ema.update_parameters(self.generator)
        return logs

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        self.optimization.clip_gradients(self, optimizer)

    def setup(self, stage: str) -> None:
        # Before a checkpoint is restored (which puts back the same values): the training labels' distribution.
        if stage == "fit":
            self.label_prior.fit(self.trainer.datamodule)

    def on_train_start(self) -> None:
        self.noise.start(self.device)
        # As late as possible: nothing between here and the first batch draws from the global RNG.
        self.noise.restore_global(self.global_rank, self.trainer.world_size)

    def on_train_epoch_end(self) -> None:
        means = self._logs.epoch.pop()
        self.log_dict({f"train/{k}_epoch": v for k, v in means.items()}, on_epoch=True, sync_dist=True)
        self.optimization.step_schedulers(self.trainer, "epoch")

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._evaluate(batch, "val")

    def test_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._evaluate(batch, "test")

    def on_validation_epoch_start(self) -> None:
        self._eval_rng = Noise.for_evaluation(self.device, self.global_rank)

    on_test_epoch_start = on_validation_epoch_start

    def _evaluate(self, batch: tuple[Tensor, Tensor], split: str) -> None:
        real, labels = batch[0], (batch[1] if self.num_classes else None)
        fake, fake_labels = self._fakes(real.shape[0], self._eval_rng)
        figures = self.objective.held_out(self.discriminator, real, labels, fake, fake_labels)
        self.log_dict({f"{split}/{k}": v for k, v in figures.items()}, batch_size=real.shape[0], sync_dist=True)

    def predict_step(self, batch: tuple[Tensor, ...], batch_idx: int) -> Tensor | tuple[Tensor, Tensor]:
        """One sample per index in ``batch[0]`` ``(B,)``: ``(B, *data_shape)``, all batches together being
        ``generate(N, seed, B)``. A conditional system takes the indices' labels ``batch[1]`` ``(B,)`` (as
        :class:`~gan_manual.prediction.PredictionData` serves them) and returns ``(samples, labels)``."""
        labels = batch[1] if self.num_classes else None
        samples = generation.draw(self.sampling_generator, self.latent_dim, batch[0].shape[0], self._eval_rng,
                                  self.device, labels)
        return samples if labels is None else (samples, labels.cpu())

    def on_predict_epoch_start(self) -> None:
        self._eval_rng = torch.Generator().manual_seed(torch.initial_seed())

    def configure_optimizers(self) -> Any:
        return self.optimization.configure({"generator": self.generator, "discriminator": self.discriminator})

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # Called on every process (Lightning gathers before rank 0 writes), so the collective in it is safe.
        global_rng = self.noise.global_states(self.trainer.strategy)
        checkpoint["gan_manual"] = {"batches_trained": self.batches_trained, "global_rng": global_rng,
                                    **self._logs.state_dict()}

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        upgrade.state_dict(checkpoint.get("state_dict", {}))  # called before the state_dict is loaded
        state = checkpoint.get("gan_manual", {})
        self.batches_trained = state.get("batches_trained", 0)
        self.noise.resume_global(state.get("global_rng"))
        self._logs.load_state_dict(state)
