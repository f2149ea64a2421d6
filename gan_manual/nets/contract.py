"""What the system asks of a generator and a discriminator, checked once before the first batch.

A generator has ``latent_dim`` and maps noise ``(B, latent_dim)`` to samples ``(B, *data_shape)``; a
discriminator maps samples ``(B, *data_shape)`` to raw scores ``(B,)`` (or one per pack of samples, ``(B / k,)``).
The check runs both networks once on a small batch, in eval mode and without gradients, so it changes no weight,
no BatchNorm statistic and no random number generator.
"""

import torch
from torch import nn

from gan_manual.errors import ConfigError


def _name(network: nn.Module) -> str:
    return f"{type(network).__module__}.{type(network).__qualname__}"


@torch.no_grad()
def check_networks(generator: nn.Module, discriminator: nn.Module, data_shape: tuple[int, ...],
                   batch_size: int = 4) -> None:
    """Raises a ConfigError naming the network, its class and the broken rule, with the shapes seen."""
    data_shape = tuple(data_shape)
    latent_dim = getattr(generator, "latent_dim", None)
    if not isinstance(latent_dim, int) or latent_dim <= 0:
        raise ConfigError(
            f"model.generator: {_name(generator)} has no positive integer latent_dim attribute ({latent_dim!r}); the "
            f"system draws noise (B, latent_dim) for the generator and needs to know its width"
        )
    modes = [(m, m.training) for m in (generator, discriminator)]
    for module, _ in modes:
        module.eval()
    try:
        device = next((p.device for p in generator.parameters()), torch.device("cpu"))
        z = torch.randn(batch_size, latent_dim, generator=torch.Generator().manual_seed(0)).to(device)
        fake = _run(generator, "model.generator", z)
        expected = (batch_size, *data_shape)
        if tuple(fake.shape) != expected:
            raise ConfigError(
                f"model.generator: {_name(generator)} returns {tuple(fake.shape)} for noise {tuple(z.shape)}; it must "
                f"return (B, *data_shape) = {expected}"
            )
        scores = _run(discriminator, "model.discriminator", fake)
        if scores.dim() != 1 or scores.shape[0] == 0 or batch_size % scores.shape[0]:
            raise ConfigError(
                f"model.discriminator: {_name(discriminator)} returns {tuple(scores.shape)} for samples {expected}; it "
                f"must return one raw score per sample, ({batch_size},) (or one per pack of k samples, "
                f"({batch_size} / k,))" + (" (squeeze the last dimension)" if scores.dim() == 2 else "")
            )
    finally:
        for module, training in modes:
            module.train(training)


def _run(network: nn.Module, key: str, x: torch.Tensor) -> torch.Tensor:
    try:
        return network(x)
    except Exception as error:  # a shape mismatch inside the network: say which network and what it was given
        reason = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ConfigError(
            f"{key}: {_name(network)} fails on input {tuple(x.shape)} ({type(error).__name__}: {reason})"
        ) from error
