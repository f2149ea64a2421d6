"""gan_manual: config-first GAN training with Lightning's manual optimization."""

from typing import Any

__all__ = ["GAN"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    # GAN is imported when first asked for, not with the package: `python -m gan_manual` checks the installation
    # (a torchvision built for another torch) before torch, Lightning and torchvision are imported.
    if name == "GAN":
        from gan_manual.system import GAN

        return GAN
    raise AttributeError(f"module 'gan_manual' has no attribute {name!r}")
