"""Adaptive augmentation: p's adjustment by hand, the transforms at p = 0 and 1, and a run that logs and keeps p
(its exact resume is in tests/test_resume.py)."""

import pytest
import torch

from gan_manual.augment import AdaptiveAugment
from gan_manual.cli import main
from helpers import TINY, config


def test_p_moves_toward_the_target_every_interval_by_the_images_over_the_speed():
    ada = AdaptiveAugment(target=0.6, interval=2, speed_images=1000)
    ada.observe(torch.tensor([1.0, 2.0, 3.0, -1.0]))  # signs +1 +1 +1 -1: r = 0.5 so far, no adjustment yet
    assert float(ada.p) == 0.0
    ada.observe(torch.tensor([1.0, 1.0, 1.0, 1.0]))  # r_t = (2 + 4) / 8 = 0.75 > 0.6: up by 8 / 1000
    assert float(ada.p) == pytest.approx(0.008)
    for _ in range(2):
        ada.observe(-torch.ones(4))  # r_t = -1 < 0.6: down by 8 / 1000
    assert float(ada.p) == 0.0
    for _ in range(2):
        ada.observe(-torch.ones(4))  # and no further than 0
    assert float(ada.p) == 0.0 and int(ada.steps) == 6 and float(ada.images) == 0.0
    full = AdaptiveAugment(interval=1, speed_images=1, initial_p=0.9)
    full.observe(torch.ones(4))
    assert float(full.p) == 1.0  # nor beyond 1


def test_p_zero_leaves_images_alone_and_p_one_transforms_every_image():
    x = torch.rand(16, 1, 8, 8) + 0.5
    rng = torch.Generator().manual_seed(0)
    assert torch.equal(AdaptiveAugment(initial_p=0.0)(x, rng), x)
    moved = AdaptiveAugment(initial_p=1.0)(x, torch.Generator().manual_seed(0))
    assert moved.shape == x.shape and all(not torch.equal(a, b) for a, b in zip(moved, x))
    state = AdaptiveAugment(initial_p=0.25).state_dict()
    assert set(state) == {"p", "signs", "images", "steps"} and float(state["p"]) == 0.25


def test_a_run_logs_p_and_checkpoints_it(isolated):
    cli = main(["fit", "-c", config("configs/gan.yaml"), "-c", config("configs/augment/ada.yaml"), *TINY,
                "--trainer.enable_progress_bar=false", "--trainer.callbacks=[]",
                "--model.augment.interval=1", "--model.augment.speed_images=1000", "--model.augment.initial_p=0.5",
                "--data.batch_size=16"])
    p = float(cli.model.augment.p)
    assert p != 0.5 and abs(p - 0.5) <= 4 * 16 / 1000 + 1e-9  # moved, by at most 16/1000 a D step (1 a batch)
    assert "train/augment_p" in cli.trainer.logged_metrics
    [last] = isolated.glob("runs/gan/version_0/checkpoints/last.ckpt")
    assert float(torch.load(last, weights_only=True)["state_dict"]["augment.p"]) == p


def test_a_scheduled_p_follows_its_ramp_and_not_d(isolated, capsys):
    fixed = AdaptiveAugment(adaptive=False, interval=1, speed_images=1, initial_p=0.3)
    fixed.observe(torch.ones(8))
    assert float(fixed.p) == 0.3
    ramp = ('--trainer.callbacks+={"class_path": "gan_manual.callbacks.Ramps", "init_args": {"augment_p": '
            '{"class_path": "gan_manual.ramps.LinearRamp", "init_args": {"start": 0.0, "end": 0.8, "length": 4}}}}')
    args = ["fit", "-c", config("configs/gan.yaml"), "-c", config("configs/augment/ada.yaml"), *TINY,
            "--trainer.enable_progress_bar=false", "--trainer.callbacks=[]", ramp]
    cli = main([*args, "--model.augment.adaptive=false"])
    assert float(cli.model.augment.p) == pytest.approx(0.6)  # set at the last batch's start: 3/4 of the way
    with pytest.raises(SystemExit):
        main(args)
    assert "Ramps.augment_p sets the probability of an AdaptiveAugment with adaptive: false" in capsys.readouterr().err


def test_p_follows_the_losss_verdict_and_a_critic_without_one_is_refused(isolated, capsys):
    """Under LSGAN's 0-1 targets D's scores on reals lie near 1 and above 0 even where D is unsure; p must follow
    the sign against 0.5, so a D that scores every real 0.4 (taking it for generated) lowers p."""
    from gan_manual.losses import LeastSquaresLoss
    from gan_manual.objective import Objective
    ada = AdaptiveAugment(interval=1, speed_images=100, initial_p=0.5)
    objective = Objective(LeastSquaresLoss(), augment=ada)
    d = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4, 1, bias=False))
    torch.nn.init.zeros_(d[1].weight)
    d[1].bias = torch.nn.Parameter(torch.tensor([0.4]))
    x = torch.zeros(4, 1, 2, 2)
    objective.discriminator(d, x, None, x, None, torch.Generator().manual_seed(0), batch=0)
    assert float(ada.p) == pytest.approx(0.5 - 4 / 100)
    args = ["fit", "-c", config("configs/wgan.yaml"), "-c", config("configs/augment/ada.yaml"), *TINY]
    with pytest.raises(SystemExit):
        main(args)
    assert ("model.augment: AdaptiveAugment follows the sign of D's verdict on real images, and WassersteinLoss's "
            "scores have no decision boundary") in capsys.readouterr().err
    assert not (isolated / "runs").exists()
    main([*args, "--model.augment.adaptive=false", "--trainer.enable_progress_bar=false"])
