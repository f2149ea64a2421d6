"""Bad files: a truncated, corrupted or foreign checkpoint, a checkpoint of another model, a truncated MNIST file,
an output folder that cannot be written, config files that are not a YAML mapping. Each: exit code 2, one error
line, no traceback, no file touched."""

import io
import os
import pickle
import shutil
import struct
import zipfile
from pathlib import Path

import pytest
import torch

from gan_manual.cli import main
from helpers import TINY, config, snapshot, trained_once

WGAN = ["fit", "-c", config("configs/wgan.yaml"), *TINY]


@pytest.fixture(scope="module")
def wgan_run(tmp_path_factory, fake_data) -> Path:
    return trained_once(tmp_path_factory, fake_data, WGAN)


@pytest.fixture
def trained(wgan_run, isolated) -> Path:
    """A finished run, copied into this test's folder (which it may damage): runs/wgan/version_0 with last.ckpt."""
    shutil.copytree(wgan_run / "runs", isolated / "runs")
    last = isolated / "runs/wgan/version_0/checkpoints/last.ckpt"
    assert last.is_file()
    return last


def assert_one_error_line(args, capsys, folder: Path, message: str) -> None:
    before = snapshot(folder)
    with pytest.raises(SystemExit) as exit:
        main(args)
    assert exit.value.code == 2
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and message in errors[0], err
    assert "Traceback" not in err
    assert snapshot(folder) == before, "no file may be written or changed"


def test_truncated_checkpoint(trained, capsys, isolated):
    data = trained.read_bytes()
    (isolated / "half.ckpt").write_bytes(data[: len(data) // 2])
    assert_one_error_line([*WGAN, "--ckpt_path", "half.ckpt"], capsys, isolated,
                          "ckpt_path: half.ckpt is not a readable checkpoint, truncated or corrupted")


def test_corrupted_checkpoint(trained, capsys, isolated):
    data = bytearray(trained.read_bytes())
    data[100:4000] = os.urandom(3900)
    (isolated / "bad.ckpt").write_bytes(bytes(data))
    assert_one_error_line([*WGAN, "--ckpt_path", "bad.ckpt"], capsys, isolated,
                          "ckpt_path: bad.ckpt is corrupted: archive/data.pkl fails the zip container's CRC check")


def test_checkpoint_whose_bytes_changed_fails_its_crc_check(trained, capsys, isolated):
    """64 bytes changed inside a tensor (the largest: an Adam moment or a weight) load without complaint; only the
    zip container's CRCs tell."""
    data = bytearray(trained.read_bytes())
    with zipfile.ZipFile(trained) as archive:
        member = max(archive.infolist(), key=lambda info: info.file_size)
    name_length, extra_length = struct.unpack("<HH", data[member.header_offset + 26: member.header_offset + 30])
    middle = member.header_offset + 30 + name_length + extra_length + member.file_size // 2  # stored, not deflated
    data[middle: middle + 64] = bytes(b ^ 0xFF for b in data[middle: middle + 64])
    (isolated / "flipped.ckpt").write_bytes(bytes(data))
    torch.load(io.BytesIO(bytes(data)), weights_only=True)  # torch itself reads it
    assert_one_error_line([*WGAN, "--ckpt_path", "flipped.ckpt"], capsys, isolated,
                          f"ckpt_path: flipped.ckpt is corrupted: {member.filename} fails the zip container's CRC "
                          f"check")


def test_file_that_is_not_a_checkpoint(capsys, isolated):
    torch.save({"weights": torch.zeros(3)}, isolated / "other.pt")
    assert_one_error_line([*WGAN, "--ckpt_path", "other.pt"], capsys, isolated,
                          "ckpt_path: other.pt is not a Lightning checkpoint (it has no state_dict)")


class _RunsCode:
    """What a malicious pickle holds: an object whose unpickling runs a command."""

    def __reduce__(self):
        return os.system, ("touch pwned",)


def test_a_pickle_that_would_run_code_is_refused_without_advice_to_load_it_anyway(capsys, isolated):
    (isolated / "evil.ckpt").write_bytes(pickle.dumps({"state_dict": _RunsCode()}))
    for command in ([*WGAN, "--ckpt_path", "evil.ckpt"], ["sample", "--ckpt_path", "evil.ckpt", "--output_dir", "o"]):
        assert_one_error_line(command, capsys, isolated, "ckpt_path: evil.ckpt holds Python objects that no "
                              "checkpoint of gan_manual holds, and loading them could run code; it is refused")
    assert not (isolated / "pwned").exists()
    assert "weights_only" not in capsys.readouterr().err


def test_a_config_given_as_the_checkpoint(capsys, isolated):
    assert_one_error_line([*WGAN, "--ckpt_path", config("configs/wgan.yaml")], capsys, isolated,
                          "configs/wgan.yaml is a text file (a config?), not a checkpoint; give a last.ckpt that fit "
                          "wrote")


def test_missing_checkpoint(capsys, isolated):
    assert_one_error_line([*WGAN, "--ckpt_path", "nowhere.ckpt"], capsys, isolated, "ckpt_path: no file nowhere.ckpt")


def test_checkpoint_of_another_model(trained, capsys, isolated):
    other = ["--model.init_args.generator.init_args.hidden_dims=[32]", "--ckpt_path", "last",
             "--trainer.max_epochs=2"]  # more to train: the run in trained finished its one epoch
    assert_one_error_line([*WGAN, *other], capsys, isolated, "runs/wgan/version_0/checkpoints/last.ckpt holds a "
                          "different model (generator.net.0.weight is (128, 100) there, (32, 100) here")


def test_truncated_mnist_file(capsys, isolated, fake_data):
    root = isolated / "data"
    shutil.copytree(fake_data / "MNIST", root / "MNIST")
    images = root / "MNIST/raw/train-images-idx3-ubyte"
    images.write_bytes(images.read_bytes()[:-1000])
    assert_one_error_line([*WGAN, f"--data.init_args.root={root}"], capsys, isolated,
                          f"data.root: {images} is truncated or corrupted (1604648 bytes, its header says 1605648)")


def test_mnist_labels_cut_inside_their_header(capsys, isolated, fake_data):
    root = isolated / "data"
    shutil.copytree(fake_data / "MNIST", root / "MNIST")
    labels = root / "MNIST/raw/train-labels-idx1-ubyte"
    labels.write_bytes(labels.read_bytes()[:6])
    assert_one_error_line([*WGAN, f"--data.init_args.root={root}"], capsys, isolated,
                          f"data.root: {labels} is truncated or corrupted (6 bytes, cut inside its IDX header)")


def test_mnist_images_and_labels_of_different_copies(capsys, isolated, fake_data):
    root = isolated / "data"
    shutil.copytree(fake_data / "MNIST", root / "MNIST")
    labels = root / "MNIST/raw/train-labels-idx1-ubyte"
    header, values = labels.read_bytes()[:8], labels.read_bytes()[8:]
    labels.write_bytes(header[:4] + (len(values) - 48).to_bytes(4, "big") + values[:-48])  # whole, but 48 short
    images = root / "MNIST/raw/train-images-idx3-ubyte"
    assert_one_error_line([*WGAN, f"--data.init_args.root={root}"], capsys, isolated,
                          f"data.root: {images} holds 2048 images and train-labels-idx1-ubyte 2000 labels: the two "
                          f"files are of different copies")


@pytest.mark.parametrize("content, message", [
    (b"", "the file is empty; a config file maps keys to values (seed_everything:, trainer:, model:, data:"),
    (b"- model\n- 2\n", "the file is a YAML list, not a mapping; a config file maps keys to values"),
    (b"\x7fELF\x02\x01\x01\x00\xf0\x9f\x00", "not a text file (byte 8 is not UTF-8); it must be YAML text"),
    (b"model:\n  init_args:\n    d_steps_per_g_step: ${model.init_args.nope}\n",
     "the interpolation at model.init_args.d_steps_per_g_step does not resolve: Interpolation key "
     "'model.init_args.nope' not found"),
    (b"model:\n  init_args:\n    d_steps_per_g_step: 2\n    d_steps_per_g_step: 3\n",
     "model.init_args.d_steps_per_g_step is given twice (lines 3 and 4); YAML would keep only the second"),
])
def test_config_file_that_is_not_a_mapping_of_keys(content, message, capsys, isolated):
    (isolated / "bad.yaml").write_bytes(content)
    assert_one_error_line([*WGAN, "-c", "bad.yaml"], capsys, isolated, f"bad.yaml: {message}")


def test_a_part_that_includes_itself_is_named_with_the_loop(capsys, isolated):
    (isolated / "parts").mkdir()
    (isolated / "parts/callbacks.yaml").write_text("- class_path: gan_manual.callbacks.ResumeCheckpoint\n"
                                                  "- more.yaml\n")
    (isolated / "parts/more.yaml").write_text("- callbacks.yaml\n")
    (isolated / "top.yaml").write_text("trainer:\n  callbacks: parts/callbacks.yaml\n")
    assert_one_error_line([*WGAN, "-c", "top.yaml"], capsys, isolated,
                          f"{isolated}/parts/more.yaml: includes callbacks.yaml, which includes it again (top.yaml -> "
                          f"callbacks.yaml -> more.yaml -> callbacks.yaml); a part cannot include a file that "
                          f"includes it")


def test_output_folder_under_a_file(capsys, isolated):
    (isolated / "taken").write_text("a file, not a folder")
    assert_one_error_line([*WGAN, "--trainer.logger.init_args.save_dir=taken/runs"], capsys, isolated,
                          f"trainer.logger.init_args.save_dir: cannot write to taken/runs: {isolated}/taken is a file")


def test_read_only_output_folder(capsys, isolated, monkeypatch):
    locked = isolated / "locked"
    locked.mkdir(mode=0o555)
    if os.geteuid() == 0:  # root may write into any folder: os.access answers here as it would for a user
        access = os.access
        monkeypatch.setattr(os, "access", lambda path, mode: access(path, mode) and not (
            Path(path) == locked and mode & os.W_OK))
    assert_one_error_line([*WGAN, "--trainer.logger.init_args.save_dir=locked/runs"], capsys, isolated,
                          "trainer.logger.init_args.save_dir: cannot write to locked/runs")
