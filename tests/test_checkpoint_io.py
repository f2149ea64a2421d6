"""Atomic checkpoint writes: a save that dies halfway leaves the previous file whole and no temporary file."""

import pytest
import torch

from gan_manual.checkpoint_io import AtomicCheckpointIO


def test_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    io, path = AtomicCheckpointIO(), tmp_path / "ckpts" / "last.ckpt"
    io.save_checkpoint({"step": torch.tensor(1)}, path)
    assert torch.load(path, weights_only=True)["step"] == 1

    def dies_halfway(obj, file, *args, **kwargs):
        file.write(b"half a checkpoint")
        raise OSError("disk full")

    monkeypatch.setattr(torch, "save", dies_halfway)
    with pytest.raises(OSError, match="disk full"):
        io.save_checkpoint({"step": torch.tensor(2)}, path)
    monkeypatch.undo()
    assert torch.load(path, weights_only=True)["step"] == 1
    assert [p.name for p in path.parent.iterdir()] == ["last.ckpt"]


def test_save_replaces_and_clears_leftovers(tmp_path):
    io, path = AtomicCheckpointIO(), tmp_path / "last.ckpt"
    (tmp_path / ".last.ckpt.tmp-12345").write_bytes(b"left by a killed process")
    io.save_checkpoint({"step": torch.tensor(1)}, path)
    io.save_checkpoint({"step": torch.tensor(2)}, path)
    assert torch.load(path, weights_only=True)["step"] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["last.ckpt"]
