"""Where users see the metrics: the Evaluate callback during fit (ModelCheckpoint can keep the best FID), the
table that ``test`` prints with sample count and floor, and ``sample`` from a checkpoint alone."""

import pytest
import torch

from gan_manual.cli import main
from helpers import TINY, config

EVALUATE = ('--trainer.callbacks+={"class_path": "gan_manual.callbacks.Evaluate", "init_args": {"metric": '
            '"gan_manual.metrics.ClassifierMetrics", "num_samples": 300, "every_n_epochs": 1}}')
BEST = ('--trainer.callbacks+={"class_path": "lightning.pytorch.callbacks.ModelCheckpoint", "init_args": '
        '{"monitor": "fid", "mode": "min", "save_top_k": 1, "filename": "best"}}')
SMALL = ["--model.init_args.generator.init_args.hidden_dims=[32]",
         "--model.init_args.discriminator.init_args.hidden_dims=[32]"]


@pytest.fixture
def trained(isolated):
    """Two epochs of gan.yaml on the fake data with FID every epoch and the best kept."""
    gan = ["fit", "-c", config("configs/gan.yaml"), *TINY, *SMALL, "--trainer.max_epochs=2",
           "--trainer.callbacks=[]", EVALUATE, BEST]
    return main(gan)


def test_fit_logs_the_metrics_and_keeps_the_best_fid(trained, isolated):
    metrics = trained.trainer.callback_metrics
    for name in ("fid", "kid", "inception_score", "classes_covered", "class_kl", "precision", "recall"):
        assert name in metrics and torch.isfinite(metrics[name]), name
    best = next(cb for cb in trained.trainer.checkpoint_callbacks if cb.monitor == "fid")
    assert best.best_model_path.endswith("best.ckpt") and torch.isfinite(best.best_model_score)


def test_test_prints_the_table_with_count_features_and_floor(trained, isolated, capsys):
    capsys.readouterr()
    ckpt = isolated / "runs/gan/version_0/checkpoints/last.ckpt"
    main(["test", "-c", config("configs/gan.yaml"), *SMALL, "--trainer.callbacks=[]", EVALUATE,
          f"--ckpt_path={ckpt}"])
    out = capsys.readouterr().out
    assert "300 samples vs the 128 test images; features: gan_manual LeNet (mnist, 128-d penultimate layer" in out
    assert "real (floor)" in out
    rows = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.split()[:1] and line.split()[0] in
            ("fid", "precision", "recall", "classes_covered", "inception_score")}
    assert len(rows) == 5 and all(len(v) == 2 for v in rows.values()), out


def test_sample_from_a_checkpoint_alone(trained, isolated, capsys):
    ckpt = str(isolated / "runs/gan/version_0/checkpoints/last.ckpt")
    for folder, seed in (("a", 1), ("b", 1), ("c", 2)):
        main(["sample", "--ckpt_path", ckpt, "--num_samples", "20", "--output_dir", folder, "--seed", str(seed)])
    a, b, c = (torch.load(isolated / f / "samples.pt", weights_only=True) for f in "abc")
    assert a.shape == (20, 1, 28, 28) and a.dtype == torch.float32
    assert a.min() >= -1 and a.max() <= 1
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert (isolated / "a/grid.png").stat().st_size > 0


def test_sample_refuses_bad_input(isolated, capsys):
    with pytest.raises(SystemExit) as exit:
        main(["sample", "--ckpt_path", "missing.ckpt", "--num_samples", "4", "--output_dir", "out"])
    assert exit.value.code == 2
    assert capsys.readouterr().err.strip() == "error: ckpt_path: no file missing.ckpt"
    assert not (isolated / "out").exists()


def test_metric_that_does_not_fit_the_data_is_refused(isolated, capsys):
    fashion = ["fit", "-c", config("configs/gan.yaml"), "-c", config("configs/data/fashion_mnist.yaml"), *TINY,
               EVALUATE]
    with pytest.raises(SystemExit) as exit:
        main(fashion)
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert "error: trainer.callbacks: ClassifierMetrics(classifier='mnist') scores MNIST images, the data is " \
           "FashionMNIST" in err
    assert not list(isolated.rglob("config.yaml"))
