"""Configs and checkpoints of earlier versions read as today's (gan_manual.upgrade); the bit-exact check of real
0.1.0 runs is tests/test_compat.py."""

import torch
import yaml

from gan_manual import upgrade
from gan_manual.cli import main
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
