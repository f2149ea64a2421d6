"""Running statistics of the per-batch scalars, kept on the device.

Lightning's ``self.log`` costs about 0.5 ms a call on this CPU (it moves its result state to the value's device
on every call): five metrics a batch cost 10% of a batch of the notebook's MLP GAN. So the system accumulates
here and calls ``self.log`` only on the batches the logger writes (with the means since the previous write) and
at epoch end (with the epoch means).
"""

import torch
from torch import Tensor, nn


class RollingMean(nn.Module):
    """Mean of the last ``window`` values passed to ``forward``; its state is part of the checkpoint.

    Not torchmetrics' ``RunningMean``: its ``compute`` reduces all ``window`` states on every call; this keeps one
    ring buffer and one ``nanmean``, with no host sync.
    """

    def __init__(self, window: int) -> None:
        super().__init__()
        self.register_buffer("values", torch.full((window,), float("nan")))
        self.register_buffer("position", torch.zeros(1, dtype=torch.long))

    def forward(self, value: Tensor) -> Tensor:
        """Adds a scalar ``value`` and returns the mean over the window (over fewer values at first)."""
        self.values.index_copy_(0, self.position, value.detach().reshape(1).to(self.values.dtype))
        self.position.add_(1).remainder_(self.values.numel())
        return self.values.nanmean()


class Means:
    """Means of named scalars, each over the batches that produced it, since the last ``pop``."""

    def __init__(self) -> None:
        self.sums: dict[str, Tensor] = {}
        self.counts: dict[str, int] = {}

    def add(self, values: dict[str, Tensor]) -> None:
        for name, value in values.items():
            self.sums[name] = self.sums[name] + value if name in self.sums else value.detach().clone()
            self.counts[name] = self.counts.get(name, 0) + 1

    def state_dict(self) -> dict:
        return {"sums": dict(self.sums), "counts": dict(self.counts)}

    def load_state_dict(self, state: dict) -> None:
        self.sums, self.counts = dict(state["sums"]), dict(state["counts"])

    def pop(self) -> dict[str, Tensor]:
        """The means so far, and a fresh start."""
        means = {name: total / self.counts[name] for name, total in self.sums.items()}
        self.sums, self.counts = {}, {}
        return means
