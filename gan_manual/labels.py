"""Class labels of a conditional GAN, in one place: the prior that generated labels are drawn from, labels a user
asks for, and the checks of labels against the classes of the networks and of the data.

Labels are int64 ``(n,)`` in ``[0, num_classes)``; ``num_classes`` 0 means unconditional (no labels anywhere).
"""

from collections.abc import Sequence
from typing import Any, Optional

import torch
from torch import Tensor, nn

from gan_manual.errors import ConfigError, class_path
from gan_manual.noise import fold

class LabelPrior(nn.Module):
    """The distribution generated labels are drawn from: the training labels' class shares, set when training
    starts (:meth:`fit`) and saved in the checkpoint as the buffer ``probs`` ``(num_classes,)``; uniform until then.
    With ``num_classes`` 0 it holds nothing and draws no labels (None).

    Args:
        num_classes: The classes of the conditional networks; 0 for unconditional ones.
    """

    def __init__(self, num_classes: int = 0) -> None:
        super().__init__()
        self.num_classes = num_classes
        if num_classes:
            self.register_buffer("probs", torch.full((num_classes,), 1.0 / num_classes))

    def fit(self, datamodule: Any) -> None:
        """Takes the shares of the training labels from a datamodule that serves them (``label_frequencies()``,
        float64 ``(num_classes,)``); keeps the prior as it is for one that does not."""
        frequencies = getattr(datamodule, "label_frequencies", None)
        if self.num_classes and frequencies is not None:
            self.probs.copy_(frequencies().to(self.probs))

    def draw(self, n: int, seed: int = 0) -> Optional[Tensor]:
        """``n`` labels ``(n,)`` on the CPU, the same for the same ``seed`` (on any device: drawn in float64 on the
        CPU, from a stream of their own, not the noise's, which ``seed`` itself seeds); None if unconditional."""
        if not self.num_classes:
            return None
        rng = torch.Generator().manual_seed(fold(seed, 1))
        return torch.multinomial(self.probs.double().cpu(), n, replacement=True, generator=rng)

    def sample(self, n: int, rng: torch.Generator) -> Optional[Tensor]:
        """``n`` labels ``(n,)`` on ``rng``'s device, from ``rng`` (a training batch's stream); None if
        unconditional."""
        if not self.num_classes:
            return None
        return torch.multinomial(self.probs, n, replacement=True, generator=rng)


def num_classes_of(network: nn.Module) -> int:
    """The classes ``network`` is conditioned on (its ``num_classes``); 0 for an unconditional one."""
    return int(getattr(network, "num_classes", 0) or 0)


def repeat(labels: Sequence[int], n: int) -> Tensor:
    """``labels`` repeated to ``n`` of them, ``(n,)`` int64: ``[3, 7]`` -> 3, 7, 3, 7, ..."""
    return torch.tensor(list(labels)).repeat(-(-n // len(labels)))[:n]


def check(key: str, labels: Sequence[int], num_classes: int, unconditional: str = "the generator is unconditional"
          ) -> None:
    """A ConfigError naming ``key`` if the generator takes no labels (``unconditional`` says so) or one of
    ``labels`` is not a class in ``[0, num_classes)`` (the first such)."""
    if not num_classes:
        raise ConfigError(f"{key}: {unconditional}; it takes no labels")
    wrong = [label for label in labels if not 0 <= label < num_classes]
    if wrong:
        raise ConfigError(f"{key}: {wrong[0]} is not a class of this generator; it takes 0 to {num_classes - 1}")


def check_networks(generator: nn.Module, discriminator: nn.Module, data_classes: Optional[int]) -> int:
    """The classes both networks are conditioned on (0: neither is); a ConfigError if they or the data (its
    ``num_classes``, None: not known) disagree."""
    g_classes, d_classes = num_classes_of(generator), num_classes_of(discriminator)
    if g_classes != d_classes:
        raise ConfigError(
            f"model.discriminator: {class_path(discriminator)} is conditional on {d_classes} classes, the "
            f"generator {class_path(generator)} on {g_classes} (0: unconditional); both networks take the same "
            f"labels or neither does (set condition on both, or on neither)"
        )
    if g_classes and data_classes is not None and g_classes != data_classes:
        reason = "has no class labels" if data_classes == 0 else f"has {data_classes} classes"
        raise ConfigError(f"model.generator: {class_path(generator)} is conditional on {g_classes} classes; the "
                          f"data {reason} (data.num_classes)")
    return g_classes


def check_condition(role: str, condition: Optional[str], num_classes: int, pack: int = 1) -> int:
    """The classes a shipped network ``model.<role>`` is conditioned on: ``num_classes`` if ``condition`` is set,
    else 0; a ConfigError for labels it cannot use (no labelled data, or packs of samples)."""
    if condition is None:
        return 0
    if num_classes <= 0:
        raise ConfigError(
            f"model.{role}: condition={condition} needs labelled data (num_classes > 0, linked from the "
            f"datamodule); this data has no class labels: unset condition, or use data with class folders/labels"
        )
    if pack > 1:
        raise ConfigError(f"model.{role}: condition={condition} with pack={pack}: a pack of samples has no one "
                          f"label; use pack=1 for a conditional discriminator")
    return num_classes
