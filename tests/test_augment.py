"""DiffAugment: each transform does what it says, draws only from the generator it is given, and lets gradients
through to G."""

import pytest
import torch

from gan_manual.augment import DiffAugment


def rng(seed: int = 0) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def test_same_generator_same_transforms():
    x = torch.randn(6, 3, 16, 16)
    augment = DiffAugment(policy=("color", "translation", "cutout"))
    assert torch.equal(augment(x, rng(1)), augment(x, rng(1)))
    assert not torch.equal(augment(x, rng(1)), augment(x, rng(2)))
    state = torch.get_rng_state()
    augment(x, rng(1))
    assert torch.equal(torch.get_rng_state(), state), "the global RNG must not be drawn from"


def test_translation_shifts_with_a_zero_border():
    x = torch.arange(1.0, 65.0).view(1, 1, 8, 8).repeat(50, 1, 1, 1)
    out = DiffAugment(policy=("translation",), translation_ratio=0.25)(x, rng())
    for image in out[:, 0]:
        rows, cols = (image != 0).nonzero(as_tuple=True)
        top, left = rows.min().item(), cols.min().item()
        dy, dx = int(image[top, left].item() - 1) // 8 - top, int(image[top, left].item() - 1) % 8 - left
        assert -2 <= dy <= 2 and -2 <= dx <= 2  # at most a quarter of the side
        shifted = torch.zeros(8, 8)
        for r in range(8):
            for c in range(8):
                if 0 <= r + dy < 8 and 0 <= c + dx < 8:
                    shifted[r, c] = x[0, 0, r + dy, c + dx]
        assert torch.equal(image, shifted)


def test_cutout_zeroes_one_square_of_half_the_side():
    out = DiffAugment(policy=("cutout",), cutout_ratio=0.5)(torch.ones(40, 1, 8, 8), rng())
    for image in out[:, 0]:
        rows, cols = (image == 0).nonzero(as_tuple=True)
        height, width = rows.max() - rows.min() + 1, cols.max() - cols.min() + 1
        assert len(rows) == height * width and height <= 4 and width <= 4  # one square, clipped at the edges
        assert len(rows) > 0


def test_color_changes_rgb_and_gradients_flow():
    x = torch.randn(4, 3, 8, 8, requires_grad=True)
    out = DiffAugment(policy=("color",))(x, rng())
    assert out.shape == x.shape and not torch.allclose(out, x)
    out.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()


@pytest.mark.parametrize("policy", [("translation",), ("cutout",)])
def test_gradients_reach_the_input_through_each_transform(policy):
    x = torch.randn(3, 1, 8, 8, requires_grad=True)
    (DiffAugment(policy=policy)(x, rng()) ** 2).sum().backward()
    assert x.grad.abs().sum() > 0
