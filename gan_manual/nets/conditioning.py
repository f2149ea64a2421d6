"""Class conditioning for the shipped networks: what a label does inside a generator or a discriminator.

Generators (``condition``):
  ``batchnorm``: conditional BatchNorm (de Vries et al. 2017; Miyato & Koyama 2018): every BatchNorm of G
  normalises without its own affine and takes a per-class gain and bias instead.
  ``concat``: the label's learned embedding is concatenated to the noise before G's first layer (Mirza &
  Osindero 2014, with an embedding for the one-hot code).
Discriminators (``condition``):
  ``projection``: Miyato & Koyama 2018: the score is ``linear(phi(x)) + <embed(y), phi(x)>`` on D's features.
  ``classifier``: ACGAN (Odena et al. 2017): a second head gives class logits ``(B, num_classes)``; D returns
  ``(scores, logits)`` and the system adds ``model.class_loss`` to both losses.

A conditional network has ``num_classes > 0`` and is called with labels, ``G(z, y)`` and ``D(x, y)``; the CLI
links ``num_classes`` from the datamodule. With ``condition`` unset a network is built exactly as before (the
same layers, in the same order, so the same initial weights for a seed).
"""

from collections.abc import Callable
from typing import Literal, Optional

from torch import Tensor, nn

from gan_manual.nets.norms import maybe_spectral_norm

GeneratorCondition = Optional[Literal["batchnorm", "concat"]]
DiscriminatorCondition = Optional[Literal["projection", "classifier"]]


class ConditionalBatchNorm(nn.Module):
    """BatchNorm without affine, then a per-class gain and bias: ``(B, C, ...)`` and labels ``(B,)`` ->
    ``(B, C, ...)``. Gains start at 1 and biases at 0, so it starts as a plain BatchNorm.

    Args:
        num_features: C.
        num_classes: Rows of the gain and bias tables.
        dims: 1 for ``(B, C)`` (BatchNorm1d), 2 for ``(B, C, H, W)`` (BatchNorm2d).
    """

    def __init__(self, num_features: int, num_classes: int, dims: Literal[1, 2] = 2) -> None:
        super().__init__()
        self.norm = (nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d)(num_features, affine=False)
        self.gain = nn.Embedding(num_classes, num_features)
        self.bias = nn.Embedding(num_classes, num_features)
        nn.init.ones_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)

    def forward(self, x: Tensor, y: Tensor) -> Tensor:
        shape = (x.shape[0], x.shape[1]) + (1,) * (x.dim() - 2)
        return self.norm(x) * self.gain(y).view(shape) + self.bias(y).view(shape)


def conditional_norms(layers: nn.Sequential, num_classes: int) -> nn.Sequential:
    """``layers`` with every BatchNorm1d/2d replaced by a :class:`ConditionalBatchNorm` of its size."""
    for i, layer in enumerate(layers):
        if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
            layers[i] = ConditionalBatchNorm(layer.num_features, num_classes, 1 if isinstance(layer, nn.BatchNorm1d)
                                             else 2)
    return layers


def apply(layer: nn.Module, h: Tensor, y: Optional[Tensor]) -> Tensor:
    """``layer(h)``, or ``layer(h, y)`` for a :class:`ConditionalBatchNorm`."""
    return layer(h, y) if isinstance(layer, ConditionalBatchNorm) else layer(h)


def run(layers: nn.Sequential, h: Tensor, y: Optional[Tensor]) -> Tensor:
    """``layers`` applied in order, each :class:`ConditionalBatchNorm` given the labels ``y`` as well."""
    for layer in layers:
        h = apply(layer, h, y)
    return h


class Projection(nn.Module):
    """The class term of a projection discriminator: features ``(B, F)`` and labels ``(B,)`` -> ``(B,)``,
    ``<embed(y), features>``, added to the unconditional score. Spectrally normalised with the rest of D
    (SNGAN-projection's choice)."""

    def __init__(self, num_features: int, num_classes: int, spectral_norm: bool) -> None:
        super().__init__()
        self.embed = maybe_spectral_norm(nn.Embedding(num_classes, num_features), spectral_norm)
        nn.init.xavier_uniform_(self.embed.weight if not spectral_norm else self.embed.parametrizations.weight.original)

    def forward(self, features: Tensor, y: Tensor) -> Tensor:
        return (self.embed(y) * features).sum(1)


class DiscriminatorHead(nn.Module):
    """What a conditional discriminator does with its features ``(B, F)``: with ``projection`` the score gets the
    class term; with ``classifier`` class logits ``(B, num_classes)`` are returned beside the scores."""

    def __init__(self, condition: str, num_features: int, num_classes: int, spectral_norm: bool) -> None:
        super().__init__()
        self.condition = condition
        if condition == "projection":
            self.projection = Projection(num_features, num_classes, spectral_norm)
        else:
            self.classes = maybe_spectral_norm(nn.Linear(num_features, num_classes), spectral_norm)

    def forward(self, features: Tensor, scores: Tensor, y: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        if self.condition == "projection":
            return scores + self.projection(features, y)
        return scores, self.classes(features)


def judge(discriminator: nn.Module, x: Tensor, labels: Optional[Tensor]) -> Tensor | tuple[Tensor, Tensor]:
    """D's output on ``x`` (given the ``labels`` if conditional): scores ``(B,)``, or ``(scores, class_logits)``."""
    return discriminator(x) if labels is None else discriminator(x, labels)


def critic(discriminator: nn.Module, labels: Optional[Tensor]) -> Callable[[Tensor], Tensor]:
    """D as a function of its input alone, ``x -> scores (B,)`` (what a penalty differentiates), given ``labels``
    if conditional."""
    if labels is None:
        return discriminator
    return lambda x: scores_of(discriminator(x, labels))


def scores_of(output: Tensor | tuple[Tensor, Tensor]) -> Tensor:
    """D's scores ``(B,)`` out of what it returned: the scores, or ``(scores, class_logits)``."""
    return output[0] if isinstance(output, tuple) else output

