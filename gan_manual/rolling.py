"""Running statistics of the per-batch scalars, kept on the device.

Lightning's ``self.log`` moves its result state to the value's device on every call, which costs a measurable
share of a small GAN's batch. So the system accumulates here and calls ``self.log``
only on the batches the logger writes (with the means since the previous write) and at epoch end (with the epoch
means).
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


class BatchLogs:
    """The per-batch scalars of a run between Lightning's writes: epoch means, means since the last write, and the
    losses' means over the last ``rolling_window`` steps (``rolling``, none for 0; the system registers it as a
    module, so the windows are in its state_dict)."""

    def __init__(self, rolling_window: int = 0) -> None:
        names = ("d_loss", "g_loss") if rolling_window else ()
        self.rolling = nn.ModuleDict({name: RollingMean(rolling_window) for name in names})
        self.epoch, self.window = Means(), Means()

    def add(self, values: dict[str, Tensor], write: bool) -> dict[str, Tensor]:
        """Adds a batch's scalars. On a batch the logger ``write``s, returns what to log: the means since the last
        write, so every metric has a value even if its network did not step on this batch, and the rolling means
        (``<name>_rolling``); else nothing."""
        self.epoch.add(values)
        self.window.add(values)
        rolling = {f"{k}_rolling": mean(values[k]) for k, mean in self.rolling.items() if k in values}
        return {**self.window.pop(), **rolling} if write else {}

    def state_dict(self) -> dict:
        return {"epoch_means": self.epoch.state_dict(), "window_means": self.window.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        for means, key in ((self.epoch, "epoch_means"), (self.window, "window_means")):
            if key in state:
                means.load_state_dict(state[key])
