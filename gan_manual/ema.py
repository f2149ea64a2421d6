"""An exponential moving average of G's weights (as in ProGAN, BigGAN, StyleGAN), sampled from instead of G."""

from torch import Tensor, nn
from torch.optim.swa_utils import AveragedModel

from gan_manual import compat


def moving_average(generator: nn.Module, decay: float) -> AveragedModel:
    """An average of ``generator`` that :meth:`~torch.optim.swa_utils.AveragedModel.update_parameters` moves towards
    it, with the decay min(``decay``, (1 + n) / (10 + n)) after n updates (TensorFlow's ExponentialMovingAverage):
    the random initial weights fade fast. BatchNorm statistics are copied from G, not averaged (StyleGAN's
    choice). No gradients: no optimizer ever steps it. A schedule (:class:`gan_manual.callbacks.Ramps`) may set
    its ``scheduled_decay``, which then replaces both ``decay`` and the warm-up."""

    def average(averaged: list[Tensor], current: list[Tensor], num_averaged: Tensor) -> None:
        n = float(num_averaged)
        scheduled = getattr(ema, "scheduled_decay", None)
        compat.lerp_(averaged, current, 1.0 - (min(decay, (1.0 + n) / (10.0 + n)) if scheduled is None else scheduled))

    ema = AveragedModel(generator, multi_avg_fn=average, use_buffers=False)
    return ema.requires_grad_(False)
