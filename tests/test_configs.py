"""Every YAML in configs/ and experiments/ builds through the CLI, passes the checks made before anything is written,
and trains a few batches, run exactly as the command on its first line says; every part (a piece a config includes
by path) is used by one of them.

That no change of the code changed what a config trains is checked two ways, neither with bits recorded on another
machine (matrix products and convolutions give other last bits on another CPU):
* to the bit, against the code of a reference commit run beside this code in the test, on the same machine
  (slow: the old code trains in a process of its own from git history);
* within a measured tolerance, against fingerprints of the MLP configs' states recorded with the reference
  commit's bits (tests/fingerprints.py: the noise measured across thread counts and kernels, and the tolerance
  taken from it, are in tests/data/before_labels/fingerprints.json and docs/testing.md).
And a rerun of a run's saved config.yaml trains to the same bits as the run."""

import pytest
import torch

import fingerprints
import reference
from gan_manual.cli import main
from helpers import FINGERPRINTED, PARTS, REPO, YAMLS, tiny_fit

#: The commit whose code every config that existed then must still train to the bits of: 08556e8, before class
#: labels reached the system (its states were the ones pinned then).
REFERENCE = "08556e8"
#: The convolutional configs of REFERENCE: checked by a rerun of their saved config, DCGAN's in the fast tier, the
#: others (the same check on other nets and options) in the slow one.
CONVOLUTIONAL = [
    "configs/augment/diffaugment.yaml", "configs/augment/diffaugment_color.yaml", "configs/data/cifar10.yaml",
    "configs/dcgan.yaml", "configs/dcgan_cifar10.yaml", "configs/sngan_cifar10.yaml", "configs/stacked_mnist.yaml",
    "experiments/dcgan_diffaugment.yaml", "experiments/dcgan_hinge.yaml", "experiments/dcgan_radford.yaml",
    "experiments/stacked_mnist_pac2.yaml",
]
RECORDED = fingerprints.recorded()
#: The YAMLs that exist both at REFERENCE and now (none where this clone does not have REFERENCE: the test skips).
AT_REFERENCE = [str(p) for p in YAMLS if str(p) in reference.files_at(REFERENCE, "configs", "experiments")]


def limit_train_batches(args: list[str]) -> int:
    return int([a for a in args if a.startswith("--trainer.limit_train_batches=")][-1].split("=")[1])


def has_convolutions(model: torch.nn.Module) -> bool:
    return any(isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d)) for m in model.modules())


def differing(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> list[str]:
    """The names whose tensors differ between state_dicts ``a`` and ``b`` in dtype, shape or any bit (a NaN equals
    a NaN of the same bits), and the names only one has."""
    def bits(t: torch.Tensor) -> bytes:
        return t.detach().cpu().contiguous().numpy().tobytes()

    return sorted(a.keys() ^ b.keys()) + [name for name in a.keys() & b.keys() if (
        a[name].dtype, a[name].shape, bits(a[name])) != (b[name].dtype, b[name].shape, bits(b[name]))]


def fingerprint_check(path: str, model: torch.nn.Module) -> tuple[float, str, float]:
    """(distance, part, tolerance) of ``model``'s state from the fingerprint recorded for config ``path``."""
    distance, part = fingerprints.distance(fingerprints.fingerprint(model), RECORDED["fingerprints"][path])
    return distance, part, fingerprints.tolerance(RECORDED["noise"][path])


@pytest.mark.parametrize("path", YAMLS, ids=str)
def test_config_trains(path, isolated):
    args = tiny_fit(path)
    cli = main(args)
    model = cli.model
    assert model.batches_trained == limit_train_batches(args) and cli.trainer.global_step > 0
    assert any("g" in model.schedule.steps(b) for b in range(model.batches_trained)), f"{path}: G never stepped"
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert list(isolated.glob("runs/*/version_0/config.yaml")), "no saved config"
    if str(path) in FINGERPRINTED:
        assert not has_convolutions(model), f"{path}: FINGERPRINTED holds MLP configs only"
        distance, part, tolerance = fingerprint_check(str(path), model)
        assert distance <= tolerance, (f"{path}: its {part} is {distance:.2g} (relative L2) from the state it "
                                       f"trained to at {REFERENCE}, beyond the tolerance {tolerance:.2g}")


def test_fingerprints_cover_the_fingerprinted_configs():
    assert sorted(RECORDED["fingerprints"]) == sorted(RECORDED["noise"]) == sorted(FINGERPRINTED)


@pytest.mark.parametrize("change", ["extra_randn", "swapped_steps"])
def test_the_tolerance_sees_a_change_of_behaviour(change, isolated):
    """One more draw from G's noise generator, or a batch's steps in the other order, moves gan.yaml's state beyond
    its tolerance: the tolerance is not so wide that the check cannot fail."""
    with fingerprints.CHANGES[change]():
        model = main(tiny_fit("configs/gan.yaml")).model
    distance, part, tolerance = fingerprint_check("configs/gan.yaml", model)
    assert distance > tolerance, f"{change} moved {part} by {distance:.2g}, within the tolerance {tolerance:.2g}"


@pytest.fixture(scope="module")
def reference_states(tmp_path_factory, fake_data) -> dict[str, dict[str, torch.Tensor]]:
    """config -> state_dict of its tiny fit by REFERENCE's code (with that commit's YAMLs), for every YAML that
    exists both then and now."""
    try:
        code = reference.code_at(REFERENCE, tmp_path_factory.mktemp("reference"))
    except LookupError as e:
        pytest.skip(str(e))
    runs = {p: tiny_fit(p, root=code) for p in AT_REFERENCE}
    assert len(runs) == 24, sorted(runs)  # the configs pinned at REFERENCE
    return reference.reference_states(code, runs, fake_data, threads=torch.get_num_threads())


@pytest.mark.slow
@pytest.mark.parametrize("path", AT_REFERENCE or [pytest.param("", marks=pytest.mark.skip(
    reason=f"commit {REFERENCE} is not in this clone's history (a shallow clone?)"))])
def test_config_trains_to_the_bits_of_the_reference_code(path, reference_states, isolated):
    differ = differing(main(tiny_fit(path)).model.state_dict(), reference_states[path])
    assert not differ, f"{path} trains to other bits than {REFERENCE}'s code on this machine: {differ[:5]}"


@pytest.mark.parametrize("path", [pytest.param(p, marks=[] if p == "configs/dcgan.yaml" else [pytest.mark.slow])
                                  for p in CONVOLUTIONAL])
def test_saved_config_reruns_to_the_same_bits(path, isolated):
    first_args = tiny_fit(path)
    first = main(first_args)
    [saved] = isolated.glob("runs/*/version_0/config.yaml")
    again = main(["fit", "-c", str(saved)])
    assert has_convolutions(first.model) and again.model.batches_trained == limit_train_batches(first_args)
    differ = differing(again.model.state_dict(), first.model.state_dict())
    assert not differ, f"{path}: a rerun of {saved} trains other bits: {differ[:5]}"


@pytest.mark.parametrize("part", PARTS, ids=str)
def test_every_part_is_used_by_a_config_that_runs(part):
    """A part is a piece a config names by a path relative to itself (``callbacks: callbacks/mnist.yaml``); the
    configs that name it are run above."""
    def names_it(path) -> bool:
        folder = (REPO / path).parent
        return (REPO / part).is_relative_to(folder) and (REPO / part).relative_to(folder).as_posix() in (
            REPO / path).read_text()

    assert any(names_it(p) for p in YAMLS), f"{part} is included by no config in configs/ or experiments/"
