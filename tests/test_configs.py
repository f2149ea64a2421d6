"""Every YAML in configs/ and experiments/ builds through the CLI and trains a few batches, run exactly as the
command on its first line says."""

import shlex

import pytest
import torch

from gan_manual.cli import main

from conftest import REPO, TINY

YAMLS = sorted(p.relative_to(REPO) for folder in ("configs", "experiments") for p in (REPO / folder).rglob("*.yaml"))


def run_command(path) -> list[str]:
    """The ``-c`` arguments of the '# Run: python -m gan_manual fit ...' line that opens every YAML."""
    first = (REPO / path).read_text().splitlines()[0]
    prefix = "# Run: python -m gan_manual fit "
    assert first.startswith(prefix), f"{path} must start with '{prefix}...'"
    args = shlex.split(first[len(prefix):])
    assert str(path) in args, f"{path}'s run command does not use it"
    return [str(REPO / a) if a.endswith(".yaml") else a for a in args]


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
