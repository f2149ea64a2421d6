"""Batches sliced from tensors held in memory: one index op per batch instead of per-item transforms."""

import math

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, Sampler


class TensorBatches(Dataset):
    """Indexing with a 1-D index tensor returns a whole batch: ``tuple(t[idx] for t in tensors)``."""

    def __init__(self, *tensors: Tensor) -> None:
        if any(t.shape[0] != tensors[0].shape[0] for t in tensors):
            raise ValueError("all tensors need the same first dimension")
        self.tensors = tensors

    def __getitem__(self, idx: Tensor) -> tuple[Tensor, ...]:
        return tuple(t[idx] for t in self.tensors)

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class SeededBatchSampler(Sampler[Tensor]):
    """Yields index tensors of ``batch_size``; epoch ``e`` uses the permutation drawn from ``(seed, e)``.

    The order depends on nothing but the seed and the epoch (Lightning calls ``set_epoch``), not on the global
    RNG, so a run and its rerun from the saved config see the same batches.
    """

    def __init__(self, size: int, batch_size: int, seed: int, shuffle: bool = True, drop_last: bool = True) -> None:
        self.size = size
        self.batch_size = batch_size
        self.seed = seed
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        if self.shuffle:
            rng = torch.Generator().manual_seed((self.seed * 1_000_003 + self.epoch) % 2**63)
            order = torch.randperm(self.size, generator=rng)
        else:
            order = torch.arange(self.size)
        for i in range(len(self)):
            yield order[i * self.batch_size : (i + 1) * self.batch_size]

    def __len__(self) -> int:
        rounding = math.floor if self.drop_last else math.ceil
        return rounding(self.size / self.batch_size)


def batch_loader(
    tensors: tuple[Tensor, ...], batch_size: int, seed: int, shuffle: bool, drop_last: bool
) -> DataLoader:
    """A DataLoader over in-memory ``tensors``: no workers, no collation, one slice per batch."""
    sampler = SeededBatchSampler(tensors[0].shape[0], batch_size, seed, shuffle=shuffle, drop_last=drop_last)
    # batch_size=None turns off automatic batching: each sampled index tensor is fetched as one batch.
    return DataLoader(TensorBatches(*tensors), sampler=sampler, batch_size=None, num_workers=0)
