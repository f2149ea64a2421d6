"""Fingerprints of a trained state: a few numbers per tensor that another CPU's last bits move by a measured noise,
and a change of behaviour moves by several times more. tests/test_configs.py compares the tiny fits of
helpers.FINGERPRINTED with the fingerprints in FINGERPRINTS, within the tolerance :func:`tolerance` derives from the
noise measured beside them.

A tensor's fingerprint is its L2 norm and the signed sums ``sum_i s_ki * v_i`` for K fixed sign patterns ``s_k``
in {-1, +1} (an integer hash of the element's index: the same on every machine), in float64, over its finite
elements (the non-finite ones, an unfilled rolling mean's NaN, are listed and compared exactly, as are integer
tensors). For a change ``d`` of the tensor each of those numbers moves by about ``||d||``. :func:`distance`
gathers the largest move of each tensor over the parts of the state (``generator``, ``discriminator``,
``generator_ema``, ...) and divides by the part's recorded norm: the relative L2 change of the most-changed part.

Why the tolerance is wide: a last-bit difference in one matrix product flips the sign of a few near-zero gradient
elements, and Adam's first steps (``lr * g / |g|``) turn each flip into a step of 2 * lr, which later steps spread.
Another matrix-product kernel (``MKL_CBWR=COMPATIBLE`` here, another CPU in CI) so moves a tiny fit of the wide
MNIST MLPs by a good part of what one more random draw in G's step does; the figures are in
experiments/RESULTS.md#portable-test-suite. The bit-exact guard is test_configs' comparison with the reference
commit's code, run beside this code in the test.

Run as a script (it trains in temporary folders):

    python tests/fingerprints.py record    # FINGERPRINTS from this machine's tiny fits, at 2 threads
    python tests/fingerprints.py noise     # the distances under other thread counts and kernels -> FINGERPRINTS
    python tests/fingerprints.py changes   # the distances under each deliberate change of behaviour in CHANGES
    python tests/fingerprints.py distances [--threads N] [--change NAME]   # one setting, as a JSON line
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager, nullcontext
from pathlib import Path

import torch

TESTS = Path(__file__).resolve().parent
FINGERPRINTS = TESTS / "data" / "before_labels" / "fingerprints.json"
#: Sign patterns per tensor.
K = 4
#: The tolerance of a config is FACTOR times the largest distance measured under NOISE's settings, or FACTOR times
#: FLOOR where that is smaller (no noise seen is not none on every CPU).
FACTOR = 4
FLOOR = 2.5e-5
#: Settings that give other last bits on this machine, as another CPU does: (environment, torch threads).
NOISE = [*(({}, t) for t in (1, 4)), *(({"ATEN_CPU_CAPABILITY": "avx2"}, t) for t in (1, 2, 4)),
         *(({"MKL_CBWR": branch}, t) for branch in ("COMPATIBLE", "SSE4_2", "AVX", "AVX2", "AVX512")
           for t in (1, 2, 4))]


def signs(n: int, k: int) -> torch.Tensor:
    """Sign pattern ``k`` over ``n`` elements, float64 ``(n,)`` of -1 and +1: a bit of two rounds of an integer
    linear congruential hash of (index, k), exact in int64 (every product stays below 2**62)."""
    h = torch.arange(n, dtype=torch.int64) + 7919 * (k + 1)
    for _ in range(2):
        h = (h * 1103515245 + 12345) % 2**31
        h = h ^ (h >> 13)
    return (((h >> 17) & 1) * 2 - 1).double()


def fingerprint(model: torch.nn.Module) -> dict[str, dict]:
    """name -> {"shape", "norm", "sums", "nonfinite"} of a floating tensor, {"shape", "values"} of an integer one."""
    prints = {}
    for name, value in sorted(model.state_dict().items()):
        value = value.detach().cpu()
        if value.is_floating_point():
            flat = value.double().flatten()
            finite = flat.isfinite()
            flat = flat.where(finite, 0.0)
            prints[name] = {"shape": list(value.shape), "norm": flat.norm().item(),
                            "sums": [(flat * signs(flat.numel(), k)).sum().item() for k in range(K)],
                            "nonfinite": (~finite).nonzero().flatten().tolist()}
        else:
            prints[name] = {"shape": list(value.shape), "values": value.flatten().tolist()}
    return prints


def distance(prints: dict[str, dict], recorded: dict[str, dict]) -> tuple[float, str]:
    """The relative L2 change of the most-changed part of the state (see the module's docstring) and that part's
    name; infinity where names, shapes, integer values or non-finite elements differ."""
    if prints.keys() != recorded.keys():
        return math.inf, f"names differ: {sorted(prints.keys() ^ recorded.keys())}"
    moves: dict[str, list[float]] = {}  # part -> [sum of squared moves, sum of squared norms]
    for name, now in prints.items():
        then = recorded[name]
        if any(now.get(key) != then.get(key) for key in ("shape", "values", "nonfinite")):
            return math.inf, f"{name}: its shape, integer values or non-finite elements differ"
        if "norm" in then:
            move = max([abs(now["norm"] - then["norm"])] + [abs(a - b) for a, b in zip(now["sums"], then["sums"])])
            part = moves.setdefault(name.split(".")[0], [0.0, 0.0])
            part[0] += move ** 2
            part[1] += then["norm"] ** 2
    # A part that is all zeros must stay so.
    return max(((math.sqrt(m / n) if n else (0.0 if not m else math.inf)), part) for part, (m, n) in moves.items())


def tolerance(noise: float) -> float:
    return FACTOR * max(noise, FLOOR)


def recorded() -> dict:
    return json.loads(FINGERPRINTS.read_text())


# Deliberate changes of behaviour, each a context that patches the system: what the guard must catch.
@contextmanager
def extra_randn():
    """One more draw from the batch's generator in G's step, before G's noise: G trains on other noise."""
    from gan_manual.system import GAN

    step = GAN._generator_step

    def patched(self, real, real_labels, opt, rng):
        torch.randn(1, device=self.device, generator=rng)
        return step(self, real, real_labels, opt, rng)

    with _patched(GAN, "_generator_step", patched):
        yield


@contextmanager
def global_randn():
    """One more draw from the global RNG in G's step. The system's noise does not come from it, so nothing changes:
    a control, not a change of behaviour."""
    from gan_manual.system import GAN

    step = GAN._generator_step

    def patched(self, real, real_labels, opt, rng):
        torch.randn(1)
        return step(self, real, real_labels, opt, rng)

    with _patched(GAN, "_generator_step", patched):
        yield


@contextmanager
def swapped_steps():
    """Each batch's steps in reverse order: G before D where the config has D first, and the other way round."""
    from gan_manual.schedule import Schedule

    steps = Schedule.steps
    with _patched(Schedule, "steps", lambda self, batch: tuple(steps(self, batch))[::-1]):
        yield


@contextmanager
def changed_loss():
    """G's loss plus a hundredth of the mean square of D's scores on its samples: a small change of the loss (a
    constant factor would not do: Adam's steps do not depend on the loss's scale)."""
    from gan_manual.objective import Objective

    init = Objective.__init__

    def patched(self, loss, *args, **kwargs):
        init(self, loss, *args, **kwargs)
        g_loss = loss.g_loss
        loss.g_loss = lambda fake, *real: g_loss(fake, *real) + 0.01 * fake.square().mean()

    with _patched(Objective, "__init__", patched):
        yield


@contextmanager
def _patched(owner, name, value):
    before = getattr(owner, name)
    setattr(owner, name, value)
    try:
        yield
    finally:
        setattr(owner, name, before)


CHANGES = {f.__name__: f for f in (extra_randn, global_randn, swapped_steps, changed_loss)}


def _fingerprints(threads: int, change: str | None) -> dict[str, dict]:
    """config -> fingerprint of its tiny fit, each in a new folder, on fake data made here."""
    from gan_manual.cli import main
    from helpers import FINGERPRINTED, tiny_fit, write_fake_cifar10, write_fake_mnist

    torch.set_num_threads(threads)
    prints, here = {}, os.getcwd()
    with tempfile.TemporaryDirectory() as root, CHANGES[change]() if change else nullcontext():
        for name in ("MNIST", "FashionMNIST"):
            write_fake_mnist(Path(root), name)
        write_fake_cifar10(Path(root))
        os.environ["GAN_MANUAL_DATA"] = root
        for path in FINGERPRINTED:
            with tempfile.TemporaryDirectory() as folder:
                os.chdir(folder)
                prints[path] = fingerprint(main(tiny_fit(path)).model)
                os.chdir(root)
        os.chdir(here)
    return prints


def _machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               "unknown CPU")
    return f"{cpu}, torch {torch.__version__}, CPU capability {torch.backends.cpu.get_cpu_capability()}"


def _distances_in_process(environment: dict[str, str], threads: int, change: str | None = None) -> dict:
    """The ``distances`` command's JSON line, run in a process of its own with ``environment`` added."""
    command = [sys.executable, __file__, "distances", f"--threads={threads}", *([f"--change={change}"] * bool(change))]
    done = subprocess.run(command, env={**os.environ, **environment}, capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("what", choices=["record", "noise", "changes", "distances"])
    parser.add_argument("--threads", type=int, default=2, help="torch's thread count (default 2)")
    parser.add_argument("--change", choices=sorted(CHANGES), help="a deliberate change of behaviour to apply")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(TESTS))
    if args.what == "record":
        commit = subprocess.run(["git", "-C", str(TESTS), "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True).stdout.strip()
        FINGERPRINTS.write_text(json.dumps({
            "note": "tests/fingerprints.py's fingerprints of the states of test_configs' tiny fits; 'noise': the "
                    "largest distance to them measured under other thread counts and kernels",
            "written": {"commit": commit, "machine": _machine(), "threads": 2},
            "noise": {}, "fingerprints": _fingerprints(2, None)}, indent=1) + "\n")
        print(f"wrote {FINGERPRINTS}; now run: python {__file__} noise")
    elif args.what == "distances":
        ours, theirs = _fingerprints(args.threads, args.change), recorded()["fingerprints"]
        print(json.dumps({"threads": args.threads, "capability": torch.backends.cpu.get_cpu_capability(),
                          "change": args.change, "machine": _machine(),
                          "distances": {path: distance(ours[path], theirs[path]) for path in ours}}))
    elif args.what == "noise":
        rows = [(", ".join([*(f"{k}={v}" for k, v in env.items()), f"threads={t}"]),
                 _distances_in_process(env, t)["distances"]) for env, t in NOISE]
        noise = {path: max(row[path][0] for _, row in rows) for path in rows[0][1]}
        record = recorded()
        record["noise"] = noise
        record["noise_measured"] = {"machine": _machine(), "settings": [name for name, _ in rows]}
        FINGERPRINTS.write_text(json.dumps(record, indent=1) + "\n")
        _table(rows, noise)
    else:
        noise = recorded()["noise"]
        _table([(change, _distances_in_process({}, 2, change)["distances"]) for change in CHANGES], noise)


def _table(rows: list[tuple[str, dict]], noise: dict[str, float]) -> None:
    print("| config | noise | tolerance | " + " | ".join(name for name, _ in rows) + " |")
    for path in noise:
        cells = " | ".join(f"{row[path][0]:.2g}" for _, row in rows)
        print(f"| {path} | {noise[path]:.2g} | {tolerance(noise[path]):.2g} | {cells} |")


if __name__ == "__main__":
    main()
