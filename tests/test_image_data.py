"""CIFAR-10 in torchvision's on-disk layout and image folders: what they load, the folder cache, and bad data as one
line before anything is written."""

import os
import pickle

import numpy as np
import pytest
import torch

from gan_manual.cli import main
from gan_manual.data import CIFAR10DataModule, ImageFolderDataModule
from gan_manual.errors import ConfigError
from helpers import TINY, config, snapshot, write_fake_image_folder


def test_cifar10_loads_the_pickled_batches_as_uint8_images(fake_data):
    dm = CIFAR10DataModule(str(fake_data), check_md5=False)
    dm.setup("fit")
    images, labels = dm.train_tensors
    assert images.shape == (5 * 256, 3, 32, 32) and images.dtype == torch.uint8
    first = pickle.loads((fake_data / "cifar-10-batches-py/data_batch_1").read_bytes())
    # The pickled rows are 1024 red, 1024 green, then 1024 blue values, row by row: channels first.
    assert torch.equal(images[0], torch.from_numpy(first["data"][0]).view(3, 32, 32))
    assert labels[:256].tolist() == first["labels"]
    assert dm.eval_tensors[0].shape == (64, 3, 32, 32)
    batch = dm.on_after_batch_transfer((images[:4], labels[:4]), 0)
    assert batch[0].min() >= -1 and batch[0].max() <= 1 and batch[0].dtype == torch.float32


def test_cifar10_checks_md5_sums_unless_told_not_to(fake_data):
    with pytest.raises(ConfigError, match=r"data.root: .*data_batch_1 does not match torchvision's MD5 sum.*"
                                          r"--data.check_md5=false"):
        CIFAR10DataModule(str(fake_data))


def test_cifar10_missing_files_name_the_folder(tmp_path):
    with pytest.raises(ConfigError, match=r"data.root: no CIFAR10 files in .*cifar-10-batches-py; point "
                                          r"--data.root .* hold(s)? cifar-10-batches-py/"):
        CIFAR10DataModule(str(tmp_path))


def test_image_folder_labels_come_from_class_folders(tmp_path):
    write_fake_image_folder(tmp_path / "pets", classes=("dogs", "cats"), per_class=3)
    dm = ImageFolderDataModule(str(tmp_path / "pets"), image_size=16, cache_dir=str(tmp_path / "cache"))
    dm.setup("fit")
    images, labels = dm.train_tensors
    assert dm.classes == ["cats", "dogs"] and dm.data_shape == (3, 16, 16)
    assert images.shape == (6, 3, 16, 16) and images.dtype == torch.uint8
    assert labels.tolist() == [0, 0, 0, 1, 1, 1]
    grey = ImageFolderDataModule(str(tmp_path / "pets"), image_size=8, channels=1, cache_dir=str(tmp_path / "cache"))
    grey.setup("fit")
    assert grey.train_tensors[0].shape == (6, 1, 8, 8)


def test_16_bit_pngs_are_on_the_scale_of_8_bit_ones_and_mix_with_them(tmp_path):
    from PIL import Image

    folder = tmp_path / "mixed" / "scans"
    folder.mkdir(parents=True)
    deep = np.array([[0, 16668, 55238, 65535]] * 4, dtype=np.uint16)
    Image.fromarray(deep).save(folder / "deep.png")
    Image.fromarray((deep >> 8).astype(np.uint8)).save(folder / "shallow.png")
    dm = ImageFolderDataModule(str(tmp_path / "mixed"), image_size=4, channels=1, cache_dir=str(tmp_path / "cache"))
    dm.setup("fit")
    images = dm.train_tensors[0]
    assert images.dtype == torch.uint8 and images.shape == (2, 1, 4, 4)
    assert torch.equal(images[0], images[1]) and images.max() == 255 and images.min() == 0


def test_a_class_folder_that_is_a_symbolic_link_is_read(tmp_path):
    write_fake_image_folder(tmp_path / "elsewhere", classes=("dogs",), per_class=3)
    write_fake_image_folder(tmp_path / "pets", classes=("cats",), per_class=2)
    (tmp_path / "pets" / "dogs").symlink_to(tmp_path / "elsewhere" / "dogs")
    (tmp_path / "pets" / "cats" / "loop").symlink_to(tmp_path / "pets")  # a link back up is not followed round
    dm = ImageFolderDataModule(str(tmp_path / "pets"), image_size=8, cache_dir=str(tmp_path / "cache"))
    assert dm.classes == ["cats", "dogs"] and len(dm.files) == 5


def test_a_cache_that_does_not_read_is_decoded_again(tmp_path, capsys):
    write_fake_image_folder(tmp_path / "pets", per_class=2)
    first = ImageFolderDataModule(str(tmp_path / "pets"), image_size=8, cache_dir=str(tmp_path / "cache"))
    first.setup("fit")
    cache = first.cache_file()
    cache.write_bytes(cache.read_bytes()[: cache.stat().st_size // 2])
    again = ImageFolderDataModule(str(tmp_path / "pets"), image_size=8, cache_dir=str(tmp_path / "cache"))
    again.setup("fit")
    assert torch.equal(again.train_tensors[0], first.train_tensors[0])
    assert f"data: the cache {cache} does not read (" in capsys.readouterr().err
    assert torch.load(cache, weights_only=True)["images"].shape == (4, 3, 8, 8)


def test_image_folder_without_subfolders_has_label_zero(tmp_path):
    write_fake_image_folder(tmp_path / "flat", classes=(), per_class=4)
    dm = ImageFolderDataModule(str(tmp_path / "flat"), image_size=16, cache_dir=str(tmp_path / "cache"))
    dm.setup("fit")
    assert dm.classes == [] and dm.train_tensors[1].tolist() == [0, 0, 0, 0]


def test_image_folder_resizes_the_short_side_and_crops_the_centre(tmp_path):
    from torchvision.io import encode_png

    (tmp_path / "one").mkdir()
    image = torch.zeros(3, 20, 40, dtype=torch.uint8)
    image[:, :, 10:30] = 255  # a white band in the middle 20 columns of a 20x40 image
    (tmp_path / "one/band.png").write_bytes(bytes(encode_png(image).numpy()))
    dm = ImageFolderDataModule(str(tmp_path / "one"), image_size=10, cache_dir=str(tmp_path / "cache"))
    dm.setup("fit")
    # Short side 20 -> 10 (so 10x20), then the centre 10x10: all of it inside the band.
    assert dm.train_tensors[0].shape == (1, 3, 10, 10) and dm.train_tensors[0].min() > 200


def test_image_folder_is_decoded_once_and_cached_by_its_file_list(tmp_path, monkeypatch):
    root, cache = write_fake_image_folder(tmp_path / "pets"), tmp_path / "cache"
    first = ImageFolderDataModule(str(root), image_size=16, cache_dir=str(cache))
    first.setup("fit")
    assert [p.name for p in cache.iterdir()] == [first.cache_file().name]

    from gan_manual.data import folder

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr(folder, "decode_image", no_decoding)
    again = ImageFolderDataModule(str(root), image_size=16, cache_dir=str(cache))
    again.setup("fit")
    assert torch.equal(again.train_tensors[0], first.train_tensors[0])
    monkeypatch.undo()

    write_fake_image_folder(root, classes=("birds",), per_class=2)  # new files: a new key, a new cache file
    grown = ImageFolderDataModule(str(root), image_size=16, cache_dir=str(cache))
    assert grown.cache_file() != first.cache_file()
    grown.setup("fit")
    assert len(grown.train_tensors[0]) == len(first.train_tensors[0]) + 2 and len(list(cache.iterdir())) == 2


def test_image_folder_holdout_is_a_seeded_disjoint_split(tmp_path):
    root = write_fake_image_folder(tmp_path / "pets", per_class=5)
    dm = ImageFolderDataModule(str(root), image_size=8, holdout=3, seed=1, cache_dir=str(tmp_path / "cache"))
    dm.setup("fit")
    train, held = dm.train_tensors[0], dm.eval_tensors[0]
    assert len(train) == 7 and len(held) == 3
    assert not any(torch.equal(h, t) for h in held for t in train)
    with pytest.raises(ConfigError, match="data.holdout: 10 of the 10 images .* would leave none to train on"):
        ImageFolderDataModule(str(root), holdout=10, cache_dir=str(tmp_path / "cache"))


def test_unreadable_image_is_named_or_skipped_and_no_cache_is_half_written(tmp_path):
    root, cache = write_fake_image_folder(tmp_path / "pets"), tmp_path / "cache"
    (root / "dogs/broken.png").write_bytes(b"\x89PNG not really")
    dm = ImageFolderDataModule(str(root), image_size=16, cache_dir=str(cache))
    with pytest.raises(ConfigError, match=r"data.root: .*dogs/broken.png does not decode as an image .*; fix or "
                                          r"delete it, or pass --data.skip_unreadable=true"):
        dm.setup("fit")
    assert not cache.exists() or not list(cache.iterdir())
    skipping = ImageFolderDataModule(str(root), image_size=16, skip_unreadable=True, cache_dir=str(cache))
    skipping.setup("fit")
    assert len(skipping.train_tensors[0]) == 12
    assert torch.load(skipping.cache_file(), weights_only=True)["skipped"] == ["dogs/broken.png"]
    assert [p.suffix for p in cache.iterdir()] == [".pt"], "no temporary file left"


def test_image_folder_refuses_loose_images_beside_class_folders(tmp_path):
    root = write_fake_image_folder(tmp_path / "pets")
    write_fake_image_folder(root, classes=(), per_class=1)
    with pytest.raises(ConfigError, match="data.root: .* holds class folders .* and loose images"):
        ImageFolderDataModule(str(root))


def test_image_folder_trains_through_the_cli(isolated):
    root = write_fake_image_folder(isolated / "pets", per_class=32, size=(36, 36))
    # The README's command, on a small folder and a few batches.
    callbacks = config("configs/callbacks/samples_only.yaml")
    cli = main(["fit", "-c", config("configs/dcgan.yaml"), f"--trainer.callbacks={callbacks}",
                "--trainer.logger.init_args.name=faces", "--data=gan_manual.data.ImageFolderDataModule",
                f"--data.root={root}", "--data.image_size=32", *TINY, f"--data.cache_dir={isolated / 'cache'}",
                "--data.batch_size=16"])
    assert cli.model.batches_trained == 4
    assert (isolated / "runs/faces/version_0/samples/epoch=000.png").is_file()
    assert cli.model.generate(2, seed=0).shape == (2, 3, 32, 32)


def test_a_corrupt_image_stops_the_cli_in_one_line_before_anything_is_written(isolated, capsys):
    root = write_fake_image_folder(isolated / "pets", per_class=4)
    (root / "cats/0.png").write_bytes(b"garbage")
    before = snapshot(isolated)
    with pytest.raises(SystemExit) as exit:
        main(["fit", "-c", config("configs/dcgan.yaml"), *TINY, "--trainer.callbacks=[]",
              "--data=gan_manual.data.ImageFolderDataModule", f"--data.root={root}", "--data.image_size=32",
              f"--data.cache_dir={isolated / 'cache'}"])
    assert exit.value.code == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "cats/0.png does not decode as an image" in lines[0]
    assert snapshot(isolated) == before and not (isolated / "runs").exists()
    assert os.listdir(isolated) == ["pets"]


def test_an_unwritable_cache_folder_is_named(tmp_path):
    root = write_fake_image_folder(tmp_path / "pets", per_class=1)
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match=r"data.cache_dir: cannot write to .*file/cache: .*file is a file"):
        ImageFolderDataModule(str(root), cache_dir=str(tmp_path / "file/cache"))
