"""Samples out of a generator network, the same on any device: noise drawn on the CPU from a seeded generator,
the network in eval mode (BatchNorm's running statistics), float results on the CPU. A conditional network is
given labels ``(n,)`` as well."""

from typing import Optional

import torch
from torch import Tensor, nn



@torch.no_grad()
def draw(network: nn.Module, latent_dim: int, n: int, rng: torch.Generator, device: torch.device,
         labels: Optional[Tensor] = None) -> Tensor:
    """``n`` samples ``(n, *data_shape)`` of ``network`` (as it is, train or eval mode) from noise drawn with
    ``rng`` on the CPU, of the classes ``labels`` ``(n,)`` if given."""
    z = torch.randn(n, latent_dim, generator=rng).to(device)
    out = network(z) if labels is None else network(z, labels.to(device))
    return out.float().cpu()


@torch.no_grad()
def generate(network: nn.Module, latent_dim: int, num_samples: int, seed: int, batch_size: int,
             device: torch.device, labels: Optional[Tensor] = None) -> Tensor:
    """``num_samples`` samples ``(num_samples, *data_shape)`` of ``network`` in eval mode, ``batch_size`` per forward
    pass, of the classes ``labels`` ``(num_samples,)`` if given; the same ``seed`` and ``batch_size`` give the same
    samples."""
    rng = torch.Generator().manual_seed(seed)
    was_training = network.training
    network.eval()
    starts = range(0, num_samples, batch_size)
    samples = torch.cat([
        draw(network, latent_dim, min(batch_size, num_samples - start), rng, device,
             None if labels is None else labels[start : start + batch_size])
        for start in starts
    ])
    network.train(was_training)
    return samples
