"""Real MNIST, from $GAN_MANUAL_DATA as given to pytest (.ci/run sets it to ../shared/data)."""

from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from gan_manual.cli import main
from gan_manual.data import MNISTDataModule
from helpers import REAL_DATA, config

pytestmark = pytest.mark.skipif(
    not REAL_DATA or not (Path(REAL_DATA) / "MNIST" / "raw").is_dir(),
    reason="real MNIST needs GAN_MANUAL_DATA=<folder holding MNIST/raw/>",
)


def test_real_mnist_splits_and_range():
    dm = MNISTDataModule(root=REAL_DATA)
    dm.setup("fit")
    assert dm.train_tensors[0].shape == (60000, 1, 28, 28) and dm.eval_tensors[0].shape == (10000, 1, 28, 28)
    images, labels = dm.on_after_batch_transfer(next(iter(dm.train_dataloader())), 0)
    assert images.min() == -1.0 and images.max() == 1.0
    assert set(labels.tolist()) <= set(range(10))


@pytest.mark.slow  # a WGAN-GP run on the 60,000 real digits
def test_acceptance_wgan_run_on_real_mnist(isolated):
    """Acceptance 1: fit -c configs/wgan.yaml on MNIST, 20 batches: config, events with losses and images, last.ckpt."""
    cli = main(["fit", "-c", config("configs/wgan.yaml"), "--data.init_args.root", REAL_DATA,
                "--trainer.max_epochs", "1", "--trainer.limit_train_batches", "20", "--trainer.log_every_n_steps=5"])
    run = isolated / "runs" / "wgan" / "version_0"
    assert {"config.yaml", "checkpoints", "samples"} <= {p.name for p in run.iterdir()}
    assert (run / "checkpoints" / "last.ckpt").is_file()
    events = EventAccumulator(str(run)).Reload()
    assert {"train/d_loss", "train/g_loss", "train/d_penalty"} <= set(events.Tags()["scalars"])
    assert "samples" in events.Tags()["images"]
    assert all(torch.isfinite(torch.tensor([e.value for e in events.Scalars("train/d_loss")])))
    # 20 critic steps: the critic already tells real MNIST from the untrained generator's output.
    assert cli.model.batches_trained == 20
    assert events.Scalars("train/d_real")[-1].value > events.Scalars("train/d_fake")[-1].value
