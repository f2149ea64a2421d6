"""Configs and checkpoints of earlier versions read as today's (gan_manual.upgrade); the bit-exact check of real
0.1.0 runs is tests/test_compat.py."""

import torch
import yaml

from gan_manual import checkpoint, upgrade
from gan_manual.checkpoint import ResumeCheckpoint
from gan_manual.cli import GANCLI, main
from helpers import config


def test_moved_keys_move_in_either_spelling_and_nothing_else_changes():
    old = {"data": {"class_path": "X", "init_args": {"num_predict": 5, "batch_size": 8}, "predict_labels": [1]},
           "model": {"init_args": {"num_predict": 7}}}
    new = upgrade.config(old)
    assert new == {"data": {"class_path": "X", "init_args": {"batch_size": 8}},
                   "prediction": {"num_samples": 5, "labels": [1]}, "model": {"init_args": {"num_predict": 7}}}
    assert old["data"]["init_args"]["num_predict"] == 5  # a copy: the caller's dict is left alone
    assert upgrade.config([1, 2]) == [1, 2] and upgrade.config({"a": 1}) == {"a": 1}
    assert upgrade.option("--data.init_args.num_predict=5") == "--prediction.num_samples=5"
    assert upgrade.option("--data.predict_labels") == "--prediction.labels"
    assert upgrade.option("--data.init_args.num_predictions=5") == "--data.init_args.num_predictions=5"
    assert upgrade.datamodule_hparams({"num_predict": 3, "seed": 1}) == {"seed": 1}
    weights = {"label_probs": torch.ones(2)}
    assert list(upgrade.state_dict(weights)) == ["label_prior.probs"]


def test_a_config_of_an_earlier_version_predicts_as_it_did(toy_checkpoint, isolated):
    """``data.init_args.num_predict`` in a saved config and ``--data.init_args.num_predict`` on the command line:
    both are predict's sample count still."""
    saved = yaml.safe_load(open(config("configs/toy_ring.yaml")))
    saved["data"]["init_args"]["num_predict"] = 30
    (isolated / "old.yaml").write_text(yaml.safe_dump(saved))
    cli = main(["predict", "-c", "old.yaml", "--return_predictions=true", "--ckpt_path", str(toy_checkpoint)])
    assert torch.cat(cli.trainer.predict_loop.predictions).shape == (30, 2)
    cli = main(["predict", "-c", config("configs/toy_ring.yaml"), "--data.init_args.num_predict=12",
                "--return_predictions=true", "--ckpt_path", str(toy_checkpoint)])
    assert torch.cat(cli.trainer.predict_loop.predictions).shape == (12, 2)
    cli = main(["predict", "-c", config("configs/toy_ring.yaml"), "--return_predictions=true",
                "--ckpt_path", str(toy_checkpoint)])
    assert torch.cat(cli.trainer.predict_loop.predictions).shape == (2500, 2)  # the toy's picture size


def test_resume_checkpoint_in_a_callback_list_of_an_earlier_version_becomes_the_checkpoint_section(isolated, capsys):
    saved = yaml.safe_load(open(config("configs/toy_ring.yaml")))
    saved["trainer"]["callbacks"] = [{"class_path": "gan_manual.callbacks.ResumeCheckpoint",
                                      "init_args": {"every_n_batches": 7}}, {"class_path": "gan_manual.callbacks.Ramps"}]
    (isolated / "old.yaml").write_text(yaml.safe_dump(saved))
    cli = GANCLI(args=["-c", "old.yaml"], run=False)
    assert cli.config.checkpoint.every_n_batches == 7
    assert [c.class_path for c in cli.config.trainer.callbacks] == ["gan_manual.callbacks.Ramps"]
    [checkpoint] = [c for c in cli.trainer.callbacks if isinstance(c, ResumeCheckpoint)]
    assert checkpoint.every_n_batches == 7
    # on the command line, as earlier versions' docs had it: moved, and said so
    cli = GANCLI(args=["-c", config("configs/toy_ring.yaml"), "--trainer.callbacks=gan_manual.callbacks.ResumeCheckpoint",
                       "--trainer.callbacks.every_n_batches=3"], run=False)
    assert cli.config.checkpoint.every_n_batches == 3 and cli.config.trainer.callbacks == []
    assert "trainer.callbacks: ResumeCheckpoint is the checkpoint section now" in capsys.readouterr().err
    assert len([c for c in cli.trainer.callbacks if isinstance(c, ResumeCheckpoint)]) == 1


def test_the_checkpoint_interval_is_one_key_in_batches_or_minutes(isolated, monkeypatch):
    saves = []
    real = ResumeCheckpoint._save_last
    monkeypatch.setattr(ResumeCheckpoint, "_save_last", lambda self, trainer: (
        saves.append(trainer.fit_loop.total_batch_idx + 1), real(self, trainer))[1])
    toy = ["fit", "-c", config("configs/toy_ring.yaml"), "--trainer.max_epochs=1", "--trainer.limit_train_batches=9",
           "--trainer.enable_progress_bar=false", "--trainer.limit_val_batches=1"]
    main([*toy, "--checkpoint.every_n_batches=4"])
    assert saves == [4, 8, 9]  # and at the epoch's end
    clock = iter(range(0, 10**6, 31))  # 31 s pass between any two looks at the clock
    monkeypatch.setattr(checkpoint.time, "monotonic", lambda: next(clock))
    saves.clear()
    main([*toy, "--checkpoint.every_n_batches=null", "--checkpoint.every_n_minutes=1"])
    assert saves == [2, 4, 6, 8, 9], "a minute of training between saves"
