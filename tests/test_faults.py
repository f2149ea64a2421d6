"""Faults a run survives. Ctrl-C and a scheduler's SIGTERM: the run stops at the end of the batch in progress with
last.ckpt written there, one line with the command that resumes it, exit code 128 + the signal; the resumed run
equals the uninterrupted one; a second Ctrl-C during that write does not cut it short. A full disk: one line, the
previous last.ckpt whole and resumable, no temporary file."""

import signal

import pytest
import torch

from gan_manual.cli import main
from helpers import config

#: Two epochs of 6 batches; last.ckpt every 4 batches and at each epoch's end.
TOY = ["fit", "-c", config("configs/toy_ring.yaml"), "--trainer.max_epochs=2", "--trainer.limit_train_batches=6",
       "--trainer.limit_val_batches=1", "--trainer.enable_progress_bar=false", "--trainer.enable_model_summary=false",
       "--trainer.callbacks=[]", "--checkpoint.every_n_batches=4"]
LAST = "runs/toy_ring/version_0/checkpoints/last.ckpt"


def signal_at(batch: int, signum: int, again_during_save: bool = False) -> str:
    return ('--trainer.callbacks+={"class_path": "probes.SignalAt", "init_args": {"batch": %d, "signum": %d, '
            '"again_during_save": %s}}' % (batch, signum, str(again_during_save).lower()))


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, fake_data) -> dict:
    folder = tmp_path_factory.mktemp("uninterrupted")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        patch.setenv("GAN_MANUAL_DATA", str(fake_data))
        main(TOY)
    return torch.load(folder / LAST, weights_only=True)


def interrupt(capsys, *args: str) -> tuple[int, list[str], str]:
    with pytest.raises(SystemExit) as exit:
        main([*TOY, *args])
    err = capsys.readouterr().err
    assert "Traceback" not in err and "error:" not in err, err
    return exit.value.code, [line for line in err.splitlines() if line.startswith("stopped by")], err


@pytest.fixture
def interactive_sigint():
    """SIGINT handled as in an interactive Python (a pytest started in a script's background inherits it ignored),
    put back as it was after the test."""
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, before)


@pytest.mark.parametrize("signum, batch, saved_at", [
    (signal.SIGINT, 3, 3),    # mid-epoch: written at the end of batch 3
    (signal.SIGTERM, 6, 6),   # an epoch's last batch: written at the epoch's end, as always
])
def test_a_signal_saves_where_it_stops_and_the_resumed_run_equals_the_uninterrupted_one(
        signum, batch, saved_at, uninterrupted, isolated, capsys, interactive_sigint):
    code, lines, err = interrupt(capsys, signal_at(batch, signum))
    assert code == 128 + signum
    name = signal.Signals(signum).name
    epoch = (saved_at - 1) // 6
    assert lines == [f"stopped by {name} after training batch {saved_at} of the run (epoch {epoch}): saved {LAST}; "
                     f"resume with: python -m gan_manual fit -c runs/toy_ring/version_0/config.yaml "
                     f"--ckpt_path {LAST}"]
    assert torch.load(LAST, weights_only=True)["gan_manual"]["batches_trained"] == saved_at
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler, "the run's handler was not taken down"

    cli = main(["fit", "-c", "runs/toy_ring/version_0/config.yaml", "--ckpt_path", LAST])
    assert cli.model.batches_trained == 12
    resumed = torch.load(isolated / "runs/toy_ring/version_1/checkpoints/last.ckpt", weights_only=True)
    for key in ("state_dict", "optimizer_states"):
        assert all(torch.equal(a, b) for a, b in zip(_tensors(resumed[key]), _tensors(uninterrupted[key]),
                                                     strict=True)), key


def _tensors(value) -> list:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _tensors(v)]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    return []


def test_a_sigterm_after_the_last_batch_says_the_run_is_complete_and_a_requeue_trains_nothing(isolated, capsys):
    code, lines, err = interrupt(capsys, signal_at(0, signal.SIGTERM))
    assert code == 143
    assert lines == [f"stopped by SIGTERM after the last batch of the run: it is complete; saved {LAST}; resume with: "
                     f"python -m gan_manual fit -c runs/toy_ring/version_0/config.yaml --ckpt_path {LAST}"], err
    with pytest.raises(SystemExit) as exit:
        main([*TOY, "--ckpt_path", "last"])  # what a requeued job does
    assert exit.value.code == 0
    assert (f"resume: {LAST} finished its 2 epochs (trainer.max_epochs=2): nothing to train; raise it to train on"
            in capsys.readouterr().err)
    assert [p.name for p in (isolated / "runs/toy_ring").iterdir()] == ["version_0"], "no new run folder"


def test_a_second_ctrl_c_during_the_write_leaves_it_whole(isolated, capsys):
    code, lines, err = interrupt(capsys, signal_at(2, signal.SIGINT, again_during_save=True))
    assert "SIGINT: writing last.ckpt; stopping right after" in err, err
    assert code == 130 and lines and lines[0].startswith("stopped by SIGINT after training batch 2 of the run")
    assert torch.load(LAST, weights_only=True)["gan_manual"]["batches_trained"] == 2
    assert not list(isolated.rglob(".*.tmp-*"))


def test_a_second_ctrl_c_mid_batch_stops_at_once_keeping_the_previous_checkpoint(isolated, capsys):
    twice = '--trainer.callbacks+={"class_path": "probes.SignalAt", "init_args": {"batch": 6, "twice": true}}'
    code, lines, err = interrupt(capsys, twice)
    assert code == 130
    assert lines == [f"stopped by a second SIGINT, mid-batch; {LAST}; resume with: python -m gan_manual fit -c "
                     f"runs/toy_ring/version_0/config.yaml --ckpt_path {LAST}"], err
    assert torch.load(LAST, weights_only=True)["gan_manual"]["batches_trained"] == 4


def test_a_full_disk_is_one_line_and_the_previous_checkpoint_resumes_exactly(uninterrupted, isolated, capsys):
    disk_full = '--trainer.callbacks+={"class_path": "probes.DiskFull", "init_args": {"save": 2}}'
    with pytest.raises(SystemExit) as exit:
        main([*TOY, disk_full])  # saves at batch 4, then at the end of epoch 0 (batch 6): the disk fills up
    assert exit.value.code == 1
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    folder = "runs/toy_ring/version_0/checkpoints"
    assert len(errors) == 1 and errors[0].startswith(f"error: {folder}: no space left to write last.ckpt (it needs "
                                                     f"about "), err
    assert f" are free); the previous last.ckpt is intact; resume with --ckpt_path {LAST}; free some" in errors[0]
    assert "Traceback" not in err
    assert sorted(p.name for p in (isolated / folder).iterdir()) == ["last.ckpt"], "no temporary file"
    assert torch.load(LAST, weights_only=True)["gan_manual"]["batches_trained"] == 4

    main([*TOY, "--ckpt_path", LAST])  # not its config.yaml, which names the full disk too
    resumed = torch.load(isolated / "runs/toy_ring/version_1/checkpoints/last.ckpt", weights_only=True)
    for key in ("state_dict", "optimizer_states"):
        assert all(torch.equal(a, b) for a, b in zip(_tensors(resumed[key]), _tensors(uninterrupted[key]), strict=True))
