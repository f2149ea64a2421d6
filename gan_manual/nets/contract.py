"""What the system asks of a generator and a discriminator, checked once before the first batch.

A generator has ``latent_dim`` and maps noise ``(B, latent_dim)`` to samples ``(B, *data_shape)``; a
discriminator maps samples ``(B, *data_shape)`` to raw scores ``(B,)`` (or one per pack of samples, ``(B / k,)``).
Conditional networks have ``num_classes`` > 0 (both of them, the same number, the data's) and take labels ``(B,)``
(int64 in ``[0, num_classes)``) as a second argument: ``G(z, y)``, ``D(x, y)``; such a D may return
``(scores (B,), class_logits (B, num_classes))`` (ACGAN).
The check runs both networks once on a small batch, in eval mode and without gradients, so it changes no weight,
no BatchNorm statistic and no random number generator.
"""

from typing import Any, Optional

import torch
from torch import nn

from gan_manual import labels
from gan_manual.errors import ConfigError, class_path


@torch.no_grad()
def check_networks(generator: nn.Module, discriminator: nn.Module, data_shape: tuple[int, ...],
                   batch_size: int = 4, num_classes: Optional[int] = None) -> bool:
    """Raises a ConfigError naming the network, its class and the broken rule, with the shapes seen. With the
    data's ``num_classes``, conditional networks must match it. Returns whether D gives class logits (ACGAN)."""
    data_shape = tuple(data_shape)
    classes = labels.check_networks(generator, discriminator, num_classes)
    latent_dim = getattr(generator, "latent_dim", None)
    if not isinstance(latent_dim, int) or latent_dim <= 0:
        raise ConfigError(
            f"model.generator: {class_path(generator)} has no positive integer latent_dim attribute "
            f"({latent_dim!r}); the system draws noise (B, latent_dim) for the generator and needs to know its width"
        )
    modes = [(m, m.training) for m in (generator, discriminator)]
    for module, _ in modes:
        module.eval()
    try:
        device = next((p.device for p in generator.parameters()), torch.device("cpu"))
        z = torch.randn(batch_size, latent_dim, generator=torch.Generator().manual_seed(0)).to(device)
        y = (torch.arange(batch_size) % classes).to(device) if classes else None
        fake = _run(generator, "model.generator", z, y)
        expected = (batch_size, *data_shape)
        if tuple(fake.shape) != expected:
            raise ConfigError(
                f"model.generator: {class_path(generator)} returns {tuple(fake.shape)} for noise "
                f"{tuple(z.shape)}; it must return (B, *data_shape) = {expected}"
            )
        output = _run(discriminator, "model.discriminator", fake, y)
        logits = output[1] if isinstance(output, tuple) and len(output) == 2 and classes else None
        scores = output[0] if logits is not None else output
        wrong_logits = logits is not None and tuple(logits.shape) != (batch_size, classes)
        if not isinstance(scores, torch.Tensor) or wrong_logits:
            raise ConfigError(
                f"model.discriminator: {class_path(discriminator)} returns {_shapes(output)} for samples "
                f"{expected}; it must return raw scores ({batch_size},)"
                + (f", or those and class logits ({batch_size}, {classes})" if classes else "")
            )
        if scores.dim() != 1 or scores.shape[0] == 0 or batch_size % scores.shape[0]:
            raise ConfigError(
                f"model.discriminator: {class_path(discriminator)} returns {tuple(scores.shape)} for samples "
                f"{expected}; it must return one raw score per sample, ({batch_size},) (or one per pack of k samples, "
                f"({batch_size} / k,))" + (" (squeeze the last dimension)" if scores.dim() == 2 else "")
            )
    finally:
        for module, training in modes:
            module.train(training)
    return logits is not None


def _shapes(output: Any) -> Any:
    if isinstance(output, torch.Tensor):
        return tuple(output.shape)
    return tuple(_shapes(o) for o in output) if isinstance(output, (tuple, list)) else type(output).__name__


def _run(network: nn.Module, key: str, x: torch.Tensor, y: Optional[torch.Tensor]) -> Any:
    try:
        return network(x) if y is None else network(x, y)
    except Exception as error:  # a shape mismatch inside the network: say which network and what it was given
        reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
        given = f"{tuple(x.shape)}" + ("" if y is None else f" and labels {tuple(y.shape)}")
        raise ConfigError(
            f"{key}: {class_path(network)} fails on input {given} ({type(error).__name__}: {reason})"
        ) from error
