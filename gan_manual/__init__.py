"""gan_manual: config-first GAN training with Lightning's manual optimization."""

from gan_manual.system import GAN

__all__ = ["GAN"]
__version__ = "0.1.0"
