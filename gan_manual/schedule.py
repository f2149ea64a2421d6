"""Which network takes an optimizer step on which training batch: a pure function of the batch index.

Batch indices count training batches over the whole run (not ``trainer.global_step``, which counts every
optimizer step, so it moves by 1 + d_steps_per_g_step per batch or more).

One *cycle* holds ``d_steps_per_g_step`` D steps and one G step:

* ``reuse_batch=False`` (WGAN-GP's Algorithm 1, the default): every D step takes a fresh real batch, so a cycle
  spans ``d_steps_per_g_step`` batches and G steps on one of them. ``d_steps_per_g_step=3`` is therefore also
  "G on every 3rd batch" (configs/custom_training_gan.yaml).
* ``reuse_batch=True`` (configs/advanced_gan.yaml): all D steps of a cycle reuse one real batch, each with
  fresh noise, so every batch is a whole cycle.

``order`` puts G's step before the cycle's D steps or after them. During the first ``d_warmup_batches`` batches
only D steps (one per batch, or ``d_steps_per_g_step`` per batch when reusing the batch).
"""

from dataclasses import dataclass
from typing import Literal

Order = Literal["d_then_g", "g_then_d"]


@dataclass(frozen=True)
class Schedule:
    d_steps_per_g_step: int = 1
    d_warmup_batches: int = 0
    order: Order = "d_then_g"
    reuse_batch: bool = False

    def steps(self, batch: int) -> tuple[str, ...]:
        """The optimizer steps of training batch ``batch`` (0-based, counted over the run), in order: 'd' or 'g'."""
        k = self.d_steps_per_g_step
        d_steps = ("d",) * (k if self.reuse_batch else 1)
        if batch < self.d_warmup_batches:
            return d_steps
        if not self.reuse_batch:
            position = (batch - self.d_warmup_batches) % k
            g_here = position == (0 if self.order == "g_then_d" else k - 1)
            if not g_here:
                return d_steps
        return ("g",) + d_steps if self.order == "g_then_d" else d_steps + ("g",)

    def steps_per_batch(self) -> float:
        """Mean optimizer steps per batch after warm-up: what ``trainer.global_step`` grows by per batch."""
        return (self.d_steps_per_g_step + 1) / (1 if self.reuse_batch else self.d_steps_per_g_step)
