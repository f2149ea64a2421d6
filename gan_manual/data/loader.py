"""Batches sliced from tensors held in memory: one index op per batch instead of per-item transforms.

The training loader is resumable: its position is part of Lightning's checkpoint, so a run resumed mid-epoch
continues at the next batch instead of replaying or skipping the rest of the epoch.
"""

import math
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, DistributedSampler

from gan_manual.noise import shuffle_seed


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


# A DistributedSampler only so that Lightning leaves it alone under DDP: Lightning wraps any other sampler in a
# DistributedSamplerWrapper, which would reshuffle the batches, ignore set_epoch and hide this sampler's state.
class SeededBatchSampler(DistributedSampler):
    """Yields index tensors of ``batch_size``; epoch ``e`` uses the permutation drawn from ``(seed, e)``.

    The order depends on nothing but the seed and the epoch (Lightning calls ``set_epoch``), not on the global
    RNG, so a run and its rerun from the saved config see the same batches. With ``num_replicas`` processes,
    process ``rank`` takes every ``num_replicas``-th batch of the same permutation: different data on every
    process, and the same number of batches. The state (epoch, batches yielded) makes a mid-epoch resume exact.
    """

    def __init__(
        self,
        size: int,
        batch_size: int,
        seed: int,
        shuffle: bool = True,
        drop_last: bool = True,
        rank: int = 0,
        num_replicas: int = 1,
    ) -> None:
        # DistributedSampler.__init__ is not called: it needs a process group; this class keeps its own fields.
        self.size = size
        self.batch_size = batch_size
        self.seed = seed
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.rank = rank
        self.num_replicas = num_replicas
        self.epoch = 0
        self._start = 0  # batches of this epoch to skip at the next __iter__ (set by load_state_dict)
        self._yielded = 0

    def set_epoch(self, epoch: int) -> None:
        if epoch != self.epoch:
            self._start = 0
        self.epoch = epoch

    def __iter__(self):
        if self.shuffle:
            rng = torch.Generator().manual_seed(shuffle_seed(self.seed, self.epoch))
            order = torch.randperm(self.size, generator=rng)
        else:
            order = torch.arange(self.size)
        start, self._start = self._start, 0
        self._yielded = start
        for i in range(start, len(self)):
            batch = i * self.num_replicas + self.rank
            self._yielded += 1
            yield order[batch * self.batch_size : (batch + 1) * self.batch_size]

    def __len__(self) -> int:
        rounding = math.floor if self.drop_last else math.ceil
        return rounding(self.size / self.batch_size) // self.num_replicas

    def state_dict(self) -> dict[str, Any]:
        return {"epoch": self.epoch, "batches_yielded": self._yielded}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        done = state["batches_yielded"] >= len(self)  # saved at the epoch's end: the next one starts afresh
        self.epoch = state["epoch"] + 1 if done else state["epoch"]
        self._start = 0 if done else state["batches_yielded"]


class ResumableLoader(DataLoader):
    """A DataLoader whose ``state_dict`` is its sampler's; Lightning saves it in checkpoints and restores it."""

    def state_dict(self) -> dict[str, Any]:
        return self.sampler.state_dict()

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.sampler.load_state_dict(state)


def batch_loader(
    tensors: tuple[Tensor, ...],
    batch_size: int,
    seed: int,
    shuffle: bool,
    drop_last: bool,
    rank: int = 0,
    num_replicas: int = 1,
) -> DataLoader:
    """A DataLoader over in-memory ``tensors``: no workers, no collation, one slice per batch."""
    sampler = SeededBatchSampler(
        tensors[0].shape[0], batch_size, seed, shuffle=shuffle, drop_last=drop_last, rank=rank,
        num_replicas=num_replicas,
    )
    # batch_size=None turns off automatic batching: each sampled index tensor is fetched as one batch. A generator
    # of its own, because every iter() of a DataLoader draws a worker seed from it, by default the global RNG:
    # a resumed run would otherwise find the global RNG one draw off.
    return ResumableLoader(
        TensorBatches(*tensors), sampler=sampler, batch_size=None, num_workers=0, generator=torch.Generator()
    )
