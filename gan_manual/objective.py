"""What each network minimises in one training step, from what D makes of the samples it sees (augmented, if the
system augments): the adversarial loss of D's scores, ACGAN's class loss where D returns class logits, and D's
penalty on the batches it applies to; with the values to log beside.

Samples are ``(B, *data_shape)``; D's scores ``(B,)`` (logits, or critic values); labels ``(B,)``, or None for
unconditional networks.
"""

from typing import Optional

import torch
from torch import Tensor, nn

from gan_manual.augment import Augmentation
from gan_manual.losses import AuxiliaryClassifierLoss, GANLoss
from gan_manual.nets.conditioning import critic, judge, scores_of
from gan_manual.penalties import Penalty


class Objective:
    """The losses of both networks and D's view of training samples, as the system's config names them:
    ``loss``, ``class_loss``, ``penalty``, ``augment``."""

    def __init__(self, loss: GANLoss, class_loss: Optional[AuxiliaryClassifierLoss] = None,
                 penalty: Optional[Penalty] = None, augment: Optional[Augmentation] = None) -> None:
        self.loss = loss
        self.class_loss = class_loss
        self.penalty = penalty
        self.augment = augment

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
        if self.class_loss is not None:
            class_loss = self.class_loss.d_loss(real_out[1], labels, fake_out[1], fake_labels)
            loss = loss + self.class_loss.weight * class_loss
            logs["d_class_loss"] = class_loss.detach()
        every = getattr(self.penalty, "every", 1)  # a penalty of one's own may not have it (Penalty does)
        if self.penalty is not None and batch % every == 0:
            # The real labels: a penalty's points are real, or interpolates taken as real's class.
            penalty = self.penalty(critic(discriminator, labels), real, fake, rng)
            loss = loss + self.penalty.weight * every * penalty
            logs["d_penalty"] = penalty.detach()
        return loss, logs

    def generator(self, discriminator: nn.Module, fake: Tensor, labels: Optional[Tensor],
                  rng: torch.Generator) -> tuple[Tensor, dict]:
        """G's loss on its samples ``fake`` (made for ``labels``) and what to log: ``g_loss``, ``g_class_loss``."""
        out = judge(discriminator, self.seen(fake, rng), labels)
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
        figures = {"d_loss": self.loss.d_loss(real_scores, fake_scores), "g_loss": self.loss.g_loss(fake_scores),
                   "d_real": real_scores.mean(), "d_fake": fake_scores.mean()}
        if isinstance(real_out, tuple):
            figures["d_class_accuracy"] = (real_out[1].argmax(1) == labels).float().mean()
        return figures
