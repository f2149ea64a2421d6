"""R3GAN's networks: sized from the data, conditional as R3GAN's, starting as their skip paths (fix-up
initialisation), and resampling by linear interpolation."""

import math

import pytest
import torch

from gan_manual.errors import ConfigError
from gan_manual.nets import R3GANDiscriminator, R3GANGenerator
from gan_manual.nets.r3gan import GAIN, ResidualBlock, downsample, upsample

SMALL = {"cardinality": 4, "blocks": 2, "expansion": 2}


@pytest.mark.parametrize("shape, widths", [((3, 32, 32), (32, 32, 16, 16)), ((1, 28, 28), (16, 16, 8)),
                                           ((3, 4, 4), (8,))])
def test_sized_from_the_data(shape, widths):
    g = R3GANGenerator(data_shape=shape, latent_dim=16, widths=widths, **SMALL)
    d = R3GANDiscriminator(data_shape=shape, widths=tuple(reversed(widths)), **SMALL)
    x = g(torch.randn(3, 16))
    assert x.shape == (3, *shape) and d(x).shape == (3,)
    with pytest.raises(ConfigError, match=f"one width per resolution .* {len(widths)} here; got {len(widths) + 1}"):
        R3GANGenerator(data_shape=shape, widths=(*widths, 8), **SMALL)


def test_conditional_as_r3gans_concat_in_g_projection_in_d():
    g = R3GANGenerator(data_shape=(1, 28, 28), latent_dim=8, widths=(8, 8, 8), num_classes=10, condition="concat",
                       **SMALL)
    d = R3GANDiscriminator(data_shape=(1, 28, 28), widths=(8, 8, 8), num_classes=10, condition="projection", **SMALL)
    z, y = torch.randn(4, 8), torch.tensor([0, 1, 2, 3])
    x = g(z, y)
    assert not torch.equal(x, g(z, torch.tensor([4, 5, 6, 7])))  # the label changes the sample
    assert torch.allclose(d(x, y), (d.score(d.basis(d.stages[-1](_body(d, x))).flatten(1)) * d.embed(y)).sum(1))
    with pytest.raises(ConfigError, match="needs labelled data"):
        R3GANGenerator(condition="concat", num_classes=0)


def _body(d, x):
    x = d.from_image(x)
    for stage, widen in zip(d.stages, d.widen):
        x = widen(downsample(stage(x)))
    return x


def test_blocks_start_as_their_skip_paths_and_scale_as_fixup_says():
    block = ResidualBlock(channels=16, cardinality=4, expansion=2, total_blocks=16)
    x = torch.randn(2, 16, 8, 8)
    assert torch.equal(block(x), x)  # the last convolution starts at zero
    first = block.body[0].weight  # 1x1, fan-in 16, std GAIN * 16 ** -0.25 / 4
    assert first.std().item() == pytest.approx(GAIN * 16 ** -0.25 / math.sqrt(16), rel=0.1)
    assert block.body[2].groups == 4 and block.body[2].weight.shape == (32, 8, 3, 3)


def test_resampling_is_linear_interpolation():
    x = torch.arange(4.0).view(1, 1, 1, 4).expand(1, 1, 4, 4)  # columns 0 1 2 3
    up = upsample(x)
    assert torch.allclose(up[0, 0, 2], torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 1.5]))  # zeros beyond
    # Down: [1, 2, 1] / 4 around every second column (zeros beyond): (0 + 0 + 0.5) / 4, (0.5 + 2 + 1.5) / 4, ...
    assert torch.allclose(downsample(up)[0, 0, 2], torch.tensor([0.125, 1.0, 2.0, 2.5]))
