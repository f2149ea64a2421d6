"""DDP on 2 CPU processes (gloo), as a user starts it: every shipped config trains; both processes end with equal
G and D weights after different data. Batches of 12 (divisible by every pack size shipped) instead of the configs'
64: what DDP must keep in step does not depend on the batch's size, and 26 configs at full size cost 14 minutes of
CI on a 2-core CPU without AVX-512."""

import pytest
import torch

from helpers import TINY, YAMLS, run_cli, run_command

DDP = ["--trainer.strategy=ddp", "--trainer.devices=2", "--trainer.accelerator=cpu",
       "--data.init_args.batch_size=12"]
RUNS = [p for p in YAMLS if "/" not in str(p.relative_to(p.parts[0]))]  # the full configs; fragments add nothing here


@pytest.mark.parametrize("path", RUNS, ids=str)
def test_two_processes_train_every_config_in_step(path, isolated, fake_data):
    record = '--trainer.callbacks+={"class_path": "probes.RecordRank", "init_args": {"out_dir": "ranks"}}'
    command = ["fit", *run_command(path), *TINY, "--trainer.limit_train_batches=6", *DDP, record]
    result = run_cli(command, isolated, fake_data)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "ddp -> ddp_find_unused_parameters_true" in result.stderr

    ranks = [torch.load(isolated / f"ranks/rank{r}.pt", weights_only=True) for r in (0, 1)]
    assert ranks[0]["params"].keys() == ranks[1]["params"].keys()
    for name, value in ranks[0]["params"].items():
        assert torch.equal(value, ranks[1]["params"][name]), f"{name} differs between the processes"
    seen = [r["seen"] for r in ranks]
    assert len(seen[0]) == len(seen[1]) == 6
    assert not set(seen[0]) & set(seen[1]), "the two processes saw the same batches"
    assert list(isolated.glob("runs/*/version_0/checkpoints/last.ckpt")), "rank 0 saved the checkpoint"
