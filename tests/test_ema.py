"""The moving average of G (``g_ema_decay``): its update rule, that only G's steps move it, and that evaluation,
predict and the sample command use it."""

import torch

from gan_manual.cli import main
from helpers import TINY, config, fit, toy_gan


def _flat(module: torch.nn.Module) -> torch.Tensor:
    return torch.cat([p.detach().flatten() for p in module.parameters()])


def test_update_rule_warms_up_then_decays():
    model = toy_gan(g_ema_decay=0.9)
    ema, g = model.generator_ema, model.generator
    with torch.no_grad():
        for value, expected in ((1.0, 1.0),                       # first update: a copy
                                (12.0, 1.0 + 11.0 * (1 - 2 / 11)),  # n=1: decay (1+1)/(10+1) < 0.9
                                (0.0, None)):
            before = _flat(ema.module)[0].item()
            for p in g.parameters():
                p.fill_(value)
            ema.update_parameters(g)
            if expected is None:  # n=2: decay min(0.9, 3/12) = 0.25
                expected = before + (value - before) * 0.75
            assert torch.allclose(_flat(ema.module), torch.full_like(_flat(ema.module), expected))
    assert not any(p.requires_grad for p in ema.parameters())


def test_only_generator_steps_move_the_average_and_sampling_uses_it():
    model = toy_gan(g_ema_decay=0.5, d_warmup_batches=2)
    start = _flat(model.generator_ema.module)
    fit(model, batches=2)  # D alone: G never steps, so the average never updates
    assert torch.equal(_flat(model.generator_ema.module), start)
    assert int(model.generator_ema.n_averaged) == 0
    model = toy_gan(g_ema_decay=0.5)
    fit(model, batches=3)
    assert int(model.generator_ema.n_averaged) == 3
    average, current = _flat(model.generator_ema.module), _flat(model.generator)
    assert not torch.equal(average, current)
    assert all(all(p is not q for q in model.generator_ema.parameters())
               for group in model.trainer.optimizers[0].param_groups for p in group["params"])
    z = torch.randn(5, model.latent_dim, generator=torch.Generator().manual_seed(3))
    model.generator_ema.module.eval()
    with torch.no_grad():
        expected = model.generator_ema.module(z)
    assert torch.equal(model.generate(5, seed=3), expected)
    assert not torch.equal(model.generate(5, seed=3), model.generator.eval()(z).detach())


def test_sample_command_writes_the_average(isolated):
    cli = main(["fit", "-c", config("configs/gan.yaml"), *TINY, "--model.init_args.g_ema_decay=0.5",
                "--trainer.callbacks=[]",
                "--model.init_args.generator.init_args.hidden_dims=[32]"])
    ckpt = isolated / "runs/gan/version_0/checkpoints/last.ckpt"
    assert any(k.startswith("generator_ema.") for k in torch.load(ckpt, weights_only=True)["state_dict"])
    main(["sample", "--ckpt_path", str(ckpt), "--num_samples", "6", "--output_dir", "out", "--seed", "4"])
    written = torch.load(isolated / "out/samples.pt", weights_only=True)
    assert torch.equal(written, cli.model.generate(6, seed=4))
    cli.model.generator_ema = None  # the same call without the average: G's own samples differ
    assert not torch.equal(written, cli.model.generate(6, seed=4))

