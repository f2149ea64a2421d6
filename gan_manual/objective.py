"""What each network minimises in one training step, from what D makes of the samples it sees (augmented, if the
system augments): the adversarial loss of D's scores, ACGAN's class loss where D returns class logits, and D's
penalty on the batches it applies to; with the values to log beside.

Samples are ``(B, *data_shape)``; D's scores ``(B,)`` (logits, or critic values); labels ``(B,)``, or None for
unconditional networks.
"""

from collections.abc import Sequence
from typing import Optional

import torch
from torch import Tensor, nn

from gan_manual.augment import AdaptiveAugment, Augmentation
from gan_manual.errors import ConfigError
from gan_manual.losses import AuxiliaryClassifierLoss, GANLoss
from gan_manual.nets.conditioning import critic, judge, scores_of
from gan_manual.penalties import Penalties, Penalty


class Objective:
    """The losses of both networks and D's view of training samples, as the system's config names them:
    ``loss``, ``class_loss``, ``penalty`` (one, or several in :class:`~gan_manual.penalties.Penalties`),
    ``augment``."""

    def __init__(self, loss: GANLoss, class_loss: Optional[AuxiliaryClassifierLoss] = None,
                 penalty: Optional[Penalty] = None, augment: Optional[Augmentation] = None) -> None:
        self.loss = loss
        self.class_loss = class_loss
        self.augment = augment
        if isinstance(augment, AdaptiveAugment) and augment.adaptive and loss.verdict is None:
            raise ConfigError(f"model.augment: AdaptiveAugment follows the sign of D's verdict on real images, and "
                              f"{type(loss).__name__}'s scores have no decision boundary to give one; use a loss "
                              f"that has one, DiffAugment, or adaptive: false (p fixed or on a ramp)")
        #: (name logged as train/<name>, penalty): ``d_penalty`` for one, ``d_penalty_<kind>`` for each of several.
        self.penalties: list[tuple[str, Penalty]] = (
            [] if penalty is None else [(_log_name(p, penalty.penalties), p) for p in penalty.penalties]
            if isinstance(penalty, Penalties) else [("d_penalty", penalty)])

    def seen(self, x: Tensor, rng: torch.Generator) -> Tensor:
        """What D sees of images ``x`` in training: ``x``, augmented (from ``rng``) if an augmentation is set."""
        return x if self.augment is None else self.augment(x, rng)

    def discriminator(self, discriminator: nn.Module, real: Tensor, labels: Optional[Tensor], fake: Tensor,
                      fake_labels: Optional[Tensor], rng: torch.Generator, batch: int) -> tuple[Tensor, dict]:
        """D's loss (a scalar with its graph) on ``real`` and ``fake`` in training batch ``batch`` of the run,
        and what to log: ``d_loss``, ``d_real``, ``d_fake`` (mean scores), ``d_class_loss``, ``d_penalty``."""
        real, fake = self.seen(real, rng), self.seen(fake, rng)
        real_out, fake_out = judge(discriminator, real, labels), judge(discriminator, fake, fake_labels)
        real_scores, fake_scores = scores_of(real_out), scores_of(fake_out)
        loss = self.loss.d_loss(real_scores, fake_scores)
        logs = {"d_loss": loss.detach(), "d_real": real_scores.detach().mean(),
                "d_fake": fake_scores.detach().mean()}
        if isinstance(self.augment, AdaptiveAugment):
            if self.augment.adaptive:  # D's verdicts on the (augmented) reals drive its strength
                self.augment.observe(self.loss.verdict(real_scores.detach(), fake_scores.detach()))
            logs["augment_p"] = self.augment.p.detach().float()
        if self.class_loss is not None:
            class_loss = self.class_loss.d_loss(real_out[1], labels, fake_out[1], fake_labels)
            loss = loss + self.class_loss.weight * class_loss
            logs["d_class_loss"] = class_loss.detach()
        for name, penalty in self.penalties:
            every = getattr(penalty, "every", 1)  # a penalty of one's own may not have it (Penalty does)
            if batch % every:
                continue
            # The real labels (a penalty's points are real, or interpolates taken as real's class) unless the
            # penalty is on generated samples alone.
            judged = fake_labels if getattr(penalty, "labels", "real") == "fake" else labels
            value = penalty(critic(discriminator, judged), real, fake, rng)
            loss = loss + penalty.weight * every * value
            logs[name] = value.detach()
        return loss, logs

    def generator(self, discriminator: nn.Module, fake: Tensor, labels: Optional[Tensor], rng: torch.Generator,
                  real: Optional[Tensor] = None, real_labels: Optional[Tensor] = None) -> tuple[Tensor, dict]:
        """G's loss on its samples ``fake`` (made for ``labels``) and what to log: ``g_loss``, ``g_class_loss``. A
        loss that compares with real samples also gets D's scores on ``real`` (``real_labels``), without gradient."""
        out = judge(discriminator, self.seen(fake, rng), labels)
        if self.loss.needs_real_scores:
            with torch.no_grad():
                real_scores = scores_of(judge(discriminator, self.seen(real, rng), real_labels))
            loss = self.loss.g_loss(scores_of(out), real_scores)
        else:
            loss = self.loss.g_loss(scores_of(out))
        logs = {"g_loss": loss.detach()}
        if self.class_loss is not None:
            class_loss = self.class_loss.g_loss(out[1], labels)
            loss = loss + self.class_loss.weight * class_loss
            logs["g_class_loss"] = class_loss.detach()
        return loss, logs

    def held_out(self, discriminator: nn.Module, real: Tensor, labels: Optional[Tensor], fake: Tensor,
                 fake_labels: Optional[Tensor]) -> dict[str, Tensor]:
        """D's view (never augmented) of held-out ``real`` against fresh ``fake``: both losses and mean scores
        (D(real) drifting from training's is D overfitting), and with ACGAN's head its accuracy on the reals
        (``d_class_accuracy``)."""
        real_out, fake_out = judge(discriminator, real, labels), judge(discriminator, fake, fake_labels)
        real_scores, fake_scores = scores_of(real_out), scores_of(fake_out)
        g_loss = (self.loss.g_loss(fake_scores, real_scores) if self.loss.needs_real_scores
                  else self.loss.g_loss(fake_scores))
        figures = {"d_loss": self.loss.d_loss(real_scores, fake_scores), "g_loss": g_loss,
                   "d_real": real_scores.mean(), "d_fake": fake_scores.mean()}
        if isinstance(real_out, tuple):
            figures["d_class_accuracy"] = (real_out[1].argmax(1) == labels).float().mean()
        return figures


def _log_name(penalty: Penalty, listed: Sequence[Penalty]) -> str:
    """``d_penalty_<kind>`` of one of several penalties: ``r1`` for R1Penalty, ``gradient`` for GradientPenalty; its
    place in the list too where two are of one kind."""
    kind = type(penalty).__name__.removesuffix("Penalty").lower() or "penalty"
    same = [p for p in listed if type(p) is type(penalty)]
    return f"d_penalty_{kind}" if len(same) == 1 else f"d_penalty_{kind}{same.index(penalty)}"
