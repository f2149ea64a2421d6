"""Class-conditional GANs: labels through the system, conditional nets, ACGAN's class loss, per-class metrics,
sampling and predicting by label, and the bad inputs of conditioning (one line, exit 2, nothing written)."""

from pathlib import Path

import lightning as L
import pytest
import torch
from torch import nn

from gan_manual import GAN
from gan_manual.cli import main
from gan_manual.data import MNISTDataModule, RingDataModule
from gan_manual.errors import ConfigError
from gan_manual.labels import LabelPrior
from gan_manual.losses import AuxiliaryClassifierLoss, HingeLoss
from gan_manual.metrics import ClassifierMetrics
from gan_manual.nets import (DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator, ResNetDiscriminator,
                             ResNetGenerator)
from gan_manual.nets.contract import check_networks
from helpers import TINY, config, fit, readme_example, toy_gan, write_fake_image_folder

LABELS = torch.tensor([0, 1, 2, 3, 4, 5, 6, 7])
#: (G class, D class, data_shape, small arguments of each)
FAMILIES = [
    (MLPGenerator, MLPDiscriminator, (1, 28, 28), {"hidden_dims": (16, 32)}, {"hidden_dims": (32, 16)}),
    (DCGANGenerator, DCGANDiscriminator, (1, 28, 28), {"width": 4}, {"width": 4}),
    (ResNetGenerator, ResNetDiscriminator, (3, 32, 32), {"width": 8}, {"width": 8}),
]


@pytest.mark.parametrize("G, D, shape, g_args, d_args", FAMILIES, ids=lambda x: getattr(x, "__name__", ""))
@pytest.mark.parametrize("condition", ["batchnorm", "concat"])
def test_conditional_generators_make_each_class_differently(G, D, shape, g_args, d_args, condition):
    torch.manual_seed(0)
    g = G(data_shape=shape, num_classes=10, condition=condition, **g_args).eval()
    assert g.num_classes == 10
    if condition == "batchnorm":  # per-class gains start at 1 and biases at 0: move them as training would
        with torch.no_grad():
            for name, p in g.named_parameters():
                if name.endswith((".gain.weight", ".bias.weight")):
                    p.add_(torch.randn_like(p))
    z = torch.randn(1, g.latent_dim).expand(8, -1)
    out = g(z, LABELS)
    assert out.shape == (8, *shape)
    assert not torch.allclose(out[0], out[1]), "the same noise with another label must give another sample"
    assert torch.equal(g(z[:2], torch.tensor([3, 3]))[0], g(z[:2], torch.tensor([3, 3]))[1])


@pytest.mark.parametrize("G, D, shape, g_args, d_args", FAMILIES, ids=lambda x: getattr(x, "__name__", ""))
def test_projection_and_classifier_discriminators(G, D, shape, g_args, d_args):
    torch.manual_seed(0)
    x = torch.randn(1, *shape).expand(8, *shape)
    projection = D(data_shape=shape, num_classes=10, condition="projection", **d_args)
    scores = projection(x, LABELS)
    assert scores.shape == (8,) and len(set(scores.tolist())) == 8, "the label moves the score"
    classifier = D(data_shape=shape, num_classes=10, condition="classifier", **d_args).eval()  # SN: no power step
    scores, logits = classifier(x, LABELS)
    assert scores.shape == (8,) and logits.shape == (8, 10)
    assert torch.equal(classifier(x, LABELS.flip(0))[1], logits), "ACGAN's D does not read the labels"
    assert check_networks(G(data_shape=shape, num_classes=10, condition="concat", **g_args), classifier, shape, 4, 10)


@pytest.mark.parametrize("G, D, shape, g_args, d_args", FAMILIES, ids=lambda x: getattr(x, "__name__", ""))
def test_unset_condition_builds_the_unconditional_net(G, D, shape, g_args, d_args):
    """num_classes is linked into every shipped net; without a condition it changes nothing, not even the weights."""
    for net, args in ((G, g_args), (D, d_args)):
        torch.manual_seed(0)
        plain = net(data_shape=shape, **args).state_dict()
        torch.manual_seed(0)
        linked = net(data_shape=shape, num_classes=10, **args)
        assert linked.num_classes == 0
        assert plain.keys() == linked.state_dict().keys()
        assert all(torch.equal(v, linked.state_dict()[k]) for k, v in plain.items())


@pytest.mark.parametrize("build, message", [
    (lambda: DCGANGenerator(num_classes=0, condition="batchnorm"), "model.generator: condition=batchnorm needs "
                                                                   "labelled data"),
    (lambda: MLPDiscriminator(num_classes=10, condition="projection", pack=2), "model.discriminator: "
                                                                               "condition=projection with pack=2"),
    (lambda: MLPGenerator(num_classes=10, condition="batchnorm", batch_norm=False), "condition=batchnorm needs "
                                                                                    "BatchNorm layers"),
])
def test_conditions_the_nets_cannot_take(build, message):
    with pytest.raises(ConfigError, match=message):
        build()


class LabelSpy(nn.Module):
    """A conditional 2D discriminator that records the labels it is given."""

    def __init__(self, num_classes: int = 8) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.net = MLPDiscriminator(data_shape=(2,), hidden_dims=(8,), num_classes=num_classes, condition="projection")
        self.seen: list[torch.Tensor] = []

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        self.seen.append(y.detach().cpu().clone())
        return self.net(x, y)


class BatchSpy(L.Callback):
    def __init__(self) -> None:
        self.labels: list[torch.Tensor] = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        self.labels.append(batch[1].cpu().clone())


def conditional_toy(condition: str = "batchnorm", **kwargs) -> GAN:
    sgd = torch.optim.SGD
    return GAN(MLPGenerator(latent_dim=4, hidden_dims=(8, 8), data_shape=(2,), tanh=False, num_classes=8,
                            condition=condition),
               LabelSpy(), g_optimizer=lambda p: sgd(p, lr=0.1), d_optimizer=lambda p: sgd(p, lr=0.1), **kwargs)


def test_labels_reach_both_networks():
    torch.manual_seed(0)
    model, spy = conditional_toy(), BatchSpy()
    fit(model, batches=3, callbacks=[spy])
    seen = model.discriminator.seen
    # Per batch: D step (real labels, then fake labels), then G step (fake labels).
    assert len(seen) == 9
    for batch in range(3):
        real, fake, g_fake = seen[3 * batch : 3 * batch + 3]
        assert torch.equal(real, spy.labels[batch]), "D judges real samples with their own labels"
        assert fake.shape == real.shape and g_fake.shape == real.shape
    drawn = torch.cat([seen[3 * b + 1] for b in range(3)] + [seen[3 * b + 2] for b in range(3)])
    assert drawn.min() >= 0 and drawn.max() < 8 and len(drawn.unique()) > 4
    # The label distribution is the training labels' (helpers.fit's ring data).
    expected = RingDataModule(num_samples=512, batch_size=16, seed=0).label_frequencies()
    assert torch.allclose(model.label_prior.probs, expected.float())
    assert not torch.allclose(expected, torch.full((8,), 1 / 8, dtype=expected.dtype))


def test_generated_labels_follow_the_data_distribution_and_are_seeded():
    model = conditional_toy("concat")  # conditional BatchNorm starts out as a plain one
    model.label_prior.probs.copy_(torch.tensor([0.7, 0.3, 0, 0, 0, 0, 0, 0]))
    labels = model.label_prior.draw(10_000, seed=1)
    assert torch.equal(labels, model.label_prior.draw(10_000, seed=1))
    assert set(labels.unique().tolist()) == {0, 1} and abs((labels == 0).double().mean().item() - 0.7) < 0.02
    assert torch.equal(model.generate(5, seed=2), model.generate(5, seed=2, labels=model.label_prior.draw(5, seed=2)))
    assert not torch.equal(model.generate(5, seed=2, labels=torch.zeros(5, dtype=torch.long)),
                           model.generate(5, seed=2, labels=torch.ones(5, dtype=torch.long)))


def test_an_unconditional_prior_holds_nothing_and_draws_no_labels():
    prior = LabelPrior(0)
    assert prior.state_dict() == {} and prior.draw(5, seed=1) is None and prior.sample(5, torch.Generator()) is None
    assert not any(key.startswith("label_prior") for key in toy_gan().state_dict())


def test_acgan_class_loss_trains_the_head_and_joins_both_losses():
    torch.manual_seed(0)
    d = MLPDiscriminator(data_shape=(2,), hidden_dims=(8,), num_classes=8, condition="classifier")
    g = MLPGenerator(latent_dim=4, hidden_dims=(8,), data_shape=(2,), tanh=False, num_classes=8, condition="concat")
    model = GAN(g, d, loss=HingeLoss(), class_loss=AuxiliaryClassifierLoss(weight=2.0),
                g_optimizer=lambda p: torch.optim.SGD(p, lr=0.1), d_optimizer=lambda p: torch.optim.SGD(p, lr=0.1))
    head = d.head.classes.weight.detach().clone()
    trainer = fit(model, batches=4)
    assert not torch.equal(head, d.head.classes.weight), "D's class head trains"
    logged = trainer.callback_metrics
    assert {"train/d_class_loss", "train/g_class_loss"} <= logged.keys()


def test_class_loss_by_hand():
    loss = AuxiliaryClassifierLoss(weight=1.0)
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0]])
    ce = torch.nn.functional.cross_entropy(logits, torch.tensor([0, 0]))
    assert torch.isclose(loss.g_loss(logits, torch.tensor([0, 0])), ce)
    assert torch.isclose(loss.d_loss(logits, torch.tensor([0, 1]), logits, torch.tensor([0, 0])),
                         torch.nn.functional.cross_entropy(logits, torch.tensor([0, 1])) + ce)
    assert torch.isclose(AuxiliaryClassifierLoss(on_fakes=False).d_loss(logits, torch.tensor([0, 0]), logits,
                                                                          torch.tensor([1, 1])), ce)


def test_per_class_metrics_score_real_digits_with_their_labels(isolated, fake_data):
    """On the tests' fake MNIST the shipped LeNet sees noise: its test images scored with their own labels agree
    with a metric computed by hand; shuffled labels change only the class figures."""
    data = MNISTDataModule(root=str(fake_data))
    metric = ClassifierMetrics("mnist")
    metric.setup(data)
    images, labels = data.reference_samples("test"), data.reference_labels("test")
    figures = metric(images, labels)
    predicted = metric.net.head(metric._features(images)).argmax(1)
    assert figures["class_accuracy"] == pytest.approx((predicted == labels).double().mean().item())
    assert figures["class_fid"] == pytest.approx(0.0, abs=1e-2), "each class against itself"
    shuffled = metric(images, labels[torch.randperm(len(labels), generator=torch.Generator().manual_seed(0))])
    assert shuffled["fid"] == figures["fid"] and shuffled["class_fid"] > 1.0


CDCGAN = ["fit", "-c", config("configs/cdcgan.yaml"), *TINY,
          "--model.init_args.generator.init_args.width=4", "--model.init_args.discriminator.init_args.width=4"]


@pytest.mark.slow  # fit, test, predict and sample of cdcgan with its evaluation
def test_cdcgan_cli_evaluates_samples_and_predicts_by_label(isolated, capsys):
    cli = main(CDCGAN)
    assert cli.model.num_classes == 10 and cli.model.label_prior.probs.sum().item() == pytest.approx(1.0)
    ckpt = next(isolated.glob("runs/cdcgan/version_0/checkpoints/last.ckpt"))
    main(["test", "-c", config("configs/cdcgan.yaml"), "--ckpt_path", str(ckpt),
          "--model.init_args.generator.init_args.width=4", "--model.init_args.discriminator.init_args.width=4",
          "--trainer.limit_test_batches=1"])
    out = capsys.readouterr().out
    assert "class_accuracy" in out and "class_fid" in out
    main(["predict", "-c", config("configs/cdcgan.yaml"), "--ckpt_path", str(ckpt),
          "--model.init_args.generator.init_args.width=4", "--model.init_args.discriminator.init_args.width=4",
          "--prediction.num_samples=5", "--prediction.labels=[4, 9]"])
    folder = next(isolated.glob("runs/cdcgan/version_0/predict/version_*"))
    assert torch.equal(torch.load(folder / "labels.pt"), torch.tensor([4, 9, 4, 9, 4]))
    assert torch.load(folder / "samples.pt").shape == (5, 1, 28, 28)


def test_sample_by_label_and_class_grid(isolated, capsys):
    main([*CDCGAN])
    ckpt = str(next(isolated.glob("runs/cdcgan/version_0/checkpoints/last.ckpt")))
    main(["sample", "--ckpt_path", ckpt, "--output_dir", "grid", "--class_grid", "3", "--score"])
    labels = torch.load(isolated / "grid/labels.pt")
    assert torch.equal(labels, torch.arange(10).repeat_interleave(3))
    assert torch.load(isolated / "grid/samples.pt").shape == (30, 1, 28, 28)
    assert "class_accuracy" in (isolated / "grid/scores.json").read_text()
    main(["sample", "--ckpt_path", ckpt, "--output_dir", "some", "--labels", "7", "--num_samples", "4"])
    pinned = torch.load(isolated / "some/samples.pt")
    main(["sample", "--ckpt_path", ckpt, "--output_dir", "again", "--labels", "7", "--num_samples", "4"])
    assert torch.equal(pinned, torch.load(isolated / "again/samples.pt"))
    capsys.readouterr()
    with pytest.raises(SystemExit) as exit:
        main(["sample", "--ckpt_path", ckpt, "--output_dir", "bad", "--labels", "10"])
    assert exit.value.code == 2 and not (isolated / "bad").exists()
    assert capsys.readouterr().err.strip() == ("error: --labels: 10 is not a class of this generator; it takes 0 "
                                               "to 9")


def test_a_checkpoint_written_before_the_label_prior_had_its_module_samples_and_resumes(isolated):
    """Such checkpoints hold the prior's buffer as ``label_probs``; they give the same samples and labels and resume."""
    main([*CDCGAN])
    ckpt = isolated / "runs/cdcgan/version_0/checkpoints/last.ckpt"
    old = torch.load(ckpt, weights_only=True)
    old["state_dict"]["label_probs"] = old["state_dict"].pop("label_prior.probs")
    torch.save(old, isolated / "old.ckpt")
    for name, path in (("new", ckpt), ("old", "old.ckpt")):
        main(["sample", "--ckpt_path", str(path), "--output_dir", name, "--num_samples", "6"])
    for file in ("samples.pt", "labels.pt"):
        assert torch.equal(torch.load(isolated / "new" / file), torch.load(isolated / "old" / file)), file
    cli = main([*CDCGAN, "--trainer.max_epochs=2", "--ckpt_path", "old.ckpt"])
    assert cli.model.batches_trained == 8
    assert torch.equal(cli.model.label_prior.probs, old["state_dict"]["label_probs"])


def _one_line_error(capsys, isolated: Path, args: list[str], message: str, notes: int = 0) -> None:
    """``args`` exit with code 2 and one error line holding ``message`` (after ``notes`` lines of notes)."""
    before = sorted(p.name for p in isolated.iterdir())
    with pytest.raises(SystemExit) as exit:
        main(args)
    assert exit.value.code == 2
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == notes + 1 and lines[-1].startswith("error: ") and message in lines[-1], err
    assert sorted(p.name for p in isolated.iterdir()) == before, "nothing may be written"


class FiveClassGenerator(nn.Module):
    """A conditional generator of one's own that was built for 5 classes."""

    def __init__(self, data_shape=(1, 28, 28)) -> None:
        super().__init__()
        self.latent_dim, self.num_classes, self.shape = 8, 5, tuple(data_shape)
        self.embed = nn.Embedding(5, 8)
        self.net = nn.Linear(8, 784)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.net(z + self.embed(y))).view(len(z), *self.shape)


def test_bad_conditional_input_is_one_line(isolated, capsys, fake_data, monkeypatch):
    # A label outside [0, num_classes) in the training data.
    from gan_manual.data import mnist
    real_load = mnist.MNISTDataModule.load

    def load_with_a_bad_label(self, train):
        images, labels = real_load(self, train)
        labels = labels.clone()
        labels[7] = 12
        return images, labels

    with monkeypatch.context() as patched:
        patched.setattr(mnist.MNISTDataModule, "load", load_with_a_bad_label)
        _one_line_error(capsys, isolated, CDCGAN, "data: MNISTDataModule has num_classes=10 and label 12 (sample 7)")

    # num_classes of the networks and of the data differ.
    monkeypatch.setattr("gan_manual.nets.FiveClassGenerator", FiveClassGenerator, raising=False)
    _one_line_error(capsys, isolated, [*CDCGAN, "--model.init_args.generator=gan_manual.nets.FiveClassGenerator"],
                    "model.discriminator: gan_manual.nets.dcgan.DCGANDiscriminator is conditional on 10 classes, the "
                    "generator")
    # A conditional network on data without labels: an image folder without class folders.
    folder = write_fake_image_folder(isolated.parent / "loose", classes=())
    _one_line_error(capsys, isolated, [*CDCGAN, "--data=gan_manual.data.ImageFolderDataModule",
                                       f"--data.init_args.root={folder}", "--data.init_args.image_size=28",
                                       "--data.init_args.channels=1", f"--data.init_args.cache_dir={isolated.parent}"],
                    "model.generator: condition=batchnorm needs labelled data")
    # ACGAN's D without a class loss, and a class loss without ACGAN's D.
    _one_line_error(capsys, isolated, [*CDCGAN, "--model.init_args.discriminator.init_args.condition=classifier"],
                    "model.class_loss: the discriminator returns class logits (ACGAN)")
    _one_line_error(capsys, isolated, [*CDCGAN, "--model.init_args.class_loss=gan_manual.losses.AuxiliaryClassifierLoss"],
                    "model.class_loss: set, but the discriminator returns no class logits")
    # One conditional network and one unconditional one.
    # (jsonargparse reads null in a nested --a.init_args.b=null as a string: a YAML or this JSON form unsets it.)
    unconditional_d = '{"class_path": "gan_manual.nets.DCGANDiscriminator", "init_args": {"condition": null}}'
    _one_line_error(capsys, isolated, [*CDCGAN, f"--model.init_args.discriminator={unconditional_d}"],
                    "is conditional on 0 classes, the generator gan_manual.nets.dcgan.DCGANGenerator on 10")


def test_an_unconditional_checkpoint_takes_no_labels(isolated, capsys):
    main(["fit", "-c", config("configs/gan.yaml"), *TINY])
    ckpt = str(next(isolated.glob("runs/gan/version_0/checkpoints/last.ckpt")))
    with pytest.raises(SystemExit):
        main(["sample", "--ckpt_path", ckpt, "--output_dir", "x", "--labels", "1"])
    assert "holds an unconditional generator; it takes no labels" in capsys.readouterr().err
    _one_line_error(capsys, isolated, ["predict", "-c", config("configs/gan.yaml"), "--ckpt_path", ckpt,
                                       "--prediction.labels=[1]"],
                    "prediction.labels: the generator is unconditional")


def test_ring_labels_are_its_modes():
    data = RingDataModule(num_modes=6, num_samples=600, seed=0)
    assert data.num_classes == 6
    assert data.label_frequencies().shape == (6,)


def test_readme_conditional_example_trains(isolated, monkeypatch):
    """The README's conditional networks of one's own, written to a file and run with the README's command."""
    args = readme_example("mycondnets", isolated)
    monkeypatch.syspath_prepend(str(isolated))
    cli = main(args)
    model = cli.model
    assert type(model.generator).__name__ == "CondGenerator" and model.num_classes == 10
    assert model.batches_trained == 4
    labels = torch.arange(10)
    samples = model.generate(10, seed=0, labels=labels)
    assert samples.shape == (10, 1, 28, 28)
