"""experiments/benchmark.py still runs (a few batches on the fake MNIST): both loops, any config, in float32 and
bf16-mixed."""

import sys

import pytest

from helpers import REPO, config

sys.path.insert(0, str(REPO / "experiments"))
import benchmark  # noqa: E402


# bf16 on the MLPs: on a CPU that emulates bfloat16, DCGAN's convolutions in bf16 cost this test 40 s.
@pytest.mark.parametrize("name, precision", [("configs/gan.yaml", None), ("configs/advanced_gan.yaml", None),
                                             ("configs/dcgan.yaml", None), ("configs/gan.yaml", "bf16-mixed")])
def test_both_loops_run_the_config(name, precision, fake_data, isolated):
    for loop in (benchmark.bare_loop, benchmark.lightning_loop):
        assert loop(config(name), str(fake_data), 3, 1, str(isolated / "out"), False, precision=precision) > 0
