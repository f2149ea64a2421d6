"""Samples out of a generator network, the same on any device: noise drawn on the CPU from a seeded generator,
the network in eval mode (BatchNorm's running statistics), float results on the CPU."""

import torch
from torch import Tensor, nn


@torch.no_grad()
def draw(network: nn.Module, latent_dim: int, n: int, rng: torch.Generator, device: torch.device) -> Tensor:
    """``n`` samples ``(n, *data_shape)`` of ``network`` (as it is, train or eval mode) from noise drawn with
    ``rng`` on the CPU."""
    z = torch.randn(n, latent_dim, generator=rng)
    return network(z.to(device)).float().cpu()


@torch.no_grad()
def generate(network: nn.Module, latent_dim: int, num_samples: int, seed: int, batch_size: int,
             device: torch.device) -> Tensor:
    """``num_samples`` samples ``(num_samples, *data_shape)`` of ``network`` in eval mode, ``batch_size`` per forward
    pass; the same ``seed`` and ``batch_size`` give the same samples."""
    rng = torch.Generator().manual_seed(seed)
    was_training = network.training
    network.eval()
    sizes = [min(batch_size, num_samples - start) for start in range(0, num_samples, batch_size)]
    samples = torch.cat([draw(network, latent_dim, n, rng, device) for n in sizes])
    network.train(was_training)
    return samples
