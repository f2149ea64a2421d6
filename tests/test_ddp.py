"""DDP on 2 CPU processes (gloo): a representative config of each kind trains, and both processes end with equal G
and D weights after different data. The other configs differ from these in settings DDP does not touch; the fast
tier trains every one of them in-process (tests/test_configs.py). Batches of 12 (divisible by every pack size
shipped) instead of the configs' 64: what DDP must keep in step does not depend on the batch's size.

Three configs run as a user starts DDP (``--trainer.strategy=ddp``: Lightning starts the second process as a new
``python -m gan_manual``); the others with ``ddp_fork``, the same DDPStrategy, gloo group and sampler with the second
process forked from the first, which saves the second process's imports of torch, torchvision and Lightning."""

import pytest
import torch

from helpers import TINY, run_cli, run_command

pytestmark = pytest.mark.slow

#: As a user types it: the MLP loop, spectral norm with DiffAugment (DCGAN's convolutions), labels in bf16.
AS_A_USER_TYPES = ["configs/gan.yaml", "experiments/dcgan_diffaugment.yaml", "configs/cdcgan.yaml"]
#: Forked: the ResNet nets (SNGAN, CIFAR-10), the toys, and packing (D sees each process's batch in packs).
FORKED = ["configs/sngan_cifar10.yaml", "configs/toy_ring.yaml", "configs/toy_grid.yaml", "experiments/pacgan_toy.yaml"]
CASES = [(p, "ddp") for p in AS_A_USER_TYPES] + [(p, "ddp_fork") for p in FORKED]


@pytest.mark.parametrize("path, strategy", CASES, ids=[f"{p}-{s}" for p, s in CASES])
def test_two_processes_train_in_step(path, strategy, isolated, fake_data):
    record = '--trainer.callbacks+={"class_path": "probes.RecordRank", "init_args": {"out_dir": "ranks"}}'
    ddp = [f"--trainer.strategy={strategy}", "--trainer.devices=2", "--trainer.accelerator=cpu",
           "--data.init_args.batch_size=12"]
    command = ["fit", *run_command(path), *TINY, "--trainer.limit_train_batches=6", *ddp, record]
    result = run_cli(command, isolated, fake_data)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"{strategy} -> {strategy}_find_unused_parameters_true" in result.stderr

    ranks = [torch.load(isolated / f"ranks/rank{r}.pt", weights_only=True) for r in (0, 1)]
    assert ranks[0]["params"].keys() == ranks[1]["params"].keys()
    for name, value in ranks[0]["params"].items():
        assert torch.equal(value, ranks[1]["params"][name]), f"{name} differs between the processes"
    seen = [r["seen"] for r in ranks]
    assert len(seen[0]) == len(seen[1]) == 6
    assert not set(seen[0]) & set(seen[1]), "the two processes saw the same batches"
    assert list(isolated.glob("runs/*/version_0/checkpoints/last.ckpt")), "rank 0 saved the checkpoint"
