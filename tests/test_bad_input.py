"""Bad input: exit code 2, one line naming the key and what is allowed, no traceback, nothing written."""

import pytest

from gan_manual import files, machine
from gan_manual.cli import main
from gan_manual.sample import Progress
from helpers import TINY, config, one_error

WGAN = ["fit", "-c", config("configs/wgan.yaml"), *TINY]

CASES = [
    (["--model.init_args.d_steps_per_g_step=0"], "model.d_steps_per_g_step: Not of type PositiveInt"),
    (["--model.d_steps_per_g_step=0"], "model.d_steps_per_g_step: Not of type PositiveInt"),
    (["--model.init_args.penalty.init_args.weight=-1"], "model.penalty.weight: Not of type NonNegativeFloat"),
    (["--model.init_args.d_step=5"], "model.d_step: Option 'd_step' is not accepted"),
    (["--model.init_args.mystery=1"], "model.mystery: Option 'mystery' is not accepted"),
    (["--trainer.max_epoch=3"], "unrecognized arguments: --trainer.max_epoch=3"),  # no prefix matching
    (["--model.init_args.d_steps_per_g_step=five"], "model.d_steps_per_g_step: Not of type PositiveInt"),
    (["--model.init_args.order=sideways"], "model.order: Expected a typing.Literal['d_then_g', 'g_then_d']"),
    (["--model.init_args.generator=torch.optim.Adam"], "model.generator: Import path torch.optim.Adam does not "
                                                       "correspond to a subclass of Module"),
    (["--model.init_args.loss=gan_manual.nets.MLPGenerator"], "model.loss: Import path gan_manual.nets.MLPGenerator"
                                                              " does not correspond to a subclass of GANLoss"),
    (["--data.init_args.root=/no/such/folder", "--data.init_args.download=false"],
     "data.root: no MNIST files in /no/such/folder/MNIST/raw"),
    (["--model.init_args.g_ema_decay=1"], "model.g_ema_decay: Not of type OpenUnitInterval: does not conform to "
                                          "restriction v>0 and v<1"),
    (["--trainer.max_epochs=-3"], "`max_epochs` must be a non-negative integer or -1"),
    (["--model.init_args.augment=gan_manual.augment.DiffAugment", "--model.init_args.augment.policy=[blur]"],
     "model.augment.policy"),
    (["--model.init_args.g_optimizer.init_args.lr=nan"], "model.g_optimizer.lr: must be a finite number, not nan"),
    (["--model.init_args.penalty.init_args.weight=inf"], "model.penalty.weight: must be a finite number, not inf"),
    (["--model.init_args.generator.init_args.latent_dim=1000000000"],
     "model: the run needs more memory than this machine has ("),
    (["--model.init_args.generator.init_args.hidden_dims=[0]"], "model.generator.hidden_dims: Not of type PositiveInt"),
    (["--model.init_args.discriminator.init_args.hidden_dims=[-64]"],
     "model.discriminator.hidden_dims: Not of type PositiveInt"),
    (["--trainer.max_epochs=0"], "trainer.max_epochs: 0 trains nothing"),
    (["--trainer.limit_train_batches=0"], "trainer.limit_train_batches: 0 trains nothing"),
    (["--data.init_args.batch_size=5000"], "data.batch_size: 5000 is more than the 2048 training samples: not one "
                                            "whole batch to train on; give at most 2048"),
    (["--model.init_args.g_optimizer.init_args.lr=.nan"], "model.g_optimizer.lr: must be a finite number, not nan"),
]


@pytest.mark.parametrize("args, message", CASES, ids=lambda a: a[0] if isinstance(a, list) else "")
def test_bad_input_is_one_clean_line(args, message, capsys, isolated):
    with pytest.raises(SystemExit) as exit:
        main([*WGAN, *args])
    assert exit.value.code == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines == [lines[0]] and lines[0].startswith("error: "), err
    assert message in lines[0]
    assert "Traceback" not in err
    assert list(isolated.iterdir()) == [], "nothing may be written"


def test_bad_value_in_a_config_file(capsys, isolated):
    bad = isolated / "bad.yaml"
    bad.write_text("model:\n  init_args:\n    penalty:\n      init_args:\n        weight: -10\n")
    with pytest.raises(SystemExit) as exit:
        main([*WGAN, "-c", str(bad)])
    assert exit.value.code == 2
    assert "model.penalty.weight: Not of type NonNegativeFloat" in capsys.readouterr().err
    assert [p.name for p in isolated.iterdir()] == ["bad.yaml"]


def test_networks_too_large_for_the_memory_are_refused_before_training(capsys, isolated, monkeypatch):
    monkeypatch.setattr(machine, "available_memory", lambda: 2**20)
    with pytest.raises(SystemExit) as exit:
        main(WGAN)
    assert exit.value.code == 2
    line = one_error(capsys)
    assert line.startswith("error: model: the networks have ") and "and this machine has 1.0 MiB available" in line
    assert list(isolated.iterdir()) == []


def test_more_samples_than_fit_in_memory_are_refused_and_many_show_progress(toy_checkpoint, isolated, capsys,
                                                                             monkeypatch):
    sample = ["sample", "--ckpt_path", str(toy_checkpoint), "--output_dir", "out"]
    with pytest.raises(SystemExit) as exit:
        main([*sample, "--num_samples", "10000000000"])
    assert exit.value.code == 2
    assert one_error(capsys) == ("error: --num_samples: 10,000,000,000 samples of shape (2,) take about 149.0 GiB to "
                                 "make and write, and this machine has "
                                 f"{files.size(machine.available_memory())} available; ask for fewer at a time "
                                 "(another --seed gives other samples)")
    assert not (isolated / "out").exists()
    monkeypatch.setattr(Progress, "__init__", lambda self, total, every=0.0: setattr(self, "__dict__", {
        "total": total, "every": 0.0, "last": 0.0}))
    main([*sample, "--num_samples", "2500", "--batch_size", "1000"])
    progress = [line for line in capsys.readouterr().err.splitlines() if line.startswith("sample: ")]
    assert progress == ["sample: 1,000 of 2,500 samples (40.0%)", "sample: 2,000 of 2,500 samples (80.0%)"]


def test_a_bug_keeps_its_traceback(monkeypatch):
    """Only user errors are squeezed to one line; anything else surfaces whole."""
    from gan_manual import system

    def broken(self, *args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(system.GAN, "on_fit_start", broken)
    with pytest.raises(ZeroDivisionError):
        main(WGAN)
