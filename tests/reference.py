"""Another version's code beside this one, on the machine the test runs on: the way to check to the bit that a
change changed no behaviour, since floating-point bits recorded on one CPU do not hold on another.

:func:`code_at` unpacks a commit's ``gan_manual``, ``configs`` and ``experiments`` from git history;
:func:`reference_states` trains with that code in a process of its own (this file run as a script, with the old
package first on the path) and returns each trained state_dict, for a test to compare with the current code's
training of the same configs.
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import torch

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent


def files_at(commit: str, *folders: str) -> set[str]:
    """The files under ``folders`` at ``commit``; empty where this clone does not have the commit."""
    done = subprocess.run(["git", "-C", str(REPO), "ls-tree", "-r", "--name-only", commit, *folders],
                          capture_output=True, text=True)
    return set(done.stdout.split()) if done.returncode == 0 else set()


def code_at(commit: str, folder: Path) -> Path:
    """``folder`` holding the commit's ``gan_manual``, ``configs`` and ``experiments`` (those it has), by ``git
    archive``. Raises LookupError where this clone does not have the commit (a shallow clone)."""
    known = subprocess.run(["git", "-C", str(REPO), "cat-file", "-e", f"{commit}^{{commit}}"], capture_output=True)
    if known.returncode != 0:
        raise LookupError(f"commit {commit} is not in this clone's history (a shallow clone?)")
    folders = [f for f in ("gan_manual", "configs", "experiments") if files_at(commit, f)]
    archive = subprocess.run(["git", "-C", str(REPO), "archive", commit, *folders], capture_output=True,
                             check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(folder)], input=archive, check=True)
    return folder


def reference_states(code: Path, runs: dict[str, list[str]], data: Path, threads: int) -> dict[str, dict]:
    """name -> state_dict of ``gan_manual.cli.main(ARGS)``'s model for each name -> ARGS of ``runs``, trained by
    the code in ``code`` at ``threads`` torch threads in a process of its own, each in a new folder with
    $GAN_MANUAL_DATA at ``data``."""
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(code), os.environ.get("PYTHONPATH", "")]),
               "GAN_MANUAL_DATA": str(data)}
        done = subprocess.run([sys.executable, __file__, str(code), out, str(threads), json.dumps(runs)],
                              env=env, capture_output=True, text=True, timeout=900)
        assert done.returncode == 0, done.stderr[-3000:]
        return {name: torch.load(Path(out) / f"{i}.pt", weights_only=True) for i, name in enumerate(runs)}


def _train_all(code: Path, out: Path, threads: int, runs: dict[str, list[str]]) -> None:
    import gan_manual
    from gan_manual.cli import main

    assert Path(gan_manual.__file__).is_relative_to(code), f"imported {gan_manual.__file__}, not the code in {code}"
    torch.set_num_threads(threads)
    for i, args in enumerate(runs.values()):
        with tempfile.TemporaryDirectory() as folder:
            os.chdir(folder)
            torch.save(main(args).model.state_dict(), out / f"{i}.pt")


if __name__ == "__main__":
    _train_all(Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4]))
