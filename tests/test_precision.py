"""Mixed precision: bf16-mixed trains on CPU; under 16-mixed the clipping sees unscaled gradients.

Lightning turns ``precision=16-mixed`` into bf16 on a CPU; the fp16 path (GradScaler) is tested here with its
plugin built by hand on the CPU, which runs the same unscale -> on_before_optimizer_step -> step sequence.
"""

import pytest
import torch
from lightning.pytorch.plugins.precision import MixedPrecision

from gan_manual import machine
from gan_manual.cli import main
from helpers import LR, TINY, config, d_update_norm


@pytest.mark.parametrize("name", ["gan", "wgan"])  # wgan: the gradient penalty's double backward under autocast
def test_bf16_mixed_trains_on_cpu(name, isolated):
    cli = main(["fit", "-c", config(f"configs/{name}.yaml"), *TINY, "--trainer.precision=bf16-mixed"])
    assert cli.trainer.precision == "bf16-mixed"
    assert cli.model.batches_trained == 4
    assert all(torch.isfinite(p).all() and p.dtype == torch.float32 for p in cli.model.parameters())


@pytest.mark.parametrize("native", [True, False])
def test_bf16_on_a_cpu_that_emulates_it_is_noted(native, isolated, monkeypatch, capfd):
    monkeypatch.setattr(machine, "native_bfloat16", lambda: native)
    main(["fit", "-c", config("configs/gan.yaml"), *TINY, "--trainer.limit_train_batches=1",
          "--trainer.precision=bf16-mixed"])
    noted = "trainer.precision: bf16-mixed on a CPU without native bfloat16" in capfd.readouterr().err
    assert noted == (not native)


def test_float32_is_not_noted(isolated, monkeypatch, capfd):
    monkeypatch.setattr(machine, "native_bfloat16", lambda: False)
    main(["fit", "-c", config("configs/gan.yaml"), *TINY, "--trainer.limit_train_batches=1"])
    assert "trainer.precision" not in capfd.readouterr().err


def test_clipping_happens_after_unscaling_under_16_mixed():
    scale = 2.0**10
    plugin = MixedPrecision("16-mixed", "cpu", scaler=torch.amp.GradScaler("cpu", init_scale=scale))
    # Clipping the scaled gradients would move D by LR * 1e-3 / scale; clipped after unscaling, by LR * 1e-3.
    assert d_update_norm(plugins=[plugin], d_clip_norm=1e-3) == pytest.approx(LR * 1e-3, rel=1e-3)
    assert plugin.scaler.get_scale() == scale  # no step was skipped for inf/NaN gradients
