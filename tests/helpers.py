"""What the tests share: paths, the tiny run settings, fake MNIST files, a small system and trainer, the configs'
run lines and tiny fits, folder snapshots, running the CLI in a process of its own, and a file whose disk fills
up."""

import errno
import hashlib
import os
import pickle
import shlex
import struct
import subprocess
import sys
from functools import partial
from pathlib import Path

import lightning as L
import pytest
import torch

from gan_manual import GAN
from gan_manual.cli import main
from gan_manual.data import RingDataModule
from gan_manual.nets import MLPDiscriminator, MLPGenerator

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
#: $GAN_MANUAL_DATA as given to pytest (made absolute: tests run in folders of their own), before the fixtures
#: point it at the fake data.
REAL_DATA = str(Path(os.environ["GAN_MANUAL_DATA"]).resolve()) if os.environ.get("GAN_MANUAL_DATA") else None

#: Appended to a fit command: a few batches, little validation, logs on every other batch.
TINY = [
    "--trainer.max_epochs=1",
    "--trainer.limit_train_batches=4",
    "--trainer.limit_val_batches=1",
    "--trainer.log_every_n_steps=2",
    "--trainer.enable_model_summary=false",
]


#: The MLP configs that existed at commit 08556e8 (before class labels reached the system): test_configs compares
#: their tiny fits' states with fingerprints of the states they trained to at that commit (tests/fingerprints.py).
FINGERPRINTED = [
    "configs/advanced_gan.yaml", "configs/callbacks/images.yaml", "configs/custom_training_gan.yaml",
    "configs/data/fashion_mnist.yaml", "configs/data/mnist.yaml", "configs/gan.yaml", "configs/toy_grid.yaml",
    "configs/toy_ring.yaml", "configs/trainer/smoke.yaml", "configs/wgan.yaml", "experiments/toy_grid_code.yaml",
    "experiments/toy_ring_code.yaml", "experiments/wgan_hinge_r1.yaml",
]
#: Configs with no G step in their tiny fit's first batches (a D warm-up, 5 critic steps per G step): it goes on
#: until G has stepped and D after it, or a change of G's step would go unseen.
G_STEPS = {
    "configs/custom_training_gan.yaml": ["--model.init_args.d_warmup_batches=1"],
    "configs/wgan.yaml": ["--trainer.limit_train_batches=6"],
    "configs/trainer/smoke.yaml": ["--trainer.limit_train_batches=6"],
    "configs/sngan_cifar10.yaml": ["--trainer.limit_train_batches=6"],
    "configs/augment/diffaugment_color.yaml": ["--trainer.limit_train_batches=6"],
    "experiments/sngan_projection_cifar10.yaml": ["--trainer.limit_train_batches=6"],
}
#: The other configs train on batches of 12 (divisible by every pack size shipped), 2 of them: what the tests show
#: does not depend on the batch's size, and the convolutional nets cost seconds per batch of 64 here.
SMALL = ["--data.init_args.batch_size=12", "--trainer.limit_train_batches=2"]
#: Configs whose networks cost seconds per image on a CPU (R3GAN's 768 channels at every resolution): trained with
#: narrower networks, every other setting as written.
NARROWED = {
    "configs/r3gan_cifar10.yaml": [f"--model.{net}.{key}={value}" for net in ("generator", "discriminator")
                                   for key, value in (("widths", "[16, 16, 16, 16]"), ("cardinality", 4))],
}


def tiny_fit(path, root: Path | None = None) -> list[str]:
    """The arguments of test_configs' tiny fit of the YAML ``path`` (relative to the repository; its files under
    ``root``, another version's checkout, if given): its run line, TINY, SMALL and NARROWED unless it is
    FINGERPRINTED, and G_STEPS."""
    path = str(path)
    small = [] if path in FINGERPRINTED else [*SMALL, *NARROWED.get(path, [])]
    return ["fit", *run_command(path, root or REPO), *TINY, *small, *G_STEPS.get(path, [])]


def config(name: str) -> str:
    """Absolute path of a file under the repository (configs/..., experiments/...)."""
    return str(REPO / name)


def _write_idx(path: Path, data: torch.Tensor) -> None:
    """The IDX format of the MNIST files: magic (0x0800 | ndim), big-endian sizes, uint8 payload."""
    header = struct.pack(">I", 0x0800 | data.dim()) + struct.pack(f">{data.dim()}I", *data.shape)
    path.write_bytes(header + data.to(torch.uint8).numpy().tobytes())


def write_fake_mnist(root: Path, name: str = "MNIST", train: int = 2048, test: int = 128) -> Path:
    """Random 28x28 uint8 images and labels under ``root/name/raw``, named as torchvision expects."""
    raw = root / name / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    rng = torch.Generator().manual_seed(0)
    for prefix, n in (("train", train), ("t10k", test)):
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", torch.randint(0, 256, (n, 28, 28), generator=rng))
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", torch.randint(0, 10, (n,), generator=rng))
    return root


def write_fake_cifar10(root: Path, per_batch: int = 256, test: int = 64) -> Path:
    """Random 32x32 RGB images in CIFAR-10's on-disk layout (``root/cifar-10-batches-py``: five pickled training
    batches, a test batch, the meta file), as torchvision reads it; not the originals, so their MD5 sums differ."""
    folder = root / "cifar-10-batches-py"
    folder.mkdir(parents=True, exist_ok=True)
    rng = torch.Generator().manual_seed(0)
    for name, n in [*((f"data_batch_{i}", per_batch) for i in range(1, 6)), ("test_batch", test)]:
        batch = {"batch_label": name, "data": torch.randint(0, 256, (n, 3 * 32 * 32), generator=rng,
                                                             dtype=torch.uint8).numpy(),
                 "labels": torch.randint(0, 10, (n,), generator=rng).tolist()}
        (folder / name).write_bytes(pickle.dumps(batch))
    names = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]
    (folder / "batches.meta").write_bytes(pickle.dumps({"label_names": names}))
    return root


def write_fake_image_folder(root: Path, classes=("cats", "dogs"), per_class: int = 6, size=(40, 30)) -> Path:
    """Random images under ``root/<class>/`` (PNG and JPEG alternating, ``size`` = (height, width)), or loose in
    ``root`` when ``classes`` is empty."""
    from torchvision.io import encode_jpeg, encode_png

    rng = torch.Generator().manual_seed(0)
    for folder in [root / c for c in classes] or [root]:
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            image = torch.randint(0, 256, (3, *size), generator=rng, dtype=torch.uint8)
            data = encode_png(image) if i % 2 == 0 else encode_jpeg(image)
            (folder / f"{i}.{'png' if i % 2 == 0 else 'jpg'}").write_bytes(bytes(data.numpy()))
    return root


#: Learning rate of toy_gan's SGD optimizers.
LR = 0.1


def toy_gan(**kwargs) -> GAN:
    """A tiny GAN on 2D points with SGD(lr=LR) for both networks; ``kwargs`` go to GAN."""
    sgd = partial(torch.optim.SGD, lr=LR)
    return GAN(
        MLPGenerator(latent_dim=4, hidden_dims=(8,), data_shape=(2,), tanh=False),
        MLPDiscriminator(data_shape=(2,), hidden_dims=(8,)),
        g_optimizer=sgd,
        d_optimizer=sgd,
        **kwargs,
    )


def fit(model: GAN, batches: int, epochs: int = 1, callbacks=(), plugins=None) -> L.Trainer:
    """Trains ``model`` on the ring for ``batches`` batches per epoch, with no logger, checkpoint or validation."""
    trainer = L.Trainer(
        max_epochs=epochs,
        limit_train_batches=batches,
        limit_val_batches=0,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        log_every_n_steps=1,
        callbacks=list(callbacks),
        plugins=plugins,
    )
    trainer.fit(model, RingDataModule(num_samples=512, batch_size=16, seed=0))
    return trainer


def d_update_norm(plugins=None, **kwargs) -> float:
    """How far D moves, in L2 norm, over one batch of D warm-up (one D step) of a toy_gan built with ``kwargs``."""
    torch.manual_seed(0)
    model = toy_gan(d_warmup_batches=1, **kwargs)
    before = [p.detach().clone() for p in model.discriminator.parameters()]
    fit(model, batches=1, plugins=plugins)
    after = model.discriminator.parameters()
    return torch.cat([(p.detach() - b).flatten() for p, b in zip(after, before)]).norm().item()


def _yamls(*folders: str) -> list[Path]:
    return sorted(p.relative_to(REPO) for folder in folders for p in (REPO / folder).rglob("*.yaml"))


#: The study files (``python -m gan_manual study``), relative to the repository; results/ holds copies of them
#: beside the reports they made.
STUDIES = sorted(p.relative_to(REPO) for p in (REPO / "experiments" / "studies").glob("*.yaml"))
_STUDY_FILES = [p for p in _yamls("experiments") if p.is_relative_to("experiments/studies")]
#: Every YAML of configs/ and experiments/ that runs (starts with a run line), relative to the repository.
YAMLS = [p for p in _yamls("configs", "experiments")
         if not (REPO / p).read_text().startswith("# Part of:") and p not in _STUDY_FILES]
#: The pieces that configs include by path (a list of callbacks, say): each starts with "# Part of: ...".
PARTS = [p for p in _yamls("configs", "experiments") if p not in YAMLS and p not in _STUDY_FILES]


def run_command(path, root: Path = REPO) -> list[str]:
    """The arguments of the '# Run: python -m gan_manual fit ...' line that opens every runnable YAML (and, for
    CIFAR-10, ``check_md5=false``, which the tests' fake files need), its files under ``root`` (another version's
    checkout: tests/reference.py)."""
    first = (root / path).read_text().splitlines()[0]
    prefix = "# Run: python -m gan_manual fit "
    assert first.startswith(prefix), f"{path} must start with '{prefix}...'"
    args = shlex.split(first[len(prefix):])
    assert str(path) in args, f"{path}'s run command does not use it"
    files = [root / a for a in args if a.endswith(".yaml")]
    # The fake CIFAR-10 files cannot match torchvision's MD5 sums of the originals.
    fake = ["--data.init_args.check_md5=false"] if any("CIFAR10DataModule" in f.read_text() for f in files) else []
    return [str(root / a) if a.endswith(".yaml") else a for a in args] + fake


#: The README and the docs' pages, where the tested examples and commands are.
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


def readme_example(name: str, folder: Path) -> list[str]:
    """The ``<!-- name.py -->`` code block of the README or a docs page, written to ``folder/name.py``, and the
    arguments of its ``<!-- name command -->`` line (config paths made absolute) with TINY's settings and no
    progress bar."""
    readme = next(text for text in (path.read_text() for path in DOCS) if f"<!-- {name}.py -->" in text)
    code = readme.split(f"<!-- {name}.py -->\n```python\n", 1)[1].split("```", 1)[0]
    (folder / f"{name}.py").write_text(code)
    command = readme.split(f"<!-- {name} command -->\n", 1)[1].split("\n", 1)[0].strip()
    args = command.split("python -m gan_manual ", 1)[1].split()
    return [*[config(a) if a.startswith("configs/") else a for a in args], *TINY,
            "--trainer.enable_progress_bar=false"]


def trained_once(tmp_path_factory, data: Path, args: list[str]) -> Path:
    """``main(args)`` run in a new folder with $GAN_MANUAL_DATA at ``data``, for a module- or session-scoped
    fixture; returns the folder."""
    folder = tmp_path_factory.mktemp("trained")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.setenv("GAN_MANUAL_DATA", str(data))
        main(args)
    return folder


def snapshot(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with the sha256 of its bytes."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def run_cli(args: list[str], cwd: Path, data: Path, timeout: int = 300, code: Path | None = None
            ) -> subprocess.CompletedProcess:
    """``python -m gan_manual ARGS`` in a process of its own, in ``cwd``, with $GAN_MANUAL_DATA at ``data`` and
    the tests' probes (callbacks named by class path) importable; ``code``: a folder holding another version's
    ``gan_manual`` package, run instead of this one."""
    path = [str(TESTS), *([str(code)] if code else []), os.environ.get("PYTHONPATH", "")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(path), "GAN_MANUAL_DATA": str(data)}
    return subprocess.run([sys.executable, "-m", "gan_manual", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)


class FillsUp:
    """A file whose disk fills up: what is written goes through until the flush, which raises ENOSPC (as a full
    disk does when the buffered bytes reach it)."""

    def __init__(self, file) -> None:
        self._file = file

    def __getattr__(self, name):
        return getattr(self._file, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self._file.close()

    def flush(self) -> None:
        self._file.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def one_error(capsys) -> str:
    """The one ``error:`` line of what the command wrote to stderr (and no traceback)."""
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in err, err
    return errors[0]


def no_temporary_files(folder: Path) -> None:
    """No temporary file of gan_manual.files is left under ``folder``."""
    assert not [p for p in folder.rglob(".*.tmp-*")], "a temporary file was left behind"
