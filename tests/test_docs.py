"""The README, the docs' pages and the results say what exists and what works: every relative link and anchor
resolves, every repository path they name exists, and every command of theirs that trains or samples runs, on
tiny settings, in the order a reader meets it."""

import re
import runpy
import shlex
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import pytest

from gan_manual.__main__ import run
from gan_manual.cli import main
from helpers import DOCS, REPO, TINY, readme_example, write_fake_image_folder

#: The pages whose links and paths are checked: the docs and the results.
LINKED = [*DOCS, REPO / "experiments/RESULTS.md"]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
#: A repository path in backticks: what a reader would look for in a clone.
REPO_PATH = re.compile(r"`((?:configs|experiments|gan_manual|tests|docs)/[^`\s]*)`")
#: Put before a block whose commands a test does not run: the reason follows the colon.
NOT_RUN = re.compile(r"<!-- not run: (.+) -->")


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation but ``-`` and ``_`` dropped, spaces to ``-``."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(line.lstrip("#")) for line in path.read_text().splitlines() if re.match(r"#{1,6} ", line)}


@pytest.mark.parametrize("page", LINKED, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_relative_link_and_anchor_resolves(page):
    broken = []
    for target in LINK.findall(page.read_text()):
        if "://" in target or target.startswith("mailto:"):
            continue
        file, _, anchor = target.partition("#")
        linked = (page.parent / file).resolve() if file else page
        if not linked.exists():
            broken.append(f"{target}: no {linked}")
        elif anchor and linked.suffix == ".md" and anchor not in anchors(linked):
            broken.append(f"{target}: no heading #{anchor} in {linked.name}")
    assert not broken, f"{page.name}: {broken}"


@pytest.mark.parametrize("page", LINKED, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_repository_path_named_exists(page):
    missing = []
    for named in REPO_PATH.findall(page.read_text()):
        pattern = re.sub(r"<[^>]+>", "*", named.rstrip(".,:;)"))
        if not any(REPO.glob(pattern.rstrip("/"))):
            missing.append(named)
    assert not missing, f"{page.name} names paths that do not exist: {missing}"


@dataclass
class Command:
    page: Path
    line: int
    text: str
    not_run: Optional[str]  # why a test does not run it; None: the test runs it

    def __str__(self) -> str:
        return f"{self.page.name}:{self.line}: {self.text}"


def commands(page: Path) -> list[Command]:
    """The shell commands of ``page``'s indented code blocks (continuation lines joined, comments dropped) that
    run gan_manual or a script of ``experiments/``: the ones that train or sample."""
    found, lines = [], page.read_text().splitlines()
    in_fence, reason, previous = False, None, ""
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            in_fence = not in_fence
        elif not in_fence and line.startswith("    ") and (not previous.strip() or previous.startswith("    ")):
            start, text = i + 1, line.strip()
            while text.endswith("\\") and i + 1 < len(lines):
                i += 1
                text = text[:-1].rstrip() + " " + lines[i].strip()
            text = re.split(r"\s+#\s", text, maxsplit=1)[0].strip()
            if re.match(r"(\w+=\S+ )*python3? (-m gan_manual |experiments/\w+\.py)", text):
                found.append(Command(page, start, text, reason))
        elif not line.startswith("    ") and line.strip():
            marker = NOT_RUN.fullmatch(line.strip())
            reason = marker.group(1) if marker else None
        if not re.fullmatch(r"<!--.*-->", line.strip()):  # a marker line stands between a paragraph and its block
            previous = line
        i += 1
    return found


ALL = [c for page in DOCS for c in commands(page)]


#: The scripts of experiments/ that the docs' commands run, and what makes a run of theirs tiny (appended: the last
#: value wins); the fake MNIST's folder is passed as ``--root``.
SCRIPTS = {"experiments/benchmark.py": ["--batches", "3", "--warmup", "1", "--repeats", "1"]}


def test_every_command_is_run_by_a_test_or_says_why_not():
    """A command the docs give either runs through gan_manual's CLI or a script the slow test below knows how to
    run small, or stands under a ``<!-- not run: why -->`` line."""
    unexplained = [str(c) for c in ALL if c.not_run is None and "-m gan_manual" not in c.text
                   and not any(script in c.text for script in SCRIPTS)]
    assert not unexplained
    assert len([c for c in ALL if c.not_run is None]) >= 20  # the parser still finds the commands


#: Pages that give no command to run.
NO_COMMANDS = {"docs/README.md", "docs/data.md", "docs/system.md", "docs/testing.md"}
#: Where a command names a run, the config that makes it.
RUN = re.compile(r"runs/(\w+)/version_(\d+)/")


def tiny(args: list[str], folder: Path) -> list[str]:
    """``args`` of a documented command on tiny settings: a few batches, no progress bar; a study only built and
    checked (``--dry_run``: its cells are ordinary fits, which the configs' tests train)."""
    subcommand = args[0]
    if subcommand == "study":
        return [*args, "--dry_run", "--output_dir", str(folder / "study")]
    if subcommand == "sample" or any(a.endswith((".help", "--help")) for a in args):
        return args
    cifar = any("cifar10" in a for a in args)
    return [*args, *TINY, "--trainer.enable_progress_bar=false", *(["--data.check_md5=false"] if cifar else [])]


def make_runs_it_names(args: list[str], folder: Path) -> None:
    """Trains, on tiny settings, the runs ``runs/<name>/version_<n>/`` that ``args`` read and a reader made before
    (with ``configs/<name>.yaml``)."""
    for name, version in RUN.findall(" ".join(args)):
        while not (folder / f"runs/{name}/version_{version}").exists():
            main(tiny(["fit", "-c", f"configs/{name}.yaml"], folder))


@pytest.mark.slow  # about a minute: every documented training and sampling command, in process
@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_documented_command_runs(page, isolated, fake_data, monkeypatch):
    # As a reader in a clone: the configs at their relative paths, the docs' own files, a folder of images.
    for folder in ("configs", "experiments"):
        (isolated / folder).symlink_to(REPO / folder)
    monkeypatch.syspath_prepend(str(isolated))  # what python -m does for the folder it runs in
    readme_example("mynets", isolated)
    readme_example("mycondnets", isolated)
    write_fake_image_folder(isolated / "faces", per_class=40)  # a whole batch of 64 to train on
    ran = 0
    for command in commands(page):
        if command.not_run is not None:
            continue
        ran += 1
        script = next((s for s in SCRIPTS if s in command.text), None)
        if script is not None:
            args = shlex.split(command.text.split(script, 1)[1])
            monkeypatch.setattr(sys, "argv", [script, *args, *SCRIPTS[script], "--root", str(fake_data)])
            runpy.run_path(str(REPO / script), run_name="__main__")
            continue
        args = shlex.split(command.text.split("-m gan_manual", 1)[1])
        make_runs_it_names(args, isolated)
        try:
            run(tiny(args, isolated))
        except SystemExit as done:
            assert done.code in (0, None), f"{command} exited with {done.code}"
    assert ran or page.relative_to(REPO).as_posix() in NO_COMMANDS
