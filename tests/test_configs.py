"""Every YAML in configs/ and experiments/ builds through the CLI and trains a few batches, run exactly as the
command on its first line says; every part (a piece a config includes by path) is used by one of them."""

import pytest
import torch

from gan_manual.cli import main
from helpers import PARTS, REPO, TINY, YAMLS, run_command


def test_there_are_configs():
    assert {"configs/gan.yaml", "configs/advanced_gan.yaml", "configs/custom_training_gan.yaml",
            "configs/wgan.yaml", "configs/toy_ring.yaml", "configs/toy_grid.yaml"} <= {str(p) for p in YAMLS}
    assert any(str(p).startswith("experiments/") for p in YAMLS)


@pytest.mark.parametrize("path", YAMLS, ids=str)
def test_config_trains(path, isolated):
    cli = main(["fit", *run_command(path), *TINY])
    model = cli.model
    assert model.batches_trained == 4
    assert cli.trainer.global_step > 0
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert list(isolated.glob("runs/*/version_0/config.yaml")), "no saved config"


@pytest.mark.parametrize("part", PARTS, ids=str)
def test_every_part_is_used_by_a_config_that_runs(part):
    """A part is a piece a config names by a path relative to itself (``callbacks: callbacks/mnist.yaml``); the
    configs that name it are run above."""
    def names_it(path) -> bool:
        folder = (REPO / path).parent
        return (REPO / part).is_relative_to(folder) and (REPO / part).relative_to(folder).as_posix() in (
            REPO / path).read_text()

    assert any(names_it(p) for p in YAMLS), f"{part} is included by no config in configs/ or experiments/"
