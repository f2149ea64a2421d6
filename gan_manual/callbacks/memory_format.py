"""The memory format of the system's convolution weights."""

import lightning as L
import torch


class ChannelsLast(L.Callback):
    """Keeps every 4-d weight and buffer of the system (G, D, G's moving average) in channels-last order (NHWC)
    from the start of a run: oneDNN's CPU convolutions, and cuDNN's tensor-core ones, run faster on it (measured:
    docs/speed.md). Values are unchanged, so checkpoints load either way; networks without convolutions are left
    as they are."""

    def setup(self, trainer: L.Trainer, pl_module: L.LightningModule, stage: str) -> None:
        pl_module.to(memory_format=torch.channels_last)
