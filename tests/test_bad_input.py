"""Bad input: exit code 2, one line naming the key and what is allowed, no traceback, nothing written."""

import pytest

from gan_manual.cli import main
from helpers import TINY, config

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
    (["--model.init_args.g_optimizer.init_args.lr=nan"], "model.g_optimizer.lr: expected a float or torch.Tensor, "
                                                          "got nan"),
    (["--model.init_args.g_optimizer.init_args.lr=.nan"], "model.g_optimizer: Invalid learning rate: nan"),
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


def test_a_bug_keeps_its_traceback(monkeypatch):
    """Only user errors are squeezed to one line; anything else surfaces whole."""
    from gan_manual import system

    def broken(self, *args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(system.GAN, "on_fit_start", broken)
    with pytest.raises(ZeroDivisionError):
        main(WGAN)
