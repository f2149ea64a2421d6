"""Every YAML in configs/ and experiments/ builds through the CLI, passes the checks made before anything is written,
and trains a few batches, run exactly as the command on its first line says; every part (a piece a config includes
by path) is used by one of them.

The MLP configs that existed before class labels reached the system train to the same bits as they did then, at
the thread count those bits were written with. The bits of convolutions depend on the CPU (oneDNN picks its kernels
by the instruction set), so for the convolutional configs the check is one that holds on any machine: a rerun of
the run's saved config.yaml trains to the same bits."""

import hashlib
import json

import pytest
import torch

from gan_manual.cli import main
from helpers import PARTS, REPO, TESTS, TINY, YAMLS, run_command

#: sha256 of each YAML's trained state_dict, written by this test's fit at commit 08556e8 (before labels).
BEFORE_LABELS = json.loads((TESTS / "data" / "before_labels" / "state_hashes.json").read_text())["state_sha256"]
#: torch's thread count when BEFORE_LABELS was written: a matrix product splits its sums by thread, so the last
#: bits of the MLPs depend on it.
PIN_THREADS = 2
#: The configs of BEFORE_LABELS with no convolution: pinned on every machine.
MLP_PINNED = {
    "configs/advanced_gan.yaml", "configs/callbacks/images.yaml", "configs/custom_training_gan.yaml",
    "configs/data/fashion_mnist.yaml", "configs/data/mnist.yaml", "configs/gan.yaml", "configs/toy_grid.yaml",
    "configs/toy_ring.yaml", "configs/trainer/smoke.yaml", "configs/wgan.yaml", "experiments/toy_grid_code.yaml",
    "experiments/toy_ring_code.yaml", "experiments/wgan_hinge_r1.yaml",
}
#: The others train on batches of 12 (divisible by every pack size shipped), 2 of them: what the test shows does
#: not depend on the batch's size, and the convolutional nets cost seconds per batch of 64 here.
SMALL = ["--data.init_args.batch_size=12", "--trainer.limit_train_batches=2"]
#: Configs whose networks cost seconds per image on a CPU (R3GAN's 768 channels at every resolution): trained here
#: with narrower networks, every other setting as written.
NARROWED = {
    "configs/r3gan_cifar10.yaml": [f"--model.{net}.{key}={value}" for net in ("generator", "discriminator")
                                   for key, value in (("widths", "[16, 16, 16, 16]"), ("cardinality", 4))],
}


def state_hash(model: torch.nn.Module) -> str:
    """sha256 over the state_dict's names and tensor bytes, in sorted order of the names."""
    digest = hashlib.sha256()
    for name, value in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(value.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def has_convolutions(model: torch.nn.Module) -> bool:
    return any(isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)) for m in model.modules())


@pytest.fixture
def pin_threads():
    """torch at PIN_THREADS threads for the test, whatever the machine's cores; the count before it put back."""
    before = torch.get_num_threads()
    torch.set_num_threads(PIN_THREADS)
    yield
    torch.set_num_threads(before)


@pytest.mark.parametrize("path", YAMLS, ids=str)
def test_config_trains(path, isolated, pin_threads):
    pinned = str(path) in MLP_PINNED
    cli = main(["fit", *run_command(path), *TINY, *([] if pinned else SMALL), *NARROWED.get(str(path), [])])
    model = cli.model
    assert model.batches_trained == (4 if pinned else 2)
    assert cli.trainer.global_step > 0
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert list(isolated.glob("runs/*/version_0/config.yaml")), "no saved config"
    assert has_convolutions(model) != pinned or str(path) not in BEFORE_LABELS, f"{path}: MLP_PINNED is out of date"
    if pinned:
        assert state_hash(model) == BEFORE_LABELS[str(path)], f"{path} no longer trains to the bits it did"


#: The convolutional configs of BEFORE_LABELS; DCGAN's in the fast tier, the others (the same check on other nets
#: and options) in the slow one.
CONVOLUTIONAL = [pytest.param(p, marks=[] if p == "configs/dcgan.yaml" else [pytest.mark.slow])
                 for p in sorted(BEFORE_LABELS) if p not in MLP_PINNED]


@pytest.mark.parametrize("path", CONVOLUTIONAL)
def test_saved_config_reruns_to_the_same_bits(path, isolated):
    first = main(["fit", *run_command(path), *TINY, *SMALL])
    [saved] = isolated.glob("runs/*/version_0/config.yaml")
    again = main(["fit", "-c", str(saved)])
    assert has_convolutions(first.model) and again.model.batches_trained == 2
    assert state_hash(again.model) == state_hash(first.model), f"{path}: a rerun of {saved} trains other bits"


@pytest.mark.parametrize("part", PARTS, ids=str)
def test_every_part_is_used_by_a_config_that_runs(part):
    """A part is a piece a config names by a path relative to itself (``callbacks: callbacks/mnist.yaml``); the
    configs that name it are run above."""
    def names_it(path) -> bool:
        folder = (REPO / path).parent
        return (REPO / part).is_relative_to(folder) and (REPO / part).relative_to(folder).as_posix() in (
            REPO / path).read_text()

    assert any(names_it(p) for p in YAMLS), f"{part} is included by no config in configs/ or experiments/"
