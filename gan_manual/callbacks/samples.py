"""Callbacks that show what the generator makes: from fixed noise during training, an image grid or a 2D
scatter for toy data, to every TensorBoard logger (step = training batches) and optionally a PNG per epoch under
``<log_dir>/samples/``.
"""

from functools import partial
from pathlib import Path
from typing import Optional

import lightning as L
from jsonargparse.typing import PositiveFloat, PositiveInt
from lightning.pytorch.loggers import TensorBoardLogger
from torch import Tensor
from torchvision.utils import save_image

from gan_manual import files
from gan_manual.errors import require_data_shape
from gan_manual.pictures import class_rows, image_grid, scatter


class SampleWriter(L.Callback):
    """Every ``every_n_epochs`` training epochs, renders ``num_samples`` samples of fixed noise.

    Args:
        num_samples: Samples per picture.
        every_n_epochs: Epoch interval.
        seed: Seed of the fixed noise; the same pictures for the same generator, on any device.
        save_png: Also save ``samples/epoch=NNN.png`` next to the run's logs.
    """

    tag = "samples"

    def __init__(
        self, num_samples: PositiveInt = 64, every_n_epochs: PositiveInt = 1, seed: int = 0, save_png: bool = True
    ) -> None:
        self.num_samples = num_samples
        self.every_n_epochs = every_n_epochs
        self.seed = seed
        self.save_png = save_png

    def render(self, samples: Tensor, datamodule: L.LightningDataModule) -> Tensor:
        """Samples ``(N, *data_shape)`` on the CPU -> an image ``(3, H, W)`` in [0, 1]."""
        raise NotImplementedError

    def check(self, datamodule: L.LightningDataModule) -> None:
        """Raises a ConfigError when the data's samples are not what this picture draws (the CLI asks first)."""

    def labels(self, num_classes: int) -> Optional[Tensor]:
        """The classes ``(num_samples,)`` a conditional generator is asked for; None: drawn from the data's."""
        return None

    def on_train_epoch_end(self, trainer: L.Trainer, pl_module: L.LightningModule) -> None:
        if trainer.fast_dev_run or (trainer.current_epoch + 1) % self.every_n_epochs:
            return  # fast_dev_run writes nothing, as Lightning's own callbacks do
        log_dir = trainer.log_dir  # a collective under DDP: every process has to ask
        if not trainer.is_global_zero:
            return
        labels = self.labels(pl_module.num_classes) if pl_module.num_classes else None
        # One draw of noise for all of them.
        samples = pl_module.generate(self.num_samples, self.seed, batch_size=self.num_samples, labels=labels)
        image = self.render(samples, trainer.datamodule)
        for logger in trainer.loggers:
            if isinstance(logger, TensorBoardLogger):
                logger.experiment.add_image(self.tag, image, global_step=pl_module.batches_trained)
        if self.save_png:
            folder = Path(log_dir or trainer.default_root_dir) / "samples"
            files.write(folder / f"epoch={trainer.current_epoch:03d}.png", partial(save_image, image, format="png"))


class ImageGrid(SampleWriter):
    """Images in [-1, 1] on a grid of ``nrow`` columns (torchvision's ``make_grid``). From a conditional generator,
    row ``r`` shows class ``r`` (modulo the number of classes): ``num_samples: 100, nrow: 10`` shows MNIST's ten."""

    def __init__(
        self,
        num_samples: PositiveInt = 64,
        nrow: PositiveInt = 8,
        every_n_epochs: PositiveInt = 1,
        seed: int = 0,
        save_png: bool = True,
    ) -> None:
        super().__init__(num_samples=num_samples, every_n_epochs=every_n_epochs, seed=seed, save_png=save_png)
        self.nrow = nrow

    def render(self, samples: Tensor, datamodule: L.LightningDataModule) -> Tensor:
        return image_grid(samples, self.nrow)

    def labels(self, num_classes: int) -> Optional[Tensor]:
        return class_rows(self.num_samples, self.nrow, num_classes)

    def check(self, datamodule: L.LightningDataModule) -> None:
        require_data_shape(datamodule, lambda shape: len(shape) == 3, "ImageGrid draws images (C, H, W)",
                           " (PointCloud draws 2D points)")


class PointCloud(SampleWriter):
    """2D samples (red) over real data (grey) in the square [-extent, extent]^2, ``size`` pixels wide.

    Args:
        extent: Half-width of the plotted square.
        size: Image side in pixels.
    """

    def __init__(
        self,
        num_samples: PositiveInt = 2500,
        extent: PositiveFloat = 1.5,
        size: PositiveInt = 256,
        every_n_epochs: PositiveInt = 1,
        seed: int = 0,
        save_png: bool = True,
    ) -> None:
        super().__init__(num_samples=num_samples, every_n_epochs=every_n_epochs, seed=seed, save_png=save_png)
        self.extent = extent
        self.size = size

    def check(self, datamodule: L.LightningDataModule) -> None:
        require_data_shape(datamodule, lambda shape: shape == (2,), "PointCloud draws 2D points",
                           " (ImageGrid draws images)")

    def render(self, samples: Tensor, datamodule: L.LightningDataModule) -> Tensor:
        # Real data behind the samples where the datamodule serves reference samples (a picture, not a metric).
        reference = getattr(datamodule, "reference_samples", None)
        real = reference("train", self.num_samples) if reference is not None else None
        return scatter(samples, self.extent, self.size, background=real)
