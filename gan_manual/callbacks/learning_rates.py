"""Each network's learning rate under its network's name."""

from typing import Any

from lightning.pytorch.callbacks import LearningRateMonitor

from gan_manual.optimization import NETWORKS, network_of


class LearningRates(LearningRateMonitor):
    """Lightning's LearningRateMonitor, logging the generator's rate as ``lr-g`` and the discriminator's as
    ``lr-d`` whether or not a network has a scheduler (Lightning names an optimizer without one by its class:
    ``lr-Adam``, ``lr-Adam-1``). Arguments as LearningRateMonitor's."""

    # Overrides a private LearningRateMonitor method (Lightning 2.4 to 2.6; setup.cfg pins lightning<2.7).
    def _find_names_from_optimizers(self, optimizers: list[Any], *args: Any, **kwargs: Any) -> tuple[list, list]:
        names, without_scheduler = super()._find_names_from_optimizers(optimizers, *args, **kwargs)
        for i, (group_names, optimizer) in enumerate(zip(names, without_scheduler)):
            if optimizer in optimizers[:2]:  # the system's two, in NETWORKS' order
                short = "lr-" + NETWORKS[network_of(optimizers[:2], optimizer)]
                names[i] = [short + name[name.index("/"):] if "/" in name else short for name in group_names]
        return names, without_scheduler
