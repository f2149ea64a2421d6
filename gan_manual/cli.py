"""``python -m gan_manual``: Lightning's CLI in subclass mode, with the data shape linked into the networks and
user errors reported as one line."""

import re
import sys
from typing import Any, NoReturn, Optional

import lightning as L
from lightning.fabric.utilities.exceptions import MisconfigurationException
from lightning.pytorch.cli import ArgsType, LightningArgumentParser, LightningCLI

from gan_manual.errors import ConfigError
from gan_manual.system import GAN


def _one_line(message: str) -> str:
    """Squeezes jsonargparse's nested, multi-line explanation into ``key.path: reason``."""
    key = ".".join(re.findall(r'Parser key "([^"]+)"', message))
    noise = re.compile(
        r"^(Parser key|Does not validate against|Subtypes:|Errors:|Given value|Problem with given class_path|"
        r"Expected a <class 'NoneType'>|$)"
    )
    reasons = [line.strip(" -") for line in message.splitlines() if not noise.match(line.strip(" -"))]
    # "Expected a path but X ... invalid" is jsonargparse's guess that X was a file; the other reason says more.
    specific = [r for r in reasons if not r.startswith("Expected a path but")] or reasons or [message]
    reason = specific[-1]
    unknown = re.match(r"Option '([^']+)' is not accepted", reason)
    if unknown:  # name the full key, and where the accepted ones are listed
        key = f"{key}.{unknown.group(1)}" if key else unknown.group(1)
        reason += f" (--{key.split('.')[0]}.help CLASS_PATH lists the accepted ones)"
    return f"{key}: {reason}" if key else reason


class _Parser(LightningArgumentParser):
    def error(self, message: str, ex: Optional[Exception] = None) -> NoReturn:
        if not self.exit_on_error:  # jsonargparse's inner parsers raise and let the outer one report
            super().error(message, ex)
        sys.stderr.write(f"error: {_one_line(message)}\n")
        sys.exit(2)


class GANCLI(LightningCLI):
    """The CLI of every gan_manual run: ``fit``, ``validate``, ``test``, ``predict``."""

    def __init__(self, args: ArgsType = None, run: bool = True) -> None:
        super().__init__(
            model_class=GAN,
            datamodule_class=L.LightningDataModule,
            subclass_mode_model=True,
            subclass_mode_data=True,
            parser_class=_Parser,
            seed_everything_default=0,
            auto_configure_optimizers=False,
            args=args,
            run=run,
        )

    def init_parser(self, **kwargs: Any) -> LightningArgumentParser:
        # omegaconf mode: ${...} interpolation inside a config file.
        kwargs.setdefault("parser_mode", "omegaconf")
        # No prefix matching: a mistyped key is an error, not silently another key.
        kwargs.setdefault("allow_abbrev", False)
        return super().init_parser(**kwargs)

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        # Typed once, in the datamodule: the networks get the sample shape when the classes are built.
        for net in ("generator", "discriminator"):
            parser.link_arguments(
                "data.data_shape", f"model.init_args.{net}.init_args.data_shape", apply_on="instantiate"
            )


def _config_error(error: BaseException) -> Optional[Exception]:
    """The user error behind ``error``, if any: ours, or Lightning's for a bad Trainer argument. jsonargparse
    wraps what an ``__init__`` raises, so the chain of causes is searched."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, (ConfigError, MisconfigurationException)):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def main(args: ArgsType = None) -> Any:
    """Runs the CLI; a user error becomes one line on stderr and exit code 2, a bug keeps its traceback."""
    try:
        return GANCLI(args=args)
    except Exception as error:
        config_error = _config_error(error)
        if config_error is None:
            raise
        sys.stderr.write(f"error: {config_error}\n")
        sys.exit(2)
