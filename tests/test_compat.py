"""Runs and checkpoints made before a change keep working after it, to the bit.

tests/data/v0.1/ holds two tiny runs written by gan_manual 0.1.0 at commit ee9d047 (before the system was
reshaped): ``ring`` (configs/toy_ring.yaml with small nets, 2 D steps per G step, D warm-up, R1, StepLR, rolling
means, G's moving average) and ``mnist`` (configs/gan.yaml with small nets and a moving average, on the tests'
fake MNIST). Each has the run's ``config.yaml`` and what ``sample`` wrote from its checkpoint then (``samples.pt``,
``grid.png``) with the seed and count below. The checkpoints themselves are not committed (no run output is): the
0.1.0 code, taken from git history, trains them again from those configs (bit-identical to the ones it wrote then).
"""

import subprocess
from pathlib import Path

import pytest
import torch
from torchvision.io import decode_png, read_file

from gan_manual import GAN
from gan_manual.cli import main
from helpers import REPO, TESTS, run_cli

pytestmark = pytest.mark.slow  # 0.1.0's code trains its checkpoints in processes of their own

OLD = TESTS / "data" / "v0.1"
#: The commit of gan_manual 0.1.0, which wrote the runs in OLD.
OLD_COMMIT = "ee9d047"
#: run -> (seed, num_samples) of the sample command that wrote samples.pt and grid.png.
SAMPLED = {"ring": (3, 50), "mnist": (5, 4)}


@pytest.fixture(scope="module")
def old_checkpoints(tmp_path_factory, fake_data) -> dict[str, Path]:
    """run -> the ``last.ckpt`` that gan_manual 0.1.0 writes from ``OLD/run/config.yaml``."""
    known = subprocess.run(["git", "-C", str(REPO), "cat-file", "-e", f"{OLD_COMMIT}^{{commit}}"], capture_output=True)
    if known.returncode != 0:
        pytest.skip(f"commit {OLD_COMMIT} (gan_manual 0.1.0) is not in this clone's history (a shallow clone?)")
    code = tmp_path_factory.mktemp("gan_manual_0.1.0")
    archive = subprocess.run(["git", "-C", str(REPO), "archive", OLD_COMMIT, "gan_manual"], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(code)], input=archive, check=True)
    checkpoints = {}
    for run in SAMPLED:
        folder = tmp_path_factory.mktemp(f"v0.1_{run}")
        done = run_cli(["fit", "-c", str(OLD / run / "config.yaml")], folder, fake_data, code=code)
        assert done.returncode == 0, done.stderr[-2000:]
        (checkpoints[run],) = folder.glob("runs/*/version_0/checkpoints/last.ckpt")
    return checkpoints


@pytest.mark.parametrize("run", sorted(SAMPLED))
def test_old_checkpoint_loads_and_samples_the_same(run, old_checkpoints, isolated):
    ckpt = old_checkpoints[run]
    model = GAN.load_from_checkpoint(ckpt, weights_only=True)
    assert model.generator_ema is not None
    seed, n = SAMPLED[run]
    main(["sample", "--ckpt_path", str(ckpt), "--num_samples", str(n), "--output_dir", "out", "--seed", str(seed)])
    assert torch.equal(torch.load(isolated / "out/samples.pt", weights_only=True),
                       torch.load(OLD / run / "samples.pt", weights_only=True))
    assert torch.equal(decode_png(read_file(str(isolated / "out/grid.png"))), decode_png(read_file(str(OLD / run / "grid.png"))))


@pytest.mark.parametrize("run", sorted(SAMPLED))
def test_old_config_reruns_to_the_same_weights(run, old_checkpoints, isolated):
    cli = main(["fit", "-c", str(OLD / run / "config.yaml")])
    theirs = torch.load(old_checkpoints[run], weights_only=True)
    ours = cli.model.state_dict()
    assert ours.keys() == theirs["state_dict"].keys()
    for name, value in ours.items():
        assert torch.equal(value, theirs["state_dict"][name]), name
    assert cli.model.batches_trained == theirs["gan_manual"]["batches_trained"]
