"""experiments/benchmark.py still measures what it says (a few batches on the fake MNIST): both loops train the
config's networks for the batches asked and time the batches after the warm-up, in float32 and bf16-mixed."""

import math
import sys

import pytest
import torch

from helpers import REPO, config

sys.path.insert(0, str(REPO / "experiments"))
import benchmark  # noqa: E402


# advanced_gan: the MLP loop with a penalty, clipping and D steps per G step; dcgan: convolutions; bf16 on an
# MLP (a CPU that emulates bfloat16 makes DCGAN's convolutions in bf16 slow); Stacked MNIST's lazy recipe: the
# relativistic loss (G's step needs D's scores on the reals), R1 and R2 on every 4th batch, other data than
# MNIST. The last three build and train the config twice more: slow.
LAZY_RPGAN = ("configs/stacked_mnist.yaml", "experiments/stacked_mnist_r1.yaml",
              "experiments/stacked_mnist_rpgan.yaml", "experiments/stacked_mnist_rpgan_long.yaml",
              "experiments/stacked_mnist_rpgan_lazy.yaml")


@pytest.mark.parametrize("name, precision", [
    ("configs/advanced_gan.yaml", None),
    pytest.param("configs/dcgan.yaml", None, marks=pytest.mark.slow),
    pytest.param("configs/gan.yaml", "bf16-mixed", marks=pytest.mark.slow),
    pytest.param(LAZY_RPGAN, None, marks=pytest.mark.slow, id="stacked_mnist_rpgan_lazy"),
])
def test_both_loops_train_the_config_and_time_the_batches_after_warmup(name, precision, fake_data, isolated,
                                                                      monkeypatch):
    built = []

    def build(*args, **kwargs):
        cli = real_build(*args, **kwargs)
        built.append((cli, {k: v.clone() for k, v in cli.model.state_dict().items()}))
        return cli

    real_build = benchmark.build
    monkeypatch.setattr(benchmark, "build", build)
    for loop in (benchmark.bare_loop, benchmark.lightning_loop):
        files = config(name) if isinstance(name, str) else [config(n) for n in name]
        rate = loop(files, str(fake_data), 3, 1, str(isolated / "out"), False, precision=precision)
        assert math.isfinite(rate) and rate > 0, f"{loop.__name__}: {rate} batches/s"
    (bare, bare_before), (lightning, lightning_before) = built
    assert lightning.model.batches_trained == 3
    assert lightning.trainer.precision == (precision or ("bf16-mixed" if name == LAZY_RPGAN else "32-true"))
    for cli, before in built:
        for network in ("generator", "discriminator"):
            changed = [name for name, value in getattr(cli.model, network).state_dict().items()
                       if not torch.equal(value, before[f"{network}.{name}"])]
            assert changed, f"the {network} did not train"
        assert all(torch.isfinite(p).all() for p in cli.model.parameters())

