"""Which network steps on which batch: the pure schedule, then the real system's parameters."""

import lightning as L
import pytest
import torch

from gan_manual.schedule import Schedule
from helpers import fit, toy_gan


def first_batches(schedule: Schedule, n: int) -> list[str]:
    return ["".join(schedule.steps(b)) for b in range(n)]


@pytest.mark.parametrize(
    "schedule, expected, per_batch",
    [
        (Schedule(), ["dg"] * 4, 2),  # default: D then G each batch
        (Schedule(order="g_then_d"), ["gd"] * 4, 2),  # configs/gan.yaml
        # configs/wgan.yaml: 5 critic steps on 5 fresh batches, then G
        (Schedule(d_steps_per_g_step=5), ["d", "d", "d", "d", "dg", "d", "d", "d", "d", "dg"], 1.2),
        # configs/advanced_gan.yaml: 3 D steps on one batch, then G
        (Schedule(d_steps_per_g_step=3, reuse_batch=True), ["dddg"] * 3, 4),
        (Schedule(d_steps_per_g_step=2, reuse_batch=True, order="g_then_d"), ["gdd"] * 2, 3),
        # configs/custom_training_gan.yaml, with a warm-up of 4: D alone, then G on every 3rd batch
        (
            Schedule(d_steps_per_g_step=3, d_warmup_batches=4, order="g_then_d"),
            ["d", "d", "d", "d", "gd", "d", "d", "gd", "d"],
            4 / 3,
        ),
        (Schedule(d_steps_per_g_step=2, d_warmup_batches=2, reuse_batch=True), ["dd", "dd", "ddg", "ddg"], 3),
    ],
)
def test_schedule(schedule, expected, per_batch):
    assert first_batches(schedule, len(expected)) == expected
    assert schedule.steps_per_batch() == pytest.approx(per_batch)


class StepRecorder(L.Callback):
    """Per training batch: did G's / D's parameters change?"""

    def __init__(self) -> None:
        self.changed: list[str] = []

    @staticmethod
    def _flat(module):
        return torch.cat([p.detach().flatten().clone() for p in module.parameters()])

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        self.before = self._flat(pl_module.generator), self._flat(pl_module.discriminator)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx):
        g, d = self._flat(pl_module.generator), self._flat(pl_module.discriminator)
        g_changed, d_changed = not torch.equal(g, self.before[0]), not torch.equal(d, self.before[1])
        self.changed.append("g" * g_changed + "d" * d_changed)


def test_networks_step_as_scheduled():
    model = toy_gan(d_steps_per_g_step=3, d_warmup_batches=2, order="g_then_d")
    recorder = StepRecorder()
    trainer = fit(model, batches=9, callbacks=[recorder])
    assert recorder.changed == ["d", "d", "gd", "d", "d", "gd", "d", "d", "gd"]
    assert model.batches_trained == 9
    # Lightning's global_step counts optimizer steps, not batches: 9 D steps + 3 G steps.
    assert trainer.global_step == 12
    assert all(p.requires_grad for p in model.discriminator.parameters())  # unfrozen after each G step


def test_repeated_d_steps_on_one_batch():
    model = toy_gan(d_steps_per_g_step=4, reuse_batch=True)
    recorder = StepRecorder()
    trainer = fit(model, batches=3, callbacks=[recorder])
    assert recorder.changed == ["gd"] * 3
    assert trainer.global_step == 15
