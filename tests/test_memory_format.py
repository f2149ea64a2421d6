"""ChannelsLast: the convolution weights train in NHWC order, and what is saved loads into a plain model."""

import torch

from gan_manual import GAN
from gan_manual.cli import main
from helpers import TINY, config


def test_dcgan_trains_channels_last_and_its_checkpoint_loads_anywhere(isolated):
    cli = main(["fit", "-c", config("configs/dcgan.yaml"), *TINY])
    model = cli.model
    convs = [m.weight for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d))]
    assert convs and all(w.is_contiguous(memory_format=torch.channels_last) for w in convs)
    assert not all(w.is_contiguous() for w in convs)  # not merely 1x1 kernels that are both
    loaded = GAN.load_from_checkpoint(next(isolated.glob("runs/dcgan/version_0/checkpoints/last.ckpt")),
                                      weights_only=True)
    samples = model.generate(8, seed=0)
    assert torch.allclose(loaded.generate(8, seed=0), samples, atol=1e-5)  # NCHW kernels: other rounding
    assert torch.equal(loaded.to(memory_format=torch.channels_last).generate(8, seed=0), samples)
