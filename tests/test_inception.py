"""Inception FID from a weights file on this machine, checked by its SHA-256. The real weights cannot be fetched
here: the feature path runs on randomly initialised weights saved in torch-fidelity's format."""

from pathlib import Path

import pytest
import torch

from gan_manual.cli import main
from gan_manual.data import ImageFolderDataModule
from gan_manual.errors import ConfigError
from gan_manual.metrics import InceptionFID
from gan_manual.metrics.inception import SHA256, URL, sha256_of
from helpers import TINY, config, write_fake_image_folder


@pytest.fixture(scope="module")
def random_weights(tmp_path_factory) -> Path:
    """torch-fidelity's Inception-v3 with random weights (He-initialised, so features vary with the input)."""
    from torch_fidelity import feature_extractor_inceptionv3 as fidelity

    patch = pytest.MonkeyPatch()
    # Its constructor loads weights from a file or the network; here it keeps the fresh ones.
    patch.setattr(fidelity, "load_state_dict_from_url", lambda *args, **kwargs: {})
    patch.setattr(fidelity.FeatureExtractorInceptionV3, "load_state_dict", lambda self, *args, **kwargs: None)
    torch.manual_seed(0)
    net = fidelity.FeatureExtractorInceptionV3("inception-v3-compat", ["2048"])
    patch.undo()
    for module in net.modules():
        if isinstance(module, torch.nn.Conv2d):
            torch.nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
    path = tmp_path_factory.mktemp("inception") / "random_inception.pth"
    torch.save(net.state_dict(), path)
    return path


@pytest.fixture
def images(tmp_path) -> ImageFolderDataModule:
    root = write_fake_image_folder(tmp_path / "pets", per_class=4, size=(32, 32))
    return ImageFolderDataModule(str(root), image_size=32, cache_dir=str(tmp_path / "cache"))


@pytest.mark.slow  # Inception-v3's features of hundreds of images
def test_inception_fid_is_zero_for_the_reference_and_grows_with_the_difference(random_weights, images):
    metric = InceptionFID(str(random_weights), sha256=sha256_of(random_weights), batch_size=4)
    metric.setup(images)
    real = images.reference_samples("test")
    assert real.shape == (8, 3, 32, 32)
    same = metric(real)["inception_fid"]
    other = metric(torch.rand(8, 3, 32, 32) * 2 - 1)["inception_fid"]
    assert abs(same) < 1e-3 < other
    assert metric(real.mean(1, keepdim=True))["inception_fid"] > 1e-3  # grey images are repeated to RGB
    assert "8 held-out images; features: Inception-v3 pool3 (2048-d, random_inception.pth)" in metric.describe(8)


def test_missing_weights_say_where_to_get_them(tmp_path, images):
    with pytest.raises(ConfigError, match=rf"trainer.callbacks: InceptionFID has no weights at {tmp_path}/none.pth; "
                                          rf"download {URL} there \(sha256 {SHA256[:8]}...\), or give the file's path"):
        InceptionFID(str(tmp_path / "none.pth")).check(images)


def test_weights_with_another_hash_are_refused(random_weights, images):
    with pytest.raises(ConfigError, match=r"InceptionFID weights .*random_inception.pth have sha256 \w{12}\.\.\., "
                                          rf"expected {SHA256[:12]}"):
        InceptionFID(str(random_weights)).check(images)


def evaluate_with_inception(root: Path, cache: Path, *metric_args: str) -> list[str]:
    """A DCGAN run on an image folder that scores its samples with Inception FID at the end of its one epoch."""
    return ["fit", "-c", config("configs/dcgan.yaml"), *TINY, "--trainer.callbacks=[]",
            "--data=gan_manual.data.ImageFolderDataModule", f"--data.root={root}", "--data.image_size=32",
            f"--data.cache_dir={cache}", "--data.batch_size=4",
            "--trainer.callbacks+=gan_manual.callbacks.Evaluate", "--trainer.callbacks.num_samples=8",
            "--trainer.callbacks.metric=gan_manual.metrics.InceptionFID", *metric_args]


@pytest.mark.slow  # Inception-v3's features of hundreds of images
def test_the_cli_scores_with_inception_fid_from_a_given_file(random_weights, isolated):
    root = write_fake_image_folder(isolated / "pets", per_class=4, size=(32, 32))
    cli = main(evaluate_with_inception(root, isolated / "cache", f"--trainer.callbacks.metric.weights={random_weights}",
                                       f"--trainer.callbacks.metric.sha256={sha256_of(random_weights)}",
                                       "--trainer.callbacks.metric.batch_size=8"))
    assert cli.trainer.callback_metrics["inception_fid"] > 0


def test_the_cli_without_weights_stops_in_one_line_before_anything_is_written(isolated, monkeypatch, capsys):
    monkeypatch.setenv("TORCH_HOME", str(isolated / "torch_home"))  # an empty hub cache
    root = write_fake_image_folder(isolated / "pets", per_class=4, size=(32, 32))
    with pytest.raises(SystemExit) as exit:
        main(evaluate_with_inception(root, isolated / "cache"))
    assert exit.value.code == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert "Traceback" not in err and len(lines) == 1, err
    assert lines[0].startswith(f"error: trainer.callbacks: InceptionFID has no weights at {isolated}/torch_home/hub/")
    assert sorted(p.name for p in isolated.iterdir()) == ["pets"]
