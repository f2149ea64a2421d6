"""``python -m gan_manual``: ``study`` (runs of the CLI, compared: :mod:`gan_manual.study`), else the CLI
(``fit``, ``validate``, ``test``, ``predict``, ``sample``: :mod:`gan_manual.cli`)."""

import importlib
import signal
import sys
import warnings
from importlib import metadata
from typing import Any, Optional


def check_package() -> None:
    """Ends the program in one line when ``import gan_manual`` finds a folder instead of this package: the current
    folder comes first on Python's path, and a clone of the project is a folder named gan_manual without an
    ``__init__.py``, which imports as an empty namespace package and hides the real one."""
    package = sys.modules.get("gan_manual")
    if package is not None and getattr(package, "__file__", None) is None:
        folder = next(iter(getattr(package, "__path__", [])), "gan_manual")
        sys.stderr.write(f"error: {folder}: this folder (a clone of the project?) hides the installed gan_manual "
                         f"package, since Python imports from the current folder first; run from inside it "
                         f"(cd {folder}) or from another folder\n")
        sys.exit(2)


def check_torchvision() -> None:
    """Ends the program in one line when torchvision was built for another torch than the one installed (its
    import fails with ``operator torchvision::nms does not exist`` and some 40 lines of traceback): both
    versions, and the command that installs a matching pair (torchvision 0.N+15 goes with torch 2.N)."""
    try:
        with warnings.catch_warnings():  # it warns of its image extension before it fails
            warnings.simplefilter("ignore")
            importlib.import_module("torchvision")
    except RuntimeError as error:
        if "torchvision::" not in str(error):
            raise
        torch_version, found = metadata.version("torch"), metadata.version("torchvision")
        minor = int(torch_version.split(".")[1])
        sys.stderr.write(f"error: torchvision {found} was built for another torch than the installed "
                         f"{torch_version} ({str(error).splitlines()[0]}); install a matching pair: pip install "
                         f"torch=={torch_version.split('+')[0]} 'torchvision==0.{minor + 15}.*'\n")
        sys.exit(2)


def run(args: Optional[list[str]] = None) -> Any:
    """``args`` as on the command line (None: ``sys.argv[1:]``)."""
    check_package()  # before importing the rest of the package, which the folder may hide
    check_torchvision()
    try:
        from gan_manual.cli import main

        given = sys.argv[1:] if args is None else args
        if given[:1] == ["study"]:  # above the CLI: a study runs it once per cell
            from gan_manual.study import main as study

            return study(given[1:])
        return main(args)  # None, not sys.argv: LightningCLI warns when given both
    except KeyboardInterrupt:  # Ctrl-C while importing or parsing; in training, the run saves and stops itself
        sys.stderr.write("stopped by SIGINT before training started: nothing to resume\n")
        sys.exit(128 + signal.SIGINT)


if __name__ == "__main__":
    run()
