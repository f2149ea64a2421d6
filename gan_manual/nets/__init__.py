"""Networks. Any ``nn.Module`` can be injected by ``class_path``; these are the shipped ones."""

from gan_manual.nets.dcgan import DCGANDiscriminator, DCGANGenerator
from gan_manual.nets.mlp import MLPDiscriminator, MLPGenerator
from gan_manual.nets.r3gan import R3GANDiscriminator, R3GANGenerator
from gan_manual.nets.resnet import ResNetDiscriminator, ResNetGenerator

__all__ = [
    "DCGANDiscriminator",
    "DCGANGenerator",
    "MLPDiscriminator",
    "MLPGenerator",
    "R3GANDiscriminator",
    "R3GANGenerator",
    "ResNetDiscriminator",
    "ResNetGenerator",
]
