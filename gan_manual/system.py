"""The GAN system: one LightningModule with manual optimization; networks, loss, penalty, optimizers and
schedulers are injected (chosen by ``class_path`` in the config).

Counting: ``trainer.global_step`` is Lightning's count of *optimizer* steps, every G and every D step, so it
grows by ``schedule.steps_per_batch()`` per batch (2 for the basic GAN, 6 for 5 D steps per G step). Logged
metrics are indexed by training batch. ``max_steps`` and ``ModelCheckpoint(every_n_train_steps)`` count optimizer
steps; prefer ``max_epochs``/``limit_train_batches`` and ``every_n_epochs``. The batch count that drives the
schedule is :attr:`GAN.batches_trained`, saved in checkpoints.
"""

import hashlib
from typing import Any, Literal, Optional

import lightning as L
import torch
from jsonargparse import lazy_instance
from jsonargparse.typing import NonNegativeInt, OpenUnitInterval, PositiveFloat, PositiveInt
from lightning.pytorch.cli import LRSchedulerCallable, OptimizerCallable
from lightning.pytorch.utilities import rank_zero_info, rank_zero_warn
from torch import Tensor, nn
from torch.optim.swa_utils import AveragedModel

from gan_manual.losses import GANLoss, NonSaturatingLoss
from gan_manual.penalties import Penalty
from gan_manual.rolling import Means, RollingMean
from gan_manual.schedule import Order, Schedule


class GAN(L.LightningModule):
    """A generator and a discriminator trained against each other, step by step as :class:`Schedule` says.

    Args:
        generator: Maps ``(B, latent_dim)`` noise to ``(B, *data_shape)`` samples; exposes ``latent_dim``.
        discriminator: Maps ``(B, *data_shape)`` to raw scores ``(B,)`` (logits, or critic values).
        loss: The adversarial objective of both networks.
        penalty: Optional regulariser added to D's loss as ``penalty.weight * penalty(...)``.
        g_optimizer, d_optimizer: Build each network's optimizer from its parameters.
        g_scheduler, d_scheduler: Optional LR schedulers, stepped once per ``scheduler_interval``.
        scheduler_interval: ``batch``: after every training batch; ``epoch``: after every training epoch.
        d_steps_per_g_step: D steps in one cycle (see :mod:`gan_manual.schedule`).
        d_warmup_batches: First batches on which only D trains.
        order: G's step before (``g_then_d``) or after (``d_then_g``) the cycle's D steps.
        reuse_batch: All D steps of a cycle on one real batch (the notebook's advanced loop) instead of a fresh
            batch per D step (WGAN-GP's algorithm).
        g_clip_norm, d_clip_norm: Clip each network's total gradient norm to this value before its step.
        d_weight_clip: Clamp D's weights to [-c, c] after each D step (the original WGAN's constraint; 0.01).
        rolling_window: Also log means of the losses over the last this-many steps; 0 turns them off.
        g_ema_decay: Keep an exponential moving average of G's weights with this decay per G step (0.999 is
            common); evaluation, the sample pictures, ``predict`` and the ``sample`` command then use the average.
    """

    def __init__(
        self,
        generator: nn.Module,
        discriminator: nn.Module,
        loss: GANLoss = lazy_instance(NonSaturatingLoss),
        penalty: Optional[Penalty] = None,
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
        self.penalty = penalty
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer
        self.g_scheduler = g_scheduler
        self.d_scheduler = d_scheduler
        self.scheduler_interval = scheduler_interval
        self.schedule = Schedule(d_steps_per_g_step, d_warmup_batches, order, reuse_batch)
        self.g_clip_norm = g_clip_norm
        self.d_clip_norm = d_clip_norm
        self.d_weight_clip = d_weight_clip
        self.rolling = nn.ModuleDict(
            {name: RollingMean(rolling_window) for name in ("d_loss", "g_loss")} if rolling_window else {}
        )
        # Averaged G (as in ProGAN, BigGAN, StyleGAN): part of the state_dict, so checkpoints, resume and the
        # sample command carry it. BatchNorm statistics are copied from G, not averaged (StyleGAN's choice).
        self.generator_ema: Optional[AveragedModel] = None
        if g_ema_decay is not None:
            self.generator_ema = AveragedModel(generator, multi_avg_fn=_ema_average(g_ema_decay), use_buffers=False)
            self.generator_ema.requires_grad_(False)
        self._epoch_means, self._window_means = Means(), Means()
        #: Training batches seen over the run; drives the schedule (checkpointed).
        self.batches_trained = 0
        self._noise_seed = 0
        self._train_rng: Optional[torch.Generator] = None
        self._eval_rng: Optional[torch.Generator] = None
        self._resumed_global_rng: Optional[Tensor] = None

    @property
    def latent_dim(self) -> int:
        return self.generator.latent_dim

    @property
    def sampling_generator(self) -> nn.Module:
        """The network samples are shown, scored and written from: G's moving average if kept, else G."""
        return self.generator if self.generator_ema is None else self.generator_ema.module

    def forward(self, z: Tensor) -> Tensor:
        """Noise ``(B, latent_dim)`` -> samples ``(B, *data_shape)``."""
        return self.generator(z)

    def sample(self, n: int, rng: Optional[torch.Generator] = None, generator: Optional[nn.Module] = None) -> Tensor:
        """``n`` samples ``(n, *data_shape)`` of ``generator`` (G by default) from fresh noise drawn with ``rng``."""
        z = torch.randn(n, self.latent_dim, device=self.device, generator=rng)
        return (self.generator if generator is None else generator)(z)

    @torch.no_grad()
    def generate(self, num_samples: int, seed: int = 0, batch_size: int = 1000) -> Tensor:
        """``num_samples`` samples ``(num_samples, *data_shape)`` of :attr:`sampling_generator` on the CPU, from
        noise drawn on the CPU with ``seed`` (the same samples on any device), BatchNorm in eval mode,
        ``batch_size`` per forward pass."""
        rng = torch.Generator().manual_seed(seed)
        generator = self.sampling_generator
        was_training = generator.training
        generator.eval()
        chunks = []
        for start in range(0, num_samples, batch_size):
            z = torch.randn(min(batch_size, num_samples - start), self.latent_dim, generator=rng)
            chunks.append(generator(z.to(self.device)).float().cpu())
        generator.train(was_training)
        return torch.cat(chunks)

    # ------------------------------------------------------------------------------------------------ training

    def training_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        real = batch[0]
        g_opt, d_opt = self.optimizers()
        # The noise of batch n comes from a generator seeded with (run seed, rank, n): a resumed run draws
        # exactly what the uninterrupted run drew, on any number of processes, with no generator state to save.
        self._train_rng.manual_seed(_fold(self._noise_seed, self.global_rank, self.batches_trained))
        logs: dict[str, Tensor] = {}  # with several D steps on one batch, the last one's values are kept
        for network in self.schedule.steps(self.batches_trained):
            if network == "d":
                logs.update(self._discriminator_step(real, d_opt))
            else:
                logs.update(self._generator_step(real.shape[0], g_opt))
        self._epoch_means.add(logs)
        self._window_means.add(logs)
        rolling = {f"{k}_rolling": mean(logs[k]) for k, mean in self.rolling.items() if k in logs}
        # Lightning writes step metrics every log_every_n_steps batches (its step axis counts batches). Logging
        # then, the means over the batches since the last write, keeps self.log's cost off the other batches and
        # gives every metric a value even when its network did not step on the written batch.
        if (self.batches_trained + 1) % self.trainer.log_every_n_steps == 0:
            logs = {**self._window_means.pop(), **rolling}
            self.log_dict({f"train/{k}": v for k, v in logs.items()}, on_step=True, on_epoch=False, prog_bar=True)
        self.batches_trained += 1
        if self.scheduler_interval == "batch":
            self._step_schedulers()

    def _discriminator_step(self, real: Tensor, opt: Any) -> dict[str, Tensor]:
        with torch.no_grad():
            fake = self.sample(real.shape[0], self._train_rng)
        real_out, fake_out = self.discriminator(real), self.discriminator(fake)
        loss = self.loss.d_loss(real_out, fake_out)
        logs = {"d_loss": loss.detach(), "d_real": real_out.detach().mean(), "d_fake": fake_out.detach().mean()}
        if self.penalty is not None:
            penalty = self.penalty(self.discriminator, real, fake, self._train_rng)
            loss = loss + self.penalty.weight * penalty
            logs["d_penalty"] = penalty.detach()
        opt.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        opt.step()  # clipping, if any, in on_before_optimizer_step
        if self.d_weight_clip is not None:
            with torch.no_grad():
                for p in self.discriminator.parameters():
                    p.clamp_(-self.d_weight_clip, self.d_weight_clip)
        return logs

    def _generator_step(self, batch_size: int, opt: Any) -> dict[str, Tensor]:
        # D's weights need no gradient here: skipping them saves a third of D's backward pass.
        self.discriminator.requires_grad_(False)
        loss = self.loss.g_loss(self.discriminator(self.sample(batch_size, self._train_rng)))
        opt.zero_grad(set_to_none=True)
        self.manual_backward(loss)
        self.discriminator.requires_grad_(True)
        opt.step()
        if self.generator_ema is not None:
            self.generator_ema.update_parameters(self.generator)
        return {"g_loss": loss.detach()}

    def on_before_optimizer_step(self, optimizer: torch.optim.Optimizer) -> None:
        # Called inside opt.step(), after the precision plugin unscaled the gradients (16-mixed): clipping the
        # scaled gradients before opt.step() would clip at clip_norm * loss scale, that is, not at all.
        clip_norm = self.g_clip_norm if optimizer is self.trainer.optimizers[0] else self.d_clip_norm
        if clip_norm is not None:
            self.clip_gradients(optimizer, gradient_clip_val=clip_norm, gradient_clip_algorithm="norm")

    def _step_schedulers(self) -> None:
        schedulers = self.lr_schedulers()
        for scheduler in schedulers if isinstance(schedulers, list) else [schedulers] if schedulers else []:
            scheduler.step()

    def on_fit_start(self) -> None:
        # Noise and interpolation come from a generator of their own: the run's randomness does not depend on
        # what else draws from the global RNG (validation, callbacks).
        self._noise_seed = torch.initial_seed()
        self._train_rng = torch.Generator(self.device)
        if self.trainer.max_steps > 0:
            per_batch = self.schedule.steps_per_batch()
            rank_zero_info(
                f"max_steps={self.trainer.max_steps} counts optimizer steps, {per_batch:g} per batch with this "
                f"schedule: training stops after about {self.trainer.max_steps / per_batch:.0f} batches"
            )

    def on_train_start(self) -> None:
        # The global RNG (dropout in a user's network, say) as it was when the checkpoint was saved, set as late
        # as possible: nothing between here and the first batch draws from it.
        if self._resumed_global_rng is not None:
            states, self._resumed_global_rng = self._resumed_global_rng, None
            if states.shape[0] != self.trainer.world_size:
                rank_zero_warn(
                    f"the checkpoint holds the global RNG states of {states.shape[0]} processes, this run has "
                    f"{self.trainer.world_size}: each process takes one of them"
                )
            torch.set_rng_state(states[self.global_rank % states.shape[0]])

    def on_train_epoch_end(self) -> None:
        means = self._epoch_means.pop()
        self.log_dict({f"train/{k}_epoch": v for k, v in means.items()}, on_epoch=True, sync_dist=True)
        if self.scheduler_interval == "epoch":
            self._step_schedulers()

    # ---------------------------------------------------------------------------------- validation and testing

    def validation_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._evaluate(batch[0], "val")

    def test_step(self, batch: tuple[Tensor, Tensor], batch_idx: int) -> None:
        self._evaluate(batch[0], "test")

    def _evaluate(self, real: Tensor, split: str) -> None:
        """D's view of held-out real data against fresh fakes; D(real) drifting from train is D overfitting."""
        real_out = self.discriminator(real)
        fake_out = self.discriminator(self.sample(real.shape[0], self._eval_rng))
        metrics = {
            "d_loss": self.loss.d_loss(real_out, fake_out),
            "g_loss": self.loss.g_loss(fake_out),
            "d_real": real_out.mean(),
            "d_fake": fake_out.mean(),
        }
        self.log_dict({f"{split}/{k}": v for k, v in metrics.items()}, batch_size=real.shape[0], sync_dist=True)

    def on_validation_epoch_start(self) -> None:
        self._eval_rng = self._fresh_eval_rng()

    def on_test_epoch_start(self) -> None:
        self._eval_rng = self._fresh_eval_rng()

    def _fresh_eval_rng(self) -> torch.Generator:
        """The same noise at every evaluation, so epochs compare on equal terms."""
        return torch.Generator(self.device).manual_seed((torch.initial_seed() + 1_000_003 + self.global_rank) % 2**63)

    # -------------------------------------------------------------------------------------------------- predict

    def predict_step(self, batch: tuple[Tensor], batch_idx: int) -> Tensor:
        """One sample ``(*data_shape)`` per index in ``batch`` from :attr:`sampling_generator`: ``(B, *data_shape)``."""
        return self.sample(batch[0].shape[0], self._eval_rng, self.sampling_generator)

    def on_predict_epoch_start(self) -> None:
        self._eval_rng = self._fresh_eval_rng()

    # --------------------------------------------------------------------------------------------- optimizers

    def configure_optimizers(self) -> Any:
        """Optimizer 0 is G's, 1 is D's; schedulers are named ``lr-g``/``lr-d`` for LearningRateMonitor."""
        g_opt = self.g_optimizer(self.generator.parameters())
        d_opt = self.d_optimizer(self.discriminator.parameters())
        interval = "step" if self.scheduler_interval == "batch" else "epoch"
        schedulers = [
            # "interval" tells LearningRateMonitor when to log; the system steps the schedulers itself.
            {"scheduler": build(opt), "name": name, "interval": interval}
            for build, opt, name in ((self.g_scheduler, g_opt, "lr-g"), (self.d_scheduler, d_opt, "lr-d"))
            if build is not None
        ]
        return [g_opt, d_opt], schedulers

    # ------------------------------------------------------------------------------------------- checkpointing

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        # Called on every process (Lightning gathers before rank 0 writes), so the collective below is safe.
        global_rng = torch.get_rng_state()
        if self.trainer.world_size > 1:
            global_rng = self.trainer.strategy.all_gather(global_rng.to(self.device)).cpu()
        checkpoint["gan_manual"] = {
            "batches_trained": self.batches_trained,
            "global_rng": global_rng.reshape(-1, global_rng.shape[-1]),  # one row per process
            "epoch_means": self._epoch_means.state_dict(),
            "window_means": self._window_means.state_dict(),
        }

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        state = checkpoint.get("gan_manual", {})
        self.batches_trained = state.get("batches_trained", 0)
        self._resumed_global_rng = state.get("global_rng")
        for name in ("epoch_means", "window_means"):
            if name in state:
                getattr(self, f"_{name}").load_state_dict(state[name])


def _ema_average(decay: float) -> Any:
    """AveragedModel's ``multi_avg_fn`` for an exponential moving average that forgets the initial weights fast:
    the decay after n updates is min(decay, (1 + n) / (10 + n)) (TensorFlow's ExponentialMovingAverage)."""

    def average(averaged: list[Tensor], current: list[Tensor], num_averaged: Tensor) -> None:
        n = float(num_averaged)
        torch._foreach_lerp_(averaged, current, 1.0 - min(decay, (1.0 + n) / (10.0 + n)))

    return average


def _fold(*numbers: int) -> int:
    """A 63-bit seed from a tuple of integers (a hash, so nearby tuples give unrelated streams)."""
    digest = hashlib.blake2b(repr(numbers).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1
