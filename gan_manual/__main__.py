"""``python -m gan_manual``: ``study`` (runs of the CLI, compared: :mod:`gan_manual.study`), else the CLI
(``fit``, ``validate``, ``test``, ``predict``, ``sample``: :mod:`gan_manual.cli`)."""

import sys
from typing import Any, Optional

from gan_manual.cli import main


def run(args: Optional[list[str]] = None) -> Any:
    """``args`` as on the command line (None: ``sys.argv[1:]``)."""
    given = sys.argv[1:] if args is None else args
    if given[:1] == ["study"]:  # above the CLI: a study runs it once per cell
        from gan_manual.study import main as study

        return study(given[1:])
    return main(args)  # None, not sys.argv: LightningCLI warns when given both


if __name__ == "__main__":
    run()
