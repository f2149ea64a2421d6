"""``python -m gan_manual``: Lightning's CLI in subclass mode, with the data shape linked into the networks and
user errors reported as one line."""

import os
import re
import sys
from pathlib import Path
from typing import Any, NoReturn, Optional

import lightning as L
import yaml
from lightning.fabric.utilities.exceptions import MisconfigurationException
from lightning.pytorch.cli import ArgsType, LightningArgumentParser, LightningCLI
from lightning.pytorch.utilities import rank_zero_info

from gan_manual import resume, sample
from gan_manual.callbacks.guard import DivergenceError, DivergenceGuard
from gan_manual.console import check_writable, fail, note
from gan_manual.errors import ConfigError
from gan_manual.system import GAN

#: Lightning's DDP strategy names -> the same with find_unused_parameters=True (see GANCLI.before_instantiate).
_DDP_FOR_GANS = {
    name: f"{name}_find_unused_parameters_true" for name in ("ddp", "ddp_spawn", "ddp_fork", "ddp_notebook")
}


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
        fail(_one_line(message))


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
        # On in every run, whatever the config's callback list: --divergence_guard.action=skip|off changes it.
        parser.add_lightning_class_args(DivergenceGuard, "divergence_guard")
        # Every checkpoint is written atomically (a kill mid-save leaves the previous file whole).
        parser.set_defaults({"trainer.plugins": [{"class_path": "gan_manual.checkpoint_io.AtomicCheckpointIO"}]})

    # ---------------------------------------------------------------------------------------------- resuming

    # Overrides a private LightningCLI method (2.4 to 2.6; setup.cfg pins lightning<2.7, so it cannot move away).
    def _parse_ckpt_path(self) -> None:
        """Replaces Lightning's version, which overwrites the model's config with the checkpoint's, silently.

        Here ``ckpt_path: last`` means the newest ``last.ckpt`` of this config's runs (Lightning's would look in
        the new run's own, empty folder and train from scratch), the file is checked before anything runs, and
        differences to the checkpoint's config are reported with the value that wins (see :mod:`resume`).
        """
        subcommand = self.config.get("subcommand")
        if not subcommand:
            return
        config = self.config[subcommand]
        self._checkpoint = None
        if config.get("ckpt_path") == "last":
            folders = self._output_folders(config)
            found = resume.find_last(folders)
            if found is None:  # not an error: a job script can always pass --ckpt_path last
                note(f"ckpt_path: no last.ckpt under {', '.join(map(str, folders))}: starting from scratch")
            config.ckpt_path = str(found) if found else None
        path = config.get("ckpt_path")
        if not path or path in ("best", "hpc", "registry") or "://" in path:
            return
        self._checkpoint = resume.read_checkpoint(path)
        if subcommand == "fit":
            note(f"resume: from {path}")
        dumped = yaml.safe_load(self.parser.dump(self.config, skip_link_targets=False))
        resume.report_differences(self._checkpoint, dumped[subcommand], path, fitting=subcommand == "fit")

    @staticmethod
    def _output_folders(config: Any) -> list[Path]:
        """Where this config's runs write: each logger's ``save_dir/name``, else ``default_root_dir``."""
        trainer = config.trainer
        loggers = trainer.get("logger")
        loggers = loggers if isinstance(loggers, list) else [loggers]
        folders = []
        for logger in loggers:
            init = getattr(logger, "init_args", None) if logger not in (None, True, False) else None
            if init is not None and init.get("save_dir"):
                folders.append(Path(init.save_dir) / str(init.get("name") or ""))
        root = Path(trainer.get("default_root_dir") or os.getcwd())
        return folders or [root / "lightning_logs", root / "checkpoints"]

    def before_instantiate_classes(self) -> None:
        subcommand = self.config.get("subcommand")
        config = self.config[subcommand] if subcommand else self.config  # run=False: no subcommand level
        strategy = config.trainer.get("strategy")
        # A GAN's backward passes each reach one network only. DDP's default find_unused_parameters=False then
        # stops at the first step ("parameters that were not used in producing the loss"), so the plain DDP
        # names get find_unused_parameters=True, which marks the other network's parameters as done.
        if isinstance(strategy, str) and strategy in _DDP_FOR_GANS:
            note(f"trainer.strategy: {strategy} -> {_DDP_FOR_GANS[strategy]} (each backward of a GAN reaches "
                        "one network only)")
            config.trainer.strategy = _DDP_FOR_GANS[strategy]
        elif isinstance(strategy, str) and strategy.endswith("find_unused_parameters_false"):
            raise ConfigError(
                f"trainer.strategy: {strategy} cannot train a GAN (each backward reaches one network only); "
                f"use {strategy[: -len('false')]}true or ddp"
            )

    def _before_run(self) -> None:
        """Before anything is written: the outputs can be written, and the checkpoint holds this model."""
        for key, folder in self._writable_folders():
            check_writable(key, Path(folder))
        if self._checkpoint is not None:
            resume.check_same_model(self.model, self._checkpoint, self.config[self.subcommand].ckpt_path)
            self._checkpoint = None  # free the memory before the trainer loads it again

    def _writable_folders(self) -> list[tuple[str, str]]:
        folders = [("trainer.default_root_dir", self.trainer.default_root_dir)]
        folders += [("trainer.logger.init_args.save_dir", lg.save_dir) for lg in self.trainer.loggers if lg.save_dir]
        folders += [("ModelCheckpoint.dirpath", cb.dirpath) for cb in self.trainer.checkpoint_callbacks
                    if getattr(cb, "dirpath", None)]
        return folders

    before_validate = before_test = before_predict = _before_run

    def before_fit(self) -> None:
        self._before_run()
        if self.trainer.max_steps > 0:
            per_batch = self.model.schedule.steps_per_batch()
            rank_zero_info(
                f"max_steps={self.trainer.max_steps} counts optimizer steps, {per_batch:g} per batch with this "
                f"schedule: training stops after about {self.trainer.max_steps / per_batch:.0f} batches"
            )


def _config_error(error: BaseException) -> Optional[Exception]:
    """The user error behind ``error``, if any: ours, or Lightning's for a bad Trainer argument. jsonargparse
    wraps what an ``__init__`` raises, so the chain of causes is searched."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, (ConfigError, MisconfigurationException, DivergenceError)):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


def main(args: ArgsType = None) -> Any:
    """Runs the CLI; a user error becomes one line on stderr and exit code 2 (a divergence: code 1), a bug keeps
    its traceback."""
    argv = sys.argv[1:] if args is None else args
    try:
        if isinstance(argv, list) and argv[:1] == ["sample"]:  # not a Trainer method: a command of its own
            return sample.main(argv[1:])
        return GANCLI(args=args)
    except Exception as error:
        config_error = _config_error(error)
        if config_error is None:
            raise
        fail(str(config_error), code=1 if isinstance(config_error, DivergenceError) else 2)
