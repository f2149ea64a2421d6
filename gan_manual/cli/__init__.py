"""``python -m gan_manual``: Lightning's CLI in subclass mode, with the data shape linked into the networks, checks
before anything is written, and user errors reported as one line.

    cli/__init__.py   GANCLI and main(): the order of things
    cli/normalize.py  changes to the parsed config (data folder, DDP names, evaluation folders, extra callbacks)
    cli/checks.py     checks before anything is written (files, folders, networks, optimizers, callbacks)
    cli/messages.py   user errors as one line
    cli/run_folder.py the run's folder: space checked first, locked while it trains, removed if it never started
    cli/help.py       help that fits on a screen
"""

import re
import sys
import threading
from contextvars import ContextVar
from pathlib import Path
from typing import Any, NoReturn, Optional

import lightning as L
import yaml
from lightning.pytorch.cli import ArgsType, LightningArgumentParser
from lightning.pytorch.utilities import rank_zero_info, rank_zero_only

from gan_manual import compat, files, resume, sample, upgrade
from gan_manual.cli import checks, normalize, run_folder
from gan_manual.cli.help import HelpFormatter
from gan_manual.cli.messages import one_line, user_error
from gan_manual.console import fail, note, quiet
from gan_manual.errors import ConfigError, DivergenceError, Interrupted, StorageError
from gan_manual.checkpoint import ResumeCheckpoint
from gan_manual.guard import DivergenceGuard
from gan_manual.prediction import Prediction, PredictionWriter
from gan_manual.system import GAN
from gan_manual.trainer import Trainer

PROGRAM = "python -m gan_manual"
COMMANDS = "{fit,validate,test,predict,sample,study}"
EPILOG = (f"{PROGRAM} sample --ckpt_path CKPT --num_samples N --output_dir DIR: samples from a checkpoint alone "
          f"({PROGRAM} sample --help). {PROGRAM} study STUDY.yaml: variants x seeds as runs, compared in tables and "
          f"plots ({PROGRAM} study --help). Each subcommand has its own --help; --model.help CLASS_PATH shows a "
          f"class's arguments.")


#: The full key of a nested ``--model.generator.help CLASS`` on the command line (short form), if any.
_NESTED_HELP: ContextVar[Optional[str]] = ContextVar("nested_help", default=None)


class _Parser(LightningArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def add_class_arguments(self, theclass: Any, nested_key: Optional[str] = None, *args: Any, **kwargs: Any) -> Any:
        # jsonargparse prints --model.generator.help CLASS from the innermost parser, which names the keys
        # --generator.*; the command line says where they sit, so they get their full (short-form) names.
        key, described = _NESTED_HELP.get(), getattr(self, "description", None) or ""
        if key and nested_key and key.endswith(f".{nested_key}") and described.startswith(f"Help for --{nested_key}."):
            self.description = described.replace(f"--{nested_key}.", f"--{key}.", 1)
            nested_key = key
        return super().add_class_arguments(theclass, nested_key, *args, **kwargs)

    def error(self, message: str, ex: Optional[Exception] = None) -> NoReturn:
        if not self.exit_on_error:  # jsonargparse's inner parsers raise and let the outer one report
            super().error(message, ex)
        # sample and study are commands beside Lightning's, run before this parser: it does not list them
        fail(one_line(message).replace("{fit,validate,test,predict}", COMMANDS))

    def save(self, cfg: Any, path: Any, *args: Any, **kwargs: Any) -> None:
        """Writes the run's ``config.yaml`` whole or not at all (:func:`gan_manual.files.write`)."""
        if "://" in str(path) or kwargs.get("multifile", True):
            return super().save(cfg, path, *args, **kwargs)
        # jsonargparse writes to a path: to the temporary file's, which files.write then puts in place
        files.write(Path(path), lambda file: super(_Parser, self).save(cfg, file.name, *args,
                                                                        **{**kwargs, "overwrite": True}))


class GANCLI(compat.HookedLightningCLI):
    """The CLI of every gan_manual run: ``fit``, ``validate``, ``test``, ``predict``."""

    def __init__(self, args: ArgsType = None, run: bool = True) -> None:
        super().__init__(
            model_class=GAN,
            datamodule_class=L.LightningDataModule,
            trainer_class=Trainer,
            subclass_mode_model=True,
            subclass_mode_data=True,
            parser_class=_Parser,
            seed_everything_default=0,
            auto_configure_optimizers=False,
            args=args,
            run=run,
        )

    def init_parser(self, **kwargs: Any) -> LightningArgumentParser:
        kwargs.setdefault("prog", PROGRAM)
        kwargs.setdefault("description", "Config-first GAN training with Lightning's manual optimization.")
        kwargs.setdefault("epilog", EPILOG)
        # omegaconf's ${...} interpolation inside a config file, and keys of earlier versions moved to today's.
        kwargs.setdefault("parser_mode", compat.upgrading_loader(upgrade.config))
        # No prefix matching: a mistyped key is an error, not silently another key.
        kwargs.setdefault("allow_abbrev", False)
        return super().init_parser(**kwargs)

    def setup_parser(self, add_subcommands: bool, main_kwargs: dict[str, Any],
                     subparser_kwargs: dict[str, Any]) -> None:
        super().setup_parser(add_subcommands, main_kwargs, subparser_kwargs)
        if add_subcommands:  # sample and study are commands beside Lightning's: the usage line names them too
            self.parser.usage = f"{PROGRAM} [-c CONFIG] {COMMANDS} ..."

    def add_arguments_to_parser(self, parser: LightningArgumentParser) -> None:
        # Typed once, in the datamodule: the networks get the sample shape and the number of classes (which only a
        # network with a condition uses) when the classes are built.
        for net in ("generator", "discriminator"):
            for key in ("data_shape", "num_classes"):
                parser.link_arguments(f"data.{key}", f"model.init_args.{net}.init_args.{key}", apply_on="instantiate")
        # On in every run, whatever the config's callback list: --divergence_guard.action=skip|off changes it.
        parser.add_lightning_class_args(DivergenceGuard, "divergence_guard")
        # Every run keeps a last.ckpt to resume from: one section, --checkpoint.every_n_batches=200, not an entry of
        # the callback list (which a later -c replaces whole).
        parser.add_lightning_class_args(ResumeCheckpoint, "checkpoint")
        # What predict generates; in every subcommand, so a run's config.yaml predicts as the run was set up.
        parser.add_class_arguments(Prediction, "prediction")
        # Every checkpoint is written atomically (a kill mid-save leaves the previous file whole).
        parser.set_defaults({"trainer.plugins": [{"class_path": "gan_manual.checkpoint_io.AtomicCheckpointIO"}]})

    def parse_arguments(self, parser: LightningArgumentParser, args: ArgsType) -> None:
        argv = sys.argv[1:] if args is None else args
        if isinstance(argv, list):
            argv = [upgrade.option(a) if isinstance(a, str) else a for a in argv]
            if args is None:  # Lightning reads sys.argv itself (and warns when given both)
                sys.argv[1:] = argv
            else:
                args = argv
            checks.check_config_files([str(a) for a in argv])
            nested = [m.group(1) for a in argv if (m := re.fullmatch(r"--(\w+(?:\.\w+)+)\.help(=.*)?", str(a)))]
            _NESTED_HELP.set(nested[0].replace(".init_args.", ".") if nested else None)
        super().parse_arguments(parser, args)
        subcommand = self.config.get("subcommand")
        normalize.normalize(self.config[subcommand] if subcommand else self.config)  # run=False: no subcommand
        checks.check_finite(self.config[subcommand] if subcommand else self.config)

    def parse_ckpt_path(self) -> None:
        """Replaces Lightning's version, which overwrites the model's config with the checkpoint's, silently.

        Here ``ckpt_path: last`` means, for ``fit``, the ``last.ckpt`` of the run this one continues (Lightning's
        would look in the new run's own, empty folder and train from scratch; :func:`gan_manual.resume.find_last`
        says how it is chosen), for evaluation the newest ``last.ckpt`` of this config's runs; the file is checked
        before anything runs, evaluation needs one, and differences to the checkpoint's config are reported with
        the value that wins (see :mod:`gan_manual.resume`).
        """
        subcommand = self.config.get("subcommand")
        if not subcommand:
            return
        config = self.config[subcommand]
        self._checkpoint = None
        dumped = yaml.safe_load(self.parser.dump(self.config, skip_link_targets=False))[subcommand]
        why = ""
        if config.get("ckpt_path") == "last":
            folders = resume.output_folders(config.trainer)
            found = resume.find_last(folders, dumped) if subcommand == "fit" else resume.newest_last(folders)
            if found is None and subcommand == "fit":  # not an error: a job script can always pass --ckpt_path last
                note(f"ckpt_path: no last.ckpt under {', '.join(map(str, folders))}: starting from scratch")
            elif found is None:
                raise ConfigError(f"ckpt_path: no last.ckpt under {', '.join(map(str, folders))}: nothing to "
                                  f"{subcommand}")
            else:
                found, why = found
            config.ckpt_path = str(found) if found else None
        path = config.get("ckpt_path")
        if not path and subcommand != "fit":
            raise ConfigError(
                f"ckpt_path: {subcommand} evaluates a trained generator: pass --ckpt_path "
                f"runs/<name>/version_N/checkpoints/last.ckpt, or --ckpt_path last for this config's newest run"
            )
        if not path or path in ("best", "hpc", "registry") or "://" in path:
            return
        self._checkpoint = resume.read_checkpoint(path)
        if subcommand == "fit":
            finished = resume.finished(self._checkpoint, config.trainer)
            if finished:  # a requeued job of a run that ended: nothing to do, and no new run folder
                note(f"resume: {path} {finished}: nothing to train; raise it to train on")
                sys.exit(0)
            note(f"resume: from {path}{f' ({why})' if why else ''}")
        resume.report_differences(self._checkpoint, dumped, path, subcommand)

    def after_dump_config(self, dump: dict[str, Any]) -> None:
        # Lightning's instantiator writes the linked data_shape into the dump's init_args, which the dump leaves
        # out for a network with no other argument.
        _give_init_args(dump)

    def before_instantiate_classes(self) -> None:
        subcommand = self.config.get("subcommand")
        if subcommand and subcommand != "fit":
            normalize.evaluation_folder(self.config[subcommand], subcommand)

    def _before_run(self) -> None:
        """Before anything is written: outputs can be written, the networks keep their contract, optimizers and
        callbacks accept what they were given, and the checkpoint holds this model."""
        checks.check_outputs(self.trainer)
        checks.check_model(self.model, self.datamodule, fitting=self.subcommand == "fit")
        checks.check_callbacks(self.trainer, self.datamodule, self.model)
        self.config_init[self.subcommand].prediction.check(self.model.num_classes)
        checks.note_slow_precision(self.trainer)
        if self._checkpoint is not None:
            resume.check_same_model(self.model, self._checkpoint, self.config[self.subcommand].ckpt_path)
            self._checkpoint = None  # free the memory before the trainer loads it again
        if self.subcommand == "fit":
            checks.check_training_length(self.trainer)
            checks.check_memory(self.model, self.trainer)
            run_folder.check_space(self.model, [Path(self.trainer.log_dir or self.trainer.default_root_dir)])
        # fit says so when training starts (run_folder.RunFolder): a run that fails before that leaves nothing
        if self.subcommand != "fit" and not self.trainer.fast_dev_run and rank_zero_only.rank == 0:
            note(f"{self.subcommand}: writes to {self.trainer.log_dir}")

    before_validate = before_test = _before_run

    def before_fit(self) -> None:
        self._before_run()
        folder = Path(self.trainer.log_dir or self.trainer.default_root_dir)
        run_folder.CURRENT.set(folder)
        self.trainer.callbacks.append(run_folder.RunFolder(folder, new=not folder.exists(),
                                                           say=not self.trainer.fast_dev_run))
        folders = resume.output_folders(self.config.fit.trainer)
        ckpt_path = self.config.fit.get("ckpt_path")
        if ckpt_path and "://" not in ckpt_path and Path(ckpt_path).is_file():
            folders.append(Path(ckpt_path).parent)
        for folder in dict.fromkeys(folders):
            for stale in files.remove_stale(folder):
                note(f"removed {stale}: half a checkpoint, left by a run killed while writing it")
        if self.trainer.max_steps > 0:
            per_batch = self.model.schedule.steps_per_batch()
            rank_zero_info(
                f"max_steps={self.trainer.max_steps} counts optimizer steps, {per_batch:g} per batch with this "
                f"schedule: training stops after about {self.trainer.max_steps / per_batch:.0f} batches"
            )

    def before_predict(self) -> None:
        self._before_run()
        self.datamodule = self.config_init.predict.prediction.data(self.datamodule, self.model.label_prior)
        self.trainer.callbacks.append(PredictionWriter())


def _give_init_args(config: Any) -> None:
    """Every ``class_path`` entry of a dumped config gets an ``init_args`` mapping, empty if need be."""
    if isinstance(config, dict):
        if "class_path" in config:
            config.setdefault("init_args", {})
        for value in config.values():
            _give_init_args(value)
    elif isinstance(config, list):
        for value in config:
            _give_init_args(value)


def _quiet_about_disks(args: threading.ExceptHookArgs) -> None:
    """A writer's thread (TensorBoard's) that dies of a full or read-only disk prints nothing: the main thread's
    next write fails the same way, and :func:`main` says so in one line."""
    if files.disk_error(args.exc_value) is None:
        threading.__excepthook__(args)


def main(args: ArgsType = None) -> Any:
    """Runs the CLI; a user error becomes one line on stderr and exit code 2 (a divergence: code 1), a bug keeps
    its traceback."""
    argv = sys.argv[1:] if args is None else args
    quiet()
    threading.excepthook = _quiet_about_disks
    run_folder.CURRENT.set(None)  # set again by the fit this call makes, if any
    try:
        if isinstance(argv, list) and argv[:1] == ["sample"]:  # not a Trainer method: a command of its own
            return sample.main(argv[1:])
        return GANCLI(args=args)
    except Exception as error:
        problem = user_error(error)
        if problem is None and files.disk_error(error) is not None:  # a library's writer: TensorBoard's, say
            fail(run_folder.disk_failure(files.disk_error(error)), code=1)
        if problem is None:
            raise
        if isinstance(problem, Interrupted):
            note(str(problem))
            sys.exit(problem.exit_code)
        if isinstance(problem, StorageError) and run_folder.CURRENT.get() and ".ckpt" not in str(problem):
            problem = StorageError(f"{problem}; {run_folder.kept()}")  # not the checkpoint: say what the run kept
        fail(str(problem), code=1 if isinstance(problem, (DivergenceError, StorageError)) else 2)


__all__ = ["GANCLI", "main"]
