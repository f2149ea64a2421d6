"""``python -m gan_manual sample``: samples from a checkpoint alone, no config needed.

    python -m gan_manual sample --ckpt_path CKPT --num_samples N --output_dir DIR [--seed S]

Writes ``DIR/samples.pt`` (float ``(N, *data_shape)`` in the data's range: ``(N, C, H, W)`` in [-1, 1] for
images) and ``DIR/grid.png`` (the first 100 images on a grid, or a scatter of 2D samples). The networks are
rebuilt from the class paths and arguments saved in the checkpoint, loaded with ``weights_only=True``.
"""

import argparse
import re
import warnings
from pathlib import Path
from typing import NoReturn, Optional

import torch
from torchvision.utils import save_image

from gan_manual.console import check_writable, fail
from gan_manual.errors import ConfigError, causes
from gan_manual.pictures import picture
from gan_manual.resume import read_checkpoint
from gan_manual.system import GAN


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        fail(f"{message} (python -m gan_manual sample --help)")


def _positive(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{value} is not a positive integer")
    return value


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m gan_manual sample", description=__doc__,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--ckpt_path", required=True, help="a checkpoint written by gan_manual fit")
    p.add_argument("--num_samples", type=_positive, default=64)
    p.add_argument("--output_dir", required=True, help="folder for samples.pt and grid.png (made if missing)")
    p.add_argument("--seed", type=int, default=0, help="seed of the noise: same seed, same samples")
    p.add_argument("--batch_size", type=_positive, default=1000, help="samples per forward pass")
    return p


def load(ckpt_path: str) -> GAN:
    """The system saved in ``ckpt_path``, rebuilt on the CPU from the class paths and arguments in it."""
    read_checkpoint(ckpt_path)  # a clear error for a missing, truncated or foreign file
    try:
        with warnings.catch_warnings():  # rebuilt outside the CLI, the system's hparams hold the nets: harmless
            warnings.filterwarnings("ignore", message="Attribute '.*' is an instance of `nn.Module`")
            return GAN.load_from_checkpoint(ckpt_path, map_location="cpu", weights_only=True)
    except Exception as error:
        missing = _import_problem(error)
        if missing is None:
            raise
        raise ConfigError(
            f"ckpt_path: {ckpt_path} names a class that does not import here ({missing}); run from the folder that "
            f"holds its module, or add that folder to PYTHONPATH"
        ) from error


def _import_problem(error: BaseException) -> Optional[str]:
    """``No module named 'x'`` (or the like) if ``error`` or one of its causes is a failed import."""
    for cause in causes(error):
        found = re.search(r"No module named '[^']+'|[Cc]annot import name '[^']+'|has no attribute '[^']+'", str(cause))
        if isinstance(cause, ImportError) or found:
            return found.group(0) if found else str(cause)
    return None


def main(argv: Optional[list[str]] = None) -> None:
    args = parser().parse_args(argv)
    check_writable("output_dir", Path(args.output_dir))
    samples = load(args.ckpt_path).generate(args.num_samples, args.seed, args.batch_size)
    out = Path(args.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.save(samples, out / "samples.pt")
    save_image(picture(samples), out / "grid.png")
    print(f"wrote {out / 'samples.pt'} {tuple(samples.shape)} and {out / 'grid.png'}")
