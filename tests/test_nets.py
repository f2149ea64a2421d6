"""The shipped networks' shapes, the categorical code in front of the generator, spectral norm."""

import pytest
import torch
from torch.nn.utils import parametrize

from gan_manual.errors import ConfigError
from gan_manual.nets import (DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator, ResNetDiscriminator,
                             ResNetGenerator)
from gan_manual.nets.latent import CategoricalCode


def test_code_is_uniform_one_hot_beside_scaled_noise():
    z = torch.randn(40_000, 3, generator=torch.Generator().manual_seed(0))
    out = CategoricalCode(num_values=8, noise_std=0.1)(z)
    assert out.shape == (40_000, 8 + 2)
    one_hot = out[:, :8]
    assert torch.equal(one_hot.sum(1), torch.ones(40_000)) and set(one_hot.unique().tolist()) == {0.0, 1.0}
    share = one_hot.mean(0)
    assert torch.allclose(share, torch.full((8,), 1 / 8), atol=0.01)  # each value 1/8 of the time (+- 4.5 sd)
    assert torch.equal(out[:, 8:], 0.1 * z[:, 1:])
    order = z[:, 0].argsort()  # the code grows with the first coordinate: neighbouring noise, neighbouring values
    assert (one_hot[order].argmax(1).diff() >= 0).all()


def test_generator_with_a_code_takes_the_same_noise():
    g = MLPGenerator(latent_dim=3, hidden_dims=(16,), data_shape=(2,), tanh=False, code_values=5)
    assert g.latent_dim == 3 and g.net[1].in_features == 5 + 2
    assert g(torch.randn(7, 3)).shape == (7, 2)


def test_shapes():
    g = MLPGenerator(latent_dim=10, hidden_dims=(16, 32))
    d = MLPDiscriminator(hidden_dims=(16,))
    x = g(torch.randn(4, 10))
    assert x.shape == (4, 1, 28, 28) and x.abs().max() <= 1
    assert d(x).shape == (4,)


def test_maxout_discriminator_keeps_the_largest_piece_of_each_unit():
    torch.manual_seed(0)
    d = MLPDiscriminator(data_shape=(2,), hidden_dims=(6, 4), maxout_pieces=5)
    x = torch.randn(8, 2)
    assert d(x).shape == (8,)
    first = d.net[1]  # after Flatten: Maxout(Linear(2, 6 * 5))
    pieces = first.linear(x).view(8, 6, 5)
    assert torch.equal(first(x), pieces.max(dim=2).values)
    assert first.linear.out_features == 30 and d.net[2].linear.in_features == 6
    assert not any(isinstance(m, torch.nn.LeakyReLU) for m in d.modules())


def test_pacgans_toy_generator_options():
    torch.manual_seed(0)
    g = MLPGenerator(latent_dim=2, hidden_dims=(400,) * 4, data_shape=(2,), first_batch_norm=True,
                     negative_slope=0.0, tanh=False, init_std=0.02)
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in g.modules()) == 4
    linears = [m for m in g.modules() if isinstance(m, torch.nn.Linear)]
    assert all((m.bias == 0).all() for m in linears)
    assert torch.cat([m.weight.flatten() for m in linears]).std().item() == pytest.approx(0.02, rel=0.02)
    assert g(torch.randn(16, 2)).shape == (16, 2)
    default = MLPGenerator(latent_dim=2, hidden_dims=(400,) * 4, data_shape=(2,))
    assert sum(isinstance(m, torch.nn.BatchNorm1d) for m in default.modules()) == 3
    assert max(m.bias.abs().max().item() for m in default.modules() if isinstance(m, torch.nn.Linear)) > 0


def test_dcgan_generator_code_picks_the_norms_of_one_of_k_values():
    from gan_manual.nets.conditioning import ConditionalBatchNorm
    from gan_manual.nets.latent import code_of

    torch.manual_seed(0)
    g = DCGANGenerator(code_values=10).eval()
    assert g.num_classes == 0  # unconditional: the system draws no labels for it
    norms = [m for m in g.modules() if isinstance(m, ConditionalBatchNorm)]
    assert len(norms) == 2 and all(m.gain.num_embeddings == 10 for m in norms)
    assert torch.bincount(code_of(torch.randn(4000, 100), 10), minlength=10).min() > 300  # uniform over 10
    with torch.no_grad():
        for m in norms:  # every value a gain and bias of its own
            m.gain.weight.normal_()
            m.bias.weight.normal_()
        g.project[0].weight[:, 0] = 0  # the first coordinate now acts through the code alone
        z = torch.randn(1, 100).repeat(3, 1)
        z[:, 0] = torch.tensor([-2.0, -1.9, 2.0])  # codes 0, 0, 9
        assert code_of(z, 10).tolist() == [0, 0, 9]
        x = g(z)
    assert torch.equal(x[0], x[1]) and not torch.allclose(x[0], x[2], atol=1e-3)
    with pytest.raises(ConfigError, match="code_values and condition"):
        DCGANGenerator(code_values=10, num_classes=10, condition="batchnorm")


def test_packed_discriminator_judges_packs_of_consecutive_samples():
    torch.manual_seed(0)
    d = MLPDiscriminator(data_shape=(2,), hidden_dims=(8,), pack=2)
    x = 3 * torch.randn(6, 2)
    out = d(x).detach()
    assert out.shape == (3,)
    # pack 1 is samples 2 and 3, whatever else is in the batch (up to float rounding of a different batch size)
    assert (out[1] - d(x[2:4])[0]).abs() < 1e-6
    swapped = x.clone()
    swapped[[2, 3]] = x[[3, 2]]
    assert (d(swapped)[1] - out[1]).abs() > 1e-3  # concatenated, not pooled: order within a pack counts
    try:
        d(torch.randn(5, 2))
    except ValueError as error:
        assert str(error) == "discriminator.pack=2 needs batches of a multiple of 2, got 5"
    else:
        raise AssertionError("an odd batch went through")


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (3, 64, 64)])
def test_dcgan_nets_are_sized_from_the_data(shape):
    g, d = DCGANGenerator(shape, latent_dim=16, width=8), DCGANDiscriminator(shape, width=8)
    x = g(torch.randn(4, 16))
    assert x.shape == (4, *shape) and x.abs().max() <= 1
    assert d(x).shape == (4,)
    # Every stage doubles the side: the first map is 7x7 for 28, 4x4 for 32 and 64.
    assert g.base == (7 if shape[1] == 28 else 4)


def test_dcgan_refuses_sizes_it_cannot_build():
    with pytest.raises(ConfigError, match=r"model.generator: DCGAN nets take square images .* not data_shape \(1, 30, 30\)"):
        DCGANGenerator((1, 30, 30))
    with pytest.raises(ConfigError, match="model.discriminator"):
        DCGANDiscriminator((3, 32, 16))


@pytest.mark.parametrize("make", [lambda sn: MLPDiscriminator(hidden_dims=(16,), spectral_norm=sn),
                                  lambda sn: DCGANDiscriminator(width=8, batch_norm=False, spectral_norm=sn),
                                  lambda sn: ResNetDiscriminator((1, 28, 28), width=8, spectral_norm=sn)],
                         ids=["mlp", "dcgan", "resnet"])
def test_spectral_norm_bounds_every_layer(make):
    torch.manual_seed(0)
    plain, normed = make(False), make(True)
    layers = [m for m in normed.modules() if isinstance(m, (torch.nn.Linear, torch.nn.Conv2d))]
    assert layers and all(parametrize.is_parametrized(m, "weight") for m in layers)
    assert not any(parametrize.is_parametrized(m) for m in plain.modules())
    normed.train()
    for _ in range(30):  # power iterations run in training forward passes
        normed(torch.randn(8, 1, 28, 28))
    for m in layers:
        weight = m.weight.flatten(1)
        assert torch.linalg.matrix_norm(weight, ord=2).item() == pytest.approx(1.0, abs=0.05)


def test_packed_dcgan_discriminator_stacks_pairs_along_the_channels():
    torch.manual_seed(0)
    d = DCGANDiscriminator((3, 28, 28), width=8, batch_norm=False, pack=2)
    x = torch.randn(6, 3, 28, 28)
    out = d(x)
    assert out.shape == (3,) and d.net[0].in_channels == 6
    assert torch.allclose(out[1], d(x[2:4])[0], atol=1e-6)  # pack 1 is samples 2 and 3, whatever surrounds them
    with pytest.raises(ValueError, match="pack=2 needs batches of a multiple of 2"):
        d(torch.randn(5, 3, 28, 28))


def test_resnet_nets_have_sngans_32x32_layout():
    g, d = ResNetGenerator(), ResNetDiscriminator()
    # SNGAN's CIFAR-10 networks as mimicry's sngan_32 counts them: 4.3M and 1.1M weights.
    assert sum(p.numel() for p in g.parameters()) == 4_276_739
    assert sum(p.numel() for p in d.parameters()) == 1_053_825
    assert len(g.blocks) == 3 and g.base == 4
    assert [b.down for b in d.blocks] == [True, True, False, False] and d.blocks[0].first
    x = g(torch.randn(2, 128))
    assert x.shape == (2, 3, 32, 32) and x.abs().max() <= 1 and d(x).shape == (2,)


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 64, 64)])
def test_resnet_nets_are_sized_from_the_data(shape):
    g, d = ResNetGenerator(shape, latent_dim=8, width=8), ResNetDiscriminator(shape, width=8, pack=2)
    x = g(torch.randn(4, 8))
    assert x.shape == (4, *shape) and d(x).shape == (2,)
    assert d.blocks[0].conv1.in_channels == 2 * shape[0]
    with pytest.raises(ConfigError, match=r"model.discriminator: ResNet nets take square images .* 16, 28, 32"):
        ResNetDiscriminator((3, 14, 14))


def test_dcgan_generator_can_double_by_resizing_instead_of_transposed_convolution():
    g = DCGANGenerator((1, 28, 28), latent_dim=8, width=8, upsample="nearest")
    assert not any(isinstance(m, torch.nn.ConvTranspose2d) for m in g.modules())
    assert sum(isinstance(m, torch.nn.Upsample) for m in g.modules()) == 2
    assert g(torch.randn(3, 8)).shape == (3, 1, 28, 28)
