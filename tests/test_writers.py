"""Every file the project writes is whole or absent (gan_manual.files): a disk that fills up while one is written
ends the command with one line naming the folder, leaves the previous file as it was and no temporary file, for
each writer: the saved config.yaml, the sample pictures of training, `sample`'s files, an image folder's cache, and
(tests/test_study.py) a study's report, records and study.yaml; checkpoints: tests/test_faults.py. A run without
room is refused before it writes; a library's writer (TensorBoard's) failing on a read-only disk is one line with
the resume command."""

import errno
import os
import shutil
import threading
from pathlib import Path

import pytest
import torch
from lightning.pytorch.loggers import TensorBoardLogger

from gan_manual import cli, files
from gan_manual.cli import main, run_folder
from gan_manual.data import ImageFolderDataModule
from gan_manual.errors import StorageError
from helpers import TINY, config, no_temporary_files, one_error, snapshot, write_fake_image_folder

FIT = ["fit", "-c", config("configs/toy_ring.yaml"), *TINY, "--trainer.enable_progress_bar=false"]


def test_a_full_disk_while_the_config_is_saved(full_disk, isolated, capsys):
    full_disk("config.yaml")
    with pytest.raises(SystemExit) as exit:
        main(FIT)
    assert exit.value.code == 1
    line = one_error(capsys)
    assert line.startswith("error: runs/toy_ring/version_0: no space left to write config.yaml ("), line
    assert "no config.yaml was written" in line and line.endswith("the run wrote no checkpoint"), line
    assert not (isolated / "runs/toy_ring/version_0").exists(), "the folder of a run that never started"
    no_temporary_files(isolated)


def test_a_full_disk_while_a_picture_of_training_is_saved(full_disk, isolated, capsys):
    full_disk("epoch=000.png")
    with pytest.raises(SystemExit) as exit:
        main(FIT)
    assert exit.value.code == 1
    line = one_error(capsys)
    assert line.startswith("error: runs/toy_ring/version_0/samples: no space left to write epoch=000.png ("), line
    assert not list(isolated.rglob("epoch=000.png"))
    no_temporary_files(isolated)


def test_a_full_disk_while_sampling_keeps_the_previous_samples(full_disk, toy_checkpoint, isolated, capsys):
    sample = ["sample", "--ckpt_path", str(toy_checkpoint), "--num_samples", "20", "--output_dir", "out"]
    main([*sample, "--seed", "1"])
    before = snapshot(isolated / "out")
    full_disk("grid.png")
    with pytest.raises(SystemExit) as exit:
        main([*sample, "--seed", "2"])
    assert exit.value.code == 1
    line = one_error(capsys)
    assert line.startswith("error: out: no space left to write grid.png") and "the previous grid.png is intact" in line
    assert snapshot(isolated / "out") == before, "samples.pt of seed 2 beside grid.png of seed 1"
    no_temporary_files(isolated)


def test_a_full_disk_while_an_image_cache_is_written(full_disk, tmp_path):
    write_fake_image_folder(tmp_path / "pets")
    data = ImageFolderDataModule(str(tmp_path / "pets"), image_size=8, cache_dir=str(tmp_path / "cache"))
    full_disk("pets-*.pt")
    pattern = (rf"^{tmp_path / 'cache'}: no space left to write pets-\w+\.pt \(it needs about [\d.]+ KiB and .* are "
               rf"free\); no pets-\w+\.pt was written; free some space, or put the cache elsewhere \(--data.cache_dir\)$")
    with pytest.raises(StorageError, match=pattern):
        data.prepare_data()
    assert not list((tmp_path / "cache").iterdir())
    full_disk(None)  # the disk has room again
    data.prepare_data()
    assert len(list((tmp_path / "cache").iterdir())) == 1


def test_a_failed_group_of_files_leaves_every_previous_one(full_disk, tmp_path):
    files.write(tmp_path / "a.txt", "old a")
    files.write(tmp_path / "b.txt", "old b")
    full_disk("b.txt")
    with pytest.raises(StorageError, match="no space left to write b.txt"):
        with files.together() as add:
            add(tmp_path / "a.txt", "new a")
            add(tmp_path / "b.txt", "new b")
    assert (tmp_path / "a.txt").read_text() == "old a" and (tmp_path / "b.txt").read_text() == "old b"
    no_temporary_files(tmp_path)


def test_sizes_read_as_a_person_writes_them():
    assert [files.size(n) for n in (0, 512, 1536, 5 * 2**20, 3 * 2**30)] == [
        "0 B", "512 B", "1.5 KiB", "5.0 MiB", "3.0 GiB"]


def test_no_room_for_the_run_is_one_line_before_anything_is_written(isolated, capsys, monkeypatch):
    usage = shutil.disk_usage(isolated)
    monkeypatch.setattr(run_folder.shutil, "disk_usage", lambda path: usage._replace(free=300 * 1024))
    with pytest.raises(SystemExit) as exit:
        main(FIT)
    assert exit.value.code == 1
    line = one_error(capsys)
    assert line.startswith("error: runs/toy_ring/version_0: no space left for the run: it needs about ")
    assert line.endswith("and 300.0 KiB are free; nothing was written; free some space, or write the run elsewhere "
                         "(--trainer.logger.init_args.save_dir)")
    assert list(isolated.iterdir()) == []


def test_a_file_system_turned_read_only_under_a_librarys_writer_is_one_line_with_the_resume_command(
        isolated, capsys, monkeypatch):
    """TensorBoard's event writer, say, after the run's first checkpoint: its own OSError, with its file name in
    bytes, as it raises it."""
    calls = []
    events = os.fsencode("runs/toy_ring/version_0/events.out.tfevents.1.host.1.0")

    def read_only(self, metrics, step=None):
        calls.append(step)
        if (isolated / "runs/toy_ring/version_0/checkpoints/last.ckpt").is_file():
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), events)

    monkeypatch.setattr(TensorBoardLogger, "log_metrics", read_only)
    with pytest.raises(SystemExit) as exit:
        main([*FIT, "--trainer.max_epochs=2", "--trainer.log_every_n_steps=1", "--checkpoint.every_n_batches=2"])
    assert exit.value.code == 1
    last = "runs/toy_ring/version_0/checkpoints/last.ckpt"
    assert one_error(capsys) == (
        "error: runs/toy_ring/version_0: cannot write events.out.tfevents.1.host.1.0 (the file system is read-only); "
        f"its last checkpoint is intact; resume with: python -m gan_manual fit -c runs/toy_ring/version_0/config.yaml "
        f"--ckpt_path {last}")
    assert calls and torch.load(last, weights_only=True)["gan_manual"]["batches_trained"] == 2


def test_a_writer_thread_that_dies_of_a_full_disk_prints_nothing_else_does(capsys, monkeypatch):
    """TensorBoard writes events from a thread of its own; its death of a full disk is said once, by main."""
    monkeypatch.setattr(threading, "excepthook", cli._quiet_about_disks)

    def dies_of(error: Exception) -> str:
        def raise_it():
            raise error

        thread = threading.Thread(target=raise_it)
        thread.start()
        thread.join()
        return capsys.readouterr().err

    assert dies_of(OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))) == ""
    assert "ValueError: a bug" in dies_of(ValueError("a bug"))
