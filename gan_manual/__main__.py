"""``python -m gan_manual``: ``study`` (runs of the CLI, compared: :mod:`gan_manual.study`), else the CLI
(``fit``, ``validate``, ``test``, ``predict``, ``sample``: :mod:`gan_manual.cli`)."""

import sys
from typing import Any, Optional

from gan_manual.cli import main


def run(args: Optional[list[str]] = None) -> Any:
    """``args`` as on the command line (None: ``sys.argv[1:]``)."""
    if (sys.argv[1:] if args is None else args)[:1] == ["study"]:  # above the CLI: a study runs it once per cell
        from gan_manual.study import main as study

        return study((sys.argv[1:] if args is None else args)[1:])
    return main(args)


if __name__ == "__main__":
    run()
