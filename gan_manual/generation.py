"""Samples out of a generator network, and finished samples on disk.

Made the same on any device: noise drawn on the CPU from a seeded generator, the network in eval mode (BatchNorm's
running statistics), float results on the CPU; a conditional network is given labels ``(n,)`` as well. Written
one way by ``predict``, ``sample`` and a study's cells: :func:`write`.
"""

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Optional

import torch
from torch import Tensor, nn
from torchvision.utils import save_image

from gan_manual import files
from gan_manual.pictures import picture as draw_picture


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
             device: torch.device, labels: Optional[Tensor] = None,
             progress: Optional[Callable[[int], None]] = None) -> Tensor:
    """``num_samples`` samples ``(num_samples, *data_shape)`` of ``network`` in eval mode, ``batch_size`` per forward
    pass, of the classes ``labels`` ``(num_samples,)`` if given; the same ``seed`` and ``batch_size`` give the same
    samples. ``progress`` is told the number made after each forward pass."""
    rng = torch.Generator().manual_seed(seed)
    was_training = network.training
    network.eval()
    samples: Optional[Tensor] = None  # filled in place: half the memory of joining the batches at the end
    for start in range(0, num_samples, batch_size):
        batch = draw(network, latent_dim, min(batch_size, num_samples - start), rng, device,
                     None if labels is None else labels[start : start + batch_size])
        if samples is None:
            samples = batch.new_empty((num_samples, *batch.shape[1:]))
        samples[start : start + len(batch)] = batch
        if progress is not None:
            progress(start + len(batch))
    network.train(was_training)
    return samples


def write(folder: Path, samples: Tensor, labels: Optional[Tensor] = None, picture: Optional[Tensor] = None,
          picture_name: Optional[str] = "grid.png", suffix: str = "") -> list[Path]:
    """Writes ``samples`` ``(N, *data_shape)`` to ``folder/samples{suffix}.pt``, their ``labels`` ``(N,)`` (if
    any) to ``labels{suffix}.pt`` and a picture ``(3, H, W)`` in [0, 1] to ``picture_name`` (None: no picture):
    ``picture``, by default :func:`gan_manual.pictures.picture` of the samples. Makes ``folder``; returns the
    files written, all at once (:func:`gan_manual.files.together`)."""
    folder = Path(folder)
    with files.together() as add:  # all of them or none: samples.pt never beside another run's labels.pt
        written = [add(folder / f"samples{suffix}.pt", partial(torch.save, samples), samples.nbytes)]
        if labels is not None:
            written.append(add(folder / f"labels{suffix}.pt", partial(torch.save, labels), labels.nbytes))
        if picture_name is not None:
            shown = draw_picture(samples) if picture is None else picture
            written.append(add(folder / picture_name, partial(save_image, shown, format="png")))
    return written
