"""Each network's learning rate under its network's name."""

from typing import Any

from gan_manual import compat
from gan_manual.optimization import NETWORKS, network_of


class LearningRates(compat.HookedLearningRateMonitor):
    """Lightning's LearningRateMonitor, logging the generator's rate as ``lr-g`` and the discriminator's as
    ``lr-d`` whether or not a network has a scheduler (Lightning names an optimizer without one by its class:
    ``lr-Adam``, ``lr-Adam-1``). Arguments as LearningRateMonitor's."""

    def rename(self, names: list[list[str]], without_scheduler: list[Any], optimizers: list[Any]) -> list[list[str]]:
        for i, (group_names, optimizer) in enumerate(zip(names, without_scheduler)):
            if optimizer in optimizers[:2]:  # the system's two, in NETWORKS' order
                short = "lr-" + NETWORKS[network_of(optimizers[:2], optimizer)]
                names[i] = [short + name[name.index("/"):] if "/" in name else short for name in group_names]
        return names
