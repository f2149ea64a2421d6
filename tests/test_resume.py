"""Exact resume: a run SIGKILLed at a batch and resumed with --ckpt_path last ends bit-identical to the same run
uninterrupted (weights, optimizer and scheduler states, counters, loop state, every logged scalar): an MLP run
killed before any checkpoint, during D's warm-up and on an epoch's last batch; the same run on DCGAN nets with
spectral norm, DiffAugment and R1 killed mid-epoch and after an epoch boundary; SNGAN's ResNets; a conditional run
in bf16 and an ACGAN; the toys. These start processes (a SIGKILL ends one) and are ``slow``; how a resume reports a
changed config runs in-process, in the fast tier."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from gan_manual import lock
from gan_manual.lock import Lock
from gan_manual.cli import main
from helpers import TESTS, TINY, config, run_cli

#: 3 epochs of 10 batches; last.ckpt every 4 batches and at epoch ends; D alone for the first 6 batches, 3 D
#: steps per G step on one batch, gradient penalty, clipping, StepLR per epoch, rolling means, G's moving average.
RESUME_YAML = """
trainer:
  max_epochs: 3
  limit_train_batches: 10
  limit_val_batches: 1
  log_every_n_steps: 3
  enable_progress_bar: false
  enable_model_summary: false
  logger: {class_path: lightning.pytorch.loggers.TensorBoardLogger, init_args: {save_dir: runs, name: r}}
  callbacks:
  - class_path: gan_manual.callbacks.LearningRates
checkpoint: {every_n_batches: 4}
model:
  init_args:
    generator: {class_path: gan_manual.nets.MLPGenerator, init_args: {latent_dim: 16, hidden_dims: [32, 64]}}
    discriminator: {class_path: gan_manual.nets.MLPDiscriminator, init_args: {hidden_dims: [64, 32]}}
    d_warmup_batches: 6
    rolling_window: 5
    g_ema_decay: 0.9
    g_scheduler: {class_path: torch.optim.lr_scheduler.StepLR, init_args: {step_size: 1, gamma: 0.5}}
    d_scheduler: {class_path: torch.optim.lr_scheduler.StepLR, init_args: {step_size: 1, gamma: 0.5}}
data:
  init_args: {batch_size: 128}
"""


#: The same run on convolutional nets with a spectrally normalised critic, DiffAugment and R1 through both.
CONV_YAML = RESUME_YAML.replace(
    """    generator: {class_path: gan_manual.nets.MLPGenerator, init_args: {latent_dim: 16, hidden_dims: [32, 64]}}
    discriminator: {class_path: gan_manual.nets.MLPDiscriminator, init_args: {hidden_dims: [64, 32]}}""",
    """    generator: {class_path: gan_manual.nets.DCGANGenerator, init_args: {latent_dim: 8, width: 4}}
    discriminator:
      class_path: gan_manual.nets.DCGANDiscriminator
      init_args: {width: 4, batch_norm: false, spectral_norm: true}
    augment: {class_path: gan_manual.augment.DiffAugment}
    penalty: {class_path: gan_manual.penalties.R1Penalty, init_args: {weight: 1.0}}""")


def run(folder: Path, data: Path, *args: str, yaml: str = RESUME_YAML) -> subprocess.CompletedProcess:
    """``python -m gan_manual fit`` in a process of its own, in ``folder``, with the tests' probes importable."""
    assert yaml == RESUME_YAML or yaml.count("DiffAugment") == 1, "CONV_YAML no longer replaces the nets"
    (folder / "resume.yaml").write_text(yaml)
    return run_cli(["fit", "-c", config("configs/advanced_gan.yaml"), "-c", "resume.yaml", *args], folder, data)


def kill_at(batch: int) -> str:
    return '--trainer.callbacks+={"class_path": "probes.KillAt", "init_args": {"batch": %d}}' % batch


def newest_last(folder: Path) -> Path:
    return max((folder / "runs").rglob("last.ckpt"), key=lambda p: p.stat().st_mtime)


def scalars(version_dir: Path) -> dict[tuple[str, int], float]:
    events = EventAccumulator(str(version_dir), size_guidance={"scalars": 0})
    events.Reload()
    return {(tag, e.step): e.value for tag in events.Tags()["scalars"] for e in events.Scalars(tag)}


def assert_same(a, b, where="checkpoint") -> None:
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and torch.equal(a, b), where
    elif isinstance(a, dict):
        assert a.keys() == b.keys(), f"{where}: {sorted(a)} != {sorted(b)}"
        for key in a:
            assert_same(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} != {b!r}"


#: Everything a resumed run must reproduce; the callbacks' states hold run-specific paths.
COMPARED = ("state_dict", "optimizer_states", "lr_schedulers", "gan_manual", "loops", "epoch", "global_step")


@pytest.fixture(scope="module")
def reference(tmp_path_factory, fake_data) -> Path:
    folder = tmp_path_factory.mktemp("uninterrupted")
    result = run(folder, fake_data)
    assert result.returncode == 0, result.stderr[-3000:]
    return folder


@pytest.mark.slow
@pytest.mark.parametrize(
    "kill, resumes_from",
    [
        (1, None),  # at the start, before any checkpoint: "last" finds none and the run starts afresh
        (5, 4),  # during D's warm-up
        (20, 16),  # on an epoch's last batch, before its end-of-epoch save
        # mid-epoch and after an epoch boundary: test_spectral_norm_and_diffaugment_resume_exactly, same schedule
    ],
)
def test_killed_and_resumed_run_equals_uninterrupted(reference, fake_data, tmp_path, kill, resumes_from):
    killed = run(tmp_path, fake_data, kill_at(kill))
    assert killed.returncode == -9, killed.stderr[-3000:]
    if resumes_from is not None:
        saved = torch.load(newest_last(tmp_path), weights_only=True)
        assert saved["gan_manual"]["batches_trained"] == resumes_from

    resumed = run(tmp_path, fake_data, "--ckpt_path", "last")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    if resumes_from is None:
        assert "no last.ckpt" in resumed.stderr
    else:
        assert "resume: from runs/r/version_0/checkpoints/last.ckpt (the only run there" in resumed.stderr
        # The killed run's config listed the probe that killed it; nothing else differs.
        differ = [line for line in resumed.stderr.splitlines() if line.startswith("  ")]
        assert differ and all(line.startswith("  trainer.callbacks.1.") for line in differ), resumed.stderr

    ours = torch.load(newest_last(tmp_path), weights_only=True)
    theirs = torch.load(newest_last(reference), weights_only=True)
    assert ours["gan_manual"]["batches_trained"] == 30
    for key in COMPARED:
        assert_same(ours[key], theirs[key], key)

    # The resumed run logs on the same step axis the same values as the uninterrupted one, from where it resumed.
    expected = scalars(reference / "runs/r/version_0")
    logged = scalars(tmp_path / "runs/r/version_1")
    assert logged and all(logged[k] == expected[k] for k in logged), {k: (logged[k], expected.get(k)) for k in logged}
    after = resumes_from or 0
    missing = [k for k in expected if k[1] > after and k not in logged]
    assert not missing, missing


def start(folder: Path, data: Path, *args: str) -> subprocess.Popen:
    """``run``'s command, started and left running."""
    (folder / "resume.yaml").write_text(RESUME_YAML)
    command = [sys.executable, "-m", "gan_manual", "fit", "-c", config("configs/advanced_gan.yaml"), "-c",
               "resume.yaml", *args]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")]),
           "GAN_MANUAL_DATA": str(data)}
    return subprocess.Popen(command, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_for(condition, process: subprocess.Popen, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, process.stderr.read().decode()[-3000:]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.mark.slow
def test_last_continues_its_own_run_beside_another_of_the_same_name(reference, fake_data, tmp_path):
    """Two runs of one logger name at once (version_0, seed 1, still training; version_1, seed 0, killed): the
    killed one's ``--ckpt_path last`` continues its own run, not the live one's newer checkpoint, to the bits of
    the uninterrupted run."""
    other = start(tmp_path, fake_data, "--seed_everything=1", "--trainer.max_epochs=1000")
    try:
        wait_for(lambda: lock.held(tmp_path / "runs/r/version_0"), other)
        ours = start(tmp_path, fake_data, "--seed_everything=0")
        killed, live = (tmp_path / f"runs/r/version_{v}/checkpoints/last.ckpt" for v in (1, 0))
        wait_for(killed.is_file, ours)
        ours.kill()
        ours.wait()
        # The live run's checkpoint is the newest: what the newest last.ckpt by time would have resumed.
        wait_for(lambda: live.is_file() and live.stat().st_mtime > killed.stat().st_mtime, other)
        resumed = run(tmp_path, fake_data, "--seed_everything=0", "--ckpt_path", "last")
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        assert other.poll() is None, "the other run was to be alive all along"
    finally:
        other.kill()
        other.wait()
    assert ("resume: from runs/r/version_1/checkpoints/last.ckpt (the newest run whose saved config matches this "
            "one; version_0 running now)") in resumed.stderr, resumed.stderr
    assert "config differs" not in resumed.stderr
    ours = torch.load(tmp_path / "runs/r/version_2/checkpoints/last.ckpt", weights_only=True)
    theirs = torch.load(newest_last(reference), weights_only=True)
    for key in COMPARED:
        assert_same(ours[key], theirs[key], key)


def test_last_refuses_to_guess_between_runs_of_other_configs(isolated, capsys):
    toy = ["fit", "-c", config("configs/toy_ring.yaml"), *TINY, "--trainer.enable_progress_bar=false"]
    main([*toy, "--seed_everything=1"])
    main([*toy, "--seed_everything=2"])
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit:
        main([*toy, "--seed_everything=3", "--ckpt_path", "last"])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == (
        "error: ckpt_path: last: no run under runs/toy_ring has this config, and 2 could be continued: "
        "runs/toy_ring/version_1/checkpoints/last.ckpt (differs in seed_everything); "
        "runs/toy_ring/version_0/checkpoints/last.ckpt (differs in seed_everything); pass the one to continue as "
        "--ckpt_path"), err
    assert not (isolated / "runs/toy_ring/version_2").exists()
    main([*toy, "--seed_everything=1", "--ckpt_path", "last", "--trainer.max_epochs=2"])
    assert ("resume: from runs/toy_ring/version_0/checkpoints/last.ckpt (the newest run whose saved config matches "
            "this one)") in capsys.readouterr().err
    # version_2 continues version_0; while it runs, neither is taken, nor, in their place, version_1 of seed 2
    running = Lock(isolated / "runs/toy_ring/version_2")
    assert running.take()
    with pytest.raises(SystemExit):
        main([*toy, "--seed_everything=1", "--ckpt_path", "last", "--trainer.max_epochs=3"])
    running.release()
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        "error: ckpt_path: last: the run of this config under runs/toy_ring is running now (version_2); wait for it "
        "to end, or pass the checkpoint to continue as --ckpt_path")
    main([*toy, "--seed_everything=1", "--ckpt_path", "last", "--trainer.max_epochs=3"])
    assert ("resume: from runs/toy_ring/version_2/checkpoints/last.ckpt (the newest run whose saved config matches "
            "this one)") in capsys.readouterr().err


@pytest.mark.slow
def test_kill_during_a_save_keeps_the_previous_checkpoint(reference, fake_data, tmp_path):
    kill = '--trainer.callbacks+={"class_path": "probes.KillDuringSave", "init_args": {"save": 2}}'
    killed = run(tmp_path, fake_data, kill)  # saves at batches 4 and 8: killed halfway through writing the 2nd
    assert killed.returncode == -9, killed.stderr[-3000:]
    folder = tmp_path / "runs/r/version_0/checkpoints"
    assert [p.name for p in folder.glob(".last.ckpt.tmp-*")], "the half-written file"
    assert torch.load(folder / "last.ckpt", weights_only=True)["gan_manual"]["batches_trained"] == 4

    resumed = run(tmp_path, fake_data, "--ckpt_path", "last")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    # The resumed run writes to runs/r/version_1; the partial file in version_0 is removed as it starts.
    assert "half a checkpoint, left by a run killed while writing it" in resumed.stderr
    assert not list(tmp_path.rglob(".last.ckpt.tmp-*"))
    ours = torch.load(newest_last(tmp_path), weights_only=True)
    theirs = torch.load(newest_last(reference), weights_only=True)
    for key in COMPARED:
        assert_same(ours[key], theirs[key], key)


def test_resume_says_which_keys_differ_and_which_value_wins(isolated, capsys):
    wgan = ["fit", "-c", config("configs/wgan.yaml"), *TINY]
    main(wgan)
    capsys.readouterr()
    cli = main([*wgan, "--trainer.max_epochs=2", "--ckpt_path=last", "--model.init_args.d_steps_per_g_step=2",
                "--model.init_args.d_optimizer.init_args.lr=0.001", "--data.init_args.batch_size=32",
                "--seed_everything=3", "--trainer.limit_val_batches=2", "--trainer.log_every_n_steps=1"])
    err = capsys.readouterr().err
    ckpt = "runs/wgan/version_0/checkpoints/last.ckpt"
    assert f"resume: from {ckpt} (the only run there, though its config differs)" in err
    lines = [line for line in err.splitlines() if line.startswith("  ")]
    assert err.splitlines()[err.splitlines().index(lines[0]) - 1] == (
        f"resume: the config differs from the one saved in {ckpt} (7 keys; 4 may change the run's bits):")
    assert lines == [
        "  data.init_args.batch_size: 64 in the checkpoint, 32 now -> 32 is used (may change the run's bits)",
        "  model.init_args.d_optimizer.init_args.lr: 0.0001 in the checkpoint, 0.001 now -> the checkpoint's 0.0001 "
        "stays (restored with the optimizer/scheduler state)",
        "  model.init_args.d_steps_per_g_step: 5 in the checkpoint, 2 now -> 2 is used (may change the run's bits)",
        "  seed_everything: 0 in the checkpoint, 3 now -> 3 is used (may change the run's bits)",
        "  trainer.limit_val_batches: 1 in the checkpoint, 2 now -> 2 is used (may change the run's bits)",
        "  trainer.log_every_n_steps: 2 in the checkpoint, 1 now -> 1 is used",
        "  trainer.max_epochs: 1 in the checkpoint, 2 now -> 2 is used",
    ], err
    # ... and that is what happened: the new schedule, the old learning rate, the new batch size.
    assert cli.model.schedule.d_steps_per_g_step == 2
    assert cli.trainer.optimizers[1].param_groups[0]["lr"] == 0.0001
    assert cli.datamodule.batch_size == 32


@pytest.fixture(scope="module")
def conv_reference(tmp_path_factory, fake_data) -> Path:
    folder = tmp_path_factory.mktemp("uninterrupted_conv")
    result = run(folder, fake_data, yaml=CONV_YAML)
    assert result.returncode == 0, result.stderr[-3000:]
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("kill, resumes_from", [
    (14, 12),  # mid-epoch: the data order continues at batch 13 of the run (3rd of epoch 2)
    (23, 20),  # after an epoch boundary (batch 20 is both every 4th and the last of epoch 2: one save, at the
    # epoch's end, after validation and the epoch's scheduler step)
])
def test_spectral_norm_and_diffaugment_resume_exactly(conv_reference, fake_data, tmp_path, kill, resumes_from):
    """Spectral norm's power-iteration vectors are buffers in the state_dict; DiffAugment draws from the per-batch
    generator: a killed run resumes to the same bits."""
    killed = run(tmp_path, fake_data, kill_at(kill), yaml=CONV_YAML)
    assert killed.returncode == -9, killed.stderr[-3000:]
    assert torch.load(newest_last(tmp_path), weights_only=True)["gan_manual"]["batches_trained"] == resumes_from
    resumed = run(tmp_path, fake_data, "--ckpt_path", "last", yaml=CONV_YAML)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    ours = torch.load(newest_last(tmp_path), weights_only=True)
    theirs = torch.load(newest_last(conv_reference), weights_only=True)
    assert any("parametrizations.weight.original" in k for k in ours["state_dict"])
    for key in COMPARED:
        assert_same(ours[key], theirs[key], key)


def narrowed(batches: int, nets: str, data: str = "") -> str:
    """A config to put after a shipped one: 2 epochs of ``batches`` batches, last.ckpt every 4 batches, the
    networks replaced by small ones (``nets``: YAML under ``model.init_args``)."""
    return f"""
trainer:
  max_epochs: 2
  limit_train_batches: {batches}
  limit_val_batches: 1
  log_every_n_steps: 2
  enable_progress_bar: false
  enable_model_summary: false
  logger: {{class_path: lightning.pytorch.loggers.TensorBoardLogger, init_args: {{save_dir: runs, name: n}}}}
  callbacks: []
checkpoint: {{every_n_batches: 4}}
model:
  init_args:
{nets}
{data}"""


def run_narrowed(base: str, yaml: str, folder: Path, data: Path, *args: str) -> subprocess.CompletedProcess:
    """``base`` (a shipped config) then ``yaml``, trained in ``folder``."""
    (folder / "narrow.yaml").write_text(yaml)
    return run_cli(["fit", "-c", config(base), "-c", "narrow.yaml", *args], folder, data)


#: configs/sngan_cifar10.yaml on the fake CIFAR-10, narrowed: 2 epochs of 6 batches.
SNGAN_YAML = narrowed(6, """    generator: {class_path: gan_manual.nets.ResNetGenerator, init_args: {latent_dim: 16, width: 8}}
    discriminator: {class_path: gan_manual.nets.ResNetDiscriminator, init_args: {width: 8}}""",
                      "data:\n  init_args: {check_md5: false}\n")


def run_sngan(folder: Path, data: Path, *args: str) -> subprocess.CompletedProcess:
    return run_narrowed("configs/sngan_cifar10.yaml", SNGAN_YAML, folder, data, *args)


@pytest.mark.slow
def test_sngan_cifar10_resumes_exactly(fake_data, tmp_path):
    """ResNet nets with spectral norm, 5 D steps per G step on fresh batches, LinearLR stepped per batch."""
    reference, killed = tmp_path / "uninterrupted", tmp_path / "killed"
    for folder in (reference, killed):
        folder.mkdir()
    assert run_sngan(reference, fake_data).returncode == 0
    result = run_sngan(killed, fake_data, kill_at(10))
    assert result.returncode == -9, result.stderr[-3000:]
    assert torch.load(newest_last(killed), weights_only=True)["gan_manual"]["batches_trained"] == 8
    resumed = run_sngan(killed, fake_data, "--ckpt_path", "last")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    ours, theirs = (torch.load(newest_last(f), weights_only=True) for f in (killed, reference))
    assert ours["gan_manual"]["batches_trained"] == 12
    assert ours["lr_schedulers"][0]["_step_count"] == 13  # LinearLR: once at construction, then every batch
    for key in COMPARED:
        assert_same(ours[key], theirs[key], key)


#: configs/cdcgan.yaml and acgan.yaml narrowed (their conditions kept): 2 epochs of 8 batches.
CONDITIONAL_YAML = narrowed(8, """    generator: {class_path: gan_manual.nets.DCGANGenerator, init_args: {latent_dim: 8, width: 4}}
    discriminator: {class_path: gan_manual.nets.DCGANDiscriminator, init_args: {width: 4}}""")


def run_conditional(name: str, folder: Path, data: Path, *args: str) -> subprocess.CompletedProcess:
    return run_narrowed(f"configs/{name}.yaml", CONDITIONAL_YAML, folder, data, *args)


@pytest.fixture(scope="module")
def conditional_reference(tmp_path_factory, fake_data):
    folders = {}

    def reference(name: str) -> Path:
        if name not in folders:
            folders[name] = tmp_path_factory.mktemp(f"uninterrupted_{name}")
            result = run_conditional(name, folders[name], fake_data)
            assert result.returncode == 0, result.stderr[-3000:]
        return folders[name]

    return reference


@pytest.mark.slow
@pytest.mark.parametrize("name, kill, resumes_from", [("cdcgan", 11, 8), ("acgan", 14, 12)])
def test_conditional_runs_resume_exactly(conditional_reference, fake_data, tmp_path, name, kill, resumes_from):
    """Labels drawn for the fakes come from the per-batch noise and the label prior is saved: a resumed conditional
    run (projection D with conditional BatchNorm G, in bf16-mixed; ACGAN with its class loss) ends bit-identical."""
    killed = run_conditional(name, tmp_path, fake_data, kill_at(kill))
    assert killed.returncode == -9, killed.stderr[-3000:]
    assert torch.load(newest_last(tmp_path), weights_only=True)["gan_manual"]["batches_trained"] == resumes_from
    resumed = run_conditional(name, tmp_path, fake_data, "--ckpt_path", "last")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    ours = torch.load(newest_last(tmp_path), weights_only=True)
    theirs = torch.load(newest_last(conditional_reference(name)), weights_only=True)
    assert ours["gan_manual"]["batches_trained"] == 16
    head = any(k.startswith("discriminator.head.classes.") for k in ours["state_dict"])
    assert "label_prior.probs" in ours["state_dict"] and head == (name == "acgan")
    for key in COMPARED:
        assert_same(ours[key], theirs[key], key)


#: The toys' own nets and data, narrowed: 2 epochs of 6 batches, with G's moving average.
TOY_YAML = narrowed(6, "    g_ema_decay: 0.9")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["toy_ring", "toy_grid"])
def test_toys_resume_exactly(name, fake_data, tmp_path):
    reference, killed = tmp_path / "uninterrupted", tmp_path / "killed"
    for folder in (reference, killed):
        folder.mkdir()
    base = f"configs/{name}.yaml"
    assert run_narrowed(base, TOY_YAML, reference, fake_data).returncode == 0
    result = run_narrowed(base, TOY_YAML, killed, fake_data, kill_at(9))
    assert result.returncode == -9, result.stderr[-3000:]
    assert torch.load(newest_last(killed), weights_only=True)["gan_manual"]["batches_trained"] == 8
    resumed = run_narrowed(base, TOY_YAML, killed, fake_data, "--ckpt_path", "last")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    ours, theirs = (torch.load(newest_last(f), weights_only=True) for f in (killed, reference))
    assert ours["gan_manual"]["batches_trained"] == 12
    assert any(k.startswith("generator_ema.") for k in ours["state_dict"])
    for key in COMPARED:
        assert_same(ours[key], theirs[key], key)


#: RESUME_YAML's run under RpGAN with R1 and R2 and adaptive augmentation, its hyperparameters on ramps (R3GAN's
#: kind) instead of StepLR: both learning rates (one counted in batches, one in images), D's beta2, the penalties'
#: weight, the moving average's half-life.
RAMPS_YAML = RESUME_YAML.replace(
    "    g_scheduler: {class_path: torch.optim.lr_scheduler.StepLR, init_args: {step_size: 1, gamma: 0.5}}\n"
    "    d_scheduler: {class_path: torch.optim.lr_scheduler.StepLR, init_args: {step_size: 1, gamma: 0.5}}\n",
    """    g_scheduler: null
    d_scheduler: null
    augment: {class_path: gan_manual.augment.AdaptiveAugment, init_args: {interval: 2, speed_images: 2000, initial_p: 0.5}}
    loss: gan_manual.losses.RelativisticPairingLoss
    penalty:
      class_path: gan_manual.penalties.Penalties
      init_args:
        penalties: [{class_path: gan_manual.penalties.R1Penalty}, {class_path: gan_manual.penalties.R2Penalty}]
""").replace(
    "  - class_path: gan_manual.callbacks.LearningRates\n",
    """  - class_path: gan_manual.callbacks.LearningRates
  - class_path: gan_manual.callbacks.Ramps
    init_args:
      g_lr: {class_path: gan_manual.ramps.CosineRamp, init_args: {start: 0.0002, end: 0.00005, length: 20}}
      d_lr:
        class_path: gan_manual.ramps.LinearRamp
        init_args: {start: 0.0002, end: 0.0001, length: 2560, unit: images}
      d_beta2: {class_path: gan_manual.ramps.LinearRamp, init_args: {start: 0.9, end: 0.99, length: 25}}
      penalty_weight: {class_path: gan_manual.ramps.CosineRamp, init_args: {start: 1.0, end: 0.1, length: 30}}
      g_ema_half_life: {class_path: gan_manual.ramps.HalfLife, init_args: {half_life: 1000, ramp_up: 0.05}}
""")


@pytest.mark.slow
def test_ramps_adaptive_augmentation_and_the_relativistic_loss_resume_exactly(fake_data, tmp_path):
    assert RAMPS_YAML.count("Ramps") == 1 and "StepLR" not in RAMPS_YAML
    reference, killed = tmp_path / "uninterrupted", tmp_path / "killed"
    for folder in (reference, killed):
        folder.mkdir()
        (folder / "ramps.yaml").write_text(RAMPS_YAML)

    def fit(folder: Path, *args: str) -> subprocess.CompletedProcess:
        return run_cli(["fit", "-c", config("configs/advanced_gan.yaml"), "-c", "ramps.yaml", *args], folder,
                       fake_data)

    assert fit(reference).returncode == 0
    result = fit(killed, kill_at(14))  # mid-epoch, between two of the run's checkpoints
    assert result.returncode == -9, result.stderr[-3000:]
    assert torch.load(newest_last(killed), weights_only=True)["gan_manual"]["batches_trained"] == 12
    resumed = fit(killed, "--ckpt_path", "last")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    ours, theirs = (torch.load(newest_last(f), weights_only=True) for f in (killed, reference))
    assert ours["gan_manual"]["batches_trained"] == 30
    for key in COMPARED:
        assert_same(ours[key], theirs[key], key)
    groups = ours["optimizer_states"][1]["param_groups"][0]  # D's, after the last batch's ramps
    assert groups["lr"] == pytest.approx(0.0001) and groups["betas"][1] == pytest.approx(0.99)
    logged = scalars(killed / "runs/r/version_1")
    assert {"ramp/g_lr", "ramp/penalty_weight", "ramp/g_ema_decay", "train/augment_p"} <= {tag for tag, _ in logged}
    assert float(ours["state_dict"]["augment.p"]) != 0.5  # p moved (and its sums resumed) the same way
