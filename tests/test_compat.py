"""Runs and checkpoints made before a change keep working after it, to the bit.

tests/data/v0.1/ holds the ``config.yaml`` of two tiny runs written by gan_manual 0.1.0 at commit ee9d047 (before
the system was reshaped): ``ring`` (configs/toy_ring.yaml with small nets, 2 D steps per G step, D warm-up, R1,
StepLR, rolling means, G's moving average) and ``mnist`` (configs/gan.yaml with small nets and a moving average,
on the tests' fake MNIST). The 0.1.0 code, taken from git history, trains their checkpoints again and samples them,
on the machine the test runs on; this code must load those checkpoints, sample them to the same bits, and train the
configs to the same weights. No bits recorded on another machine are compared (another CPU gives other last bits).
"""

from pathlib import Path

import pytest
import torch
from torchvision.io import decode_png, read_file

import reference
from gan_manual import GAN
from gan_manual.cli import main
from helpers import TESTS, run_cli

pytestmark = pytest.mark.slow  # 0.1.0's code trains its checkpoints in processes of their own

OLD = TESTS / "data" / "v0.1"
#: The commit of gan_manual 0.1.0, which wrote the configs in OLD.
OLD_COMMIT = "ee9d047"
#: run -> (seed, num_samples) of the sample command, as 0.1.0's users ran it.
SAMPLED = {"ring": (3, 50), "mnist": (5, 4)}


@pytest.fixture(scope="module")
def old_runs(tmp_path_factory, fake_data) -> dict[str, tuple[Path, Path]]:
    """run -> (the ``last.ckpt`` that gan_manual 0.1.0 writes from ``OLD/run/config.yaml``, the folder where its
    ``sample`` command wrote ``samples.pt`` and ``grid.png`` from that checkpoint)."""
    try:
        code = reference.code_at(OLD_COMMIT, tmp_path_factory.mktemp("gan_manual_0.1.0"))
    except LookupError as e:
        pytest.skip(f"{e}: gan_manual 0.1.0")
    runs = {}
    for run, (seed, n) in SAMPLED.items():
        folder = tmp_path_factory.mktemp(f"v0.1_{run}")
        done = run_cli(["fit", "-c", str(OLD / run / "config.yaml")], folder, fake_data, code=code)
        assert done.returncode == 0, done.stderr[-2000:]
        (ckpt,) = folder.glob("runs/*/version_0/checkpoints/last.ckpt")
        done = run_cli(["sample", "--ckpt_path", str(ckpt), "--num_samples", str(n), "--output_dir", "sampled",
                        "--seed", str(seed)], folder, fake_data, code=code)
        assert done.returncode == 0, done.stderr[-2000:]
        runs[run] = ckpt, folder / "sampled"
    return runs


@pytest.mark.parametrize("run", sorted(SAMPLED))
def test_old_checkpoint_loads_and_samples_the_same(run, old_runs, isolated):
    ckpt, theirs = old_runs[run]
    model = GAN.load_from_checkpoint(ckpt, weights_only=True)
    assert model.generator_ema is not None
    seed, n = SAMPLED[run]
    main(["sample", "--ckpt_path", str(ckpt), "--num_samples", str(n), "--output_dir", "out", "--seed", str(seed)])
    ours = torch.load(isolated / "out/samples.pt", weights_only=True)
    assert ours.shape == (n, *model.generator.data_shape)
    assert torch.equal(ours, torch.load(theirs / "samples.pt", weights_only=True))
    assert torch.equal(decode_png(read_file(str(isolated / "out/grid.png"))),
                       decode_png(read_file(str(theirs / "grid.png"))))


@pytest.mark.parametrize("run", sorted(SAMPLED))
def test_old_config_reruns_to_the_same_weights(run, old_runs, isolated):
    cli = main(["fit", "-c", str(OLD / run / "config.yaml")])
    theirs = torch.load(old_runs[run][0], weights_only=True)
    ours = cli.model.state_dict()
    assert ours.keys() == theirs["state_dict"].keys()
    for name, value in ours.items():
        assert torch.equal(value, theirs["state_dict"][name]), name
    assert cli.model.batches_trained == theirs["gan_manual"]["batches_trained"]
