"""Runs and checkpoints made before a change keep working after it, to the bit.

tests/data/v0.1/ holds two tiny runs written by gan_manual 0.1.0 at commit ee9d047 (before the system was
reshaped): ``ring`` (configs/toy_ring.yaml with small nets, 2 D steps per G step, D warm-up, R1, StepLR, rolling
means, G's moving average) and ``mnist`` (configs/gan.yaml with small nets and a moving average, on the tests'
fake MNIST). Each has the run's ``config.yaml``, its ``last.ckpt``, and what ``sample`` wrote from it then
(``samples.pt``, ``grid.png``) with the seed and count below.
"""

import pytest
import torch
from torchvision.io import decode_png, read_file

from gan_manual import GAN
from gan_manual.cli import main
from helpers import TESTS

OLD = TESTS / "data" / "v0.1"
#: run -> (seed, num_samples) of the sample command that wrote samples.pt and grid.png.
SAMPLED = {"ring": (3, 50), "mnist": (5, 4)}


@pytest.mark.parametrize("run", sorted(SAMPLED))
def test_old_checkpoint_loads_and_samples_the_same(run, isolated):
    ckpt = OLD / run / "last.ckpt"
    model = GAN.load_from_checkpoint(ckpt, weights_only=True)
    assert model.generator_ema is not None
    seed, n = SAMPLED[run]
    main(["sample", "--ckpt_path", str(ckpt), "--num_samples", str(n), "--output_dir", "out", "--seed", str(seed)])
    assert torch.equal(torch.load(isolated / "out/samples.pt", weights_only=True),
                       torch.load(OLD / run / "samples.pt", weights_only=True))
    assert torch.equal(decode_png(read_file(str(isolated / "out/grid.png"))), decode_png(read_file(str(OLD / run / "grid.png"))))


@pytest.mark.parametrize("run", sorted(SAMPLED))
def test_old_config_reruns_to_the_same_weights(run, isolated):
    cli = main(["fit", "-c", str(OLD / run / "config.yaml")])
    theirs = torch.load(OLD / run / "last.ckpt", weights_only=True)
    ours = cli.model.state_dict()
    assert ours.keys() == theirs["state_dict"].keys()
    for name, value in ours.items():
        assert torch.equal(value, theirs["state_dict"][name]), name
    assert cli.model.batches_trained == theirs["gan_manual"]["batches_trained"]
