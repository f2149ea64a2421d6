"""Adversarial losses. Each is a small object with one interface, chosen in the config by ``class_path``.

``d_loss(real, fake)`` and ``g_loss(fake)`` take the discriminator's raw outputs (logits / critic values),
``(B,)`` each, and return a scalar to minimise. Means over the batch; the two D terms are summed. A loss whose G
objective compares with real samples (the relativistic one) sets ``needs_real_scores`` and takes
``g_loss(fake, real)``: the system judges the batch's real samples in G's step for it alone.
:class:`AuxiliaryClassifierLoss` is ACGAN's class term beside them (``model.class_loss``), on class logits.
"""

import torch.nn.functional as F
from jsonargparse.typing import ClosedUnitInterval, NonNegativeFloat
from torch import Tensor

from gan_manual.component import Component


class GANLoss(Component):
    """Interface of every loss: the discriminator's and the generator's objective."""

    #: Whether ``g_loss`` also takes D's scores on real samples, ``g_loss(fake, real)``; the system computes them
    #: (one more forward pass of D in G's step) only for a loss that says so.
    needs_real_scores: bool = False

    def d_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        """D's loss from its outputs on real ``(B,)`` and generated ``(B,)`` samples."""
        raise NotImplementedError

    def g_loss(self, fake: Tensor) -> Tensor:
        """G's loss from D's outputs on generated samples ``(B,)``."""
        raise NotImplementedError

    def verdict(self, real: Tensor, fake: Tensor) -> Tensor:
        """D's verdict on each real sample ``(B,)`` from its outputs on real and generated samples: positive where
        D takes it for real, negative where for generated. Adaptive augmentation's overfitting heuristic averages
        its sign. For a logit (and the hinge loss's score) that is the score itself."""
        return real


class NonSaturatingLoss(GANLoss):
    """BCE: D classifies real/fake, G maximises log D(G(z)) (Goodfellow et al. 2014, §3).

    Args:
        real_label: Target for real samples in D's loss; 0.9 is one-sided label smoothing (Salimans et al. 2016).
    """

    def __init__(self, real_label: ClosedUnitInterval = 1.0) -> None:
        self.real_label = real_label

    def d_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        real_loss = F.binary_cross_entropy_with_logits(real, real.new_full(real.shape, self.real_label))
        # BCE(x, 0) = softplus(x): no target tensor needed.
        return real_loss + F.softplus(fake).mean()

    def g_loss(self, fake: Tensor) -> Tensor:
        return F.softplus(-fake).mean()  # BCE(x, 1)


class MinimaxLoss(GANLoss):
    """The original saturating game: G minimises log(1 - D(G(z))). D's loss is the BCE one."""

    def d_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        return F.softplus(-real).mean() + F.softplus(fake).mean()

    def g_loss(self, fake: Tensor) -> Tensor:
        return -F.softplus(fake).mean()  # log(1 - sigmoid(x)) = -softplus(x)


class WassersteinLoss(GANLoss):
    """WGAN critic loss (Arjovsky et al. 2017): D maximises E[D(real)] - E[D(fake)].

    Needs a Lipschitz constraint: a :class:`~gan_manual.penalties.GradientPenalty` or weight clipping.
    """

    def d_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        return fake.mean() - real.mean()

    def g_loss(self, fake: Tensor) -> Tensor:
        return -fake.mean()

    #: A critic's values have no decision boundary (only differences mean something), so no verdict.
    verdict = None  # type: ignore[assignment]


class HingeLoss(GANLoss):
    """Hinge loss (Lim & Ye 2017; Miyato et al. 2018): D is pushed to outputs beyond +-1 only."""

    def d_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        return F.relu(1.0 - real).mean() + F.relu(1.0 + fake).mean()

    def g_loss(self, fake: Tensor) -> Tensor:
        return -fake.mean()


class LeastSquaresLoss(GANLoss):
    """LSGAN (Mao et al. 2017): D regresses real to ``real_target``, fake to ``fake_target``; G pushes fakes to
    ``g_target``. The defaults are the paper's 0-1 coding (a=0, b=1, c=1); -1, 1, 0 is its other choice.
    """

    def __init__(self, real_target: float = 1.0, fake_target: float = 0.0, g_target: float = 1.0) -> None:
        self.real_target = real_target
        self.fake_target = fake_target
        self.g_target = g_target

    def d_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        return 0.5 * ((real - self.real_target) ** 2).mean() + 0.5 * ((fake - self.fake_target) ** 2).mean()

    def g_loss(self, fake: Tensor) -> Tensor:
        return 0.5 * ((fake - self.g_target) ** 2).mean()

    def verdict(self, real: Tensor, fake: Tensor) -> Tensor:
        # D's boundary is halfway between its two targets (0.5 in the 0-1 coding), not 0.
        boundary = 0.5 * (self.real_target + self.fake_target)
        return real - boundary if self.real_target > self.fake_target else boundary - real


class RelativisticPairingLoss(GANLoss):
    """RpGAN (Jolicoeur-Martineau 2019), the loss of R3GAN (Huang et al. 2024): each generated sample is judged
    against a real one, pair by pair: D's loss is ``softplus(-(D(x_i) - D(G(z_i))))``, G's
    ``softplus(-(D(G(z_i)) - D(x_i)))``, means over the pairs. R3GAN trains it with R1 and R2 together
    (``penalty: [R1Penalty, R2Penalty]``), without which it diverges."""

    needs_real_scores = True

    def d_loss(self, real: Tensor, fake: Tensor) -> Tensor:
        return F.softplus(fake - real).mean()

    def g_loss(self, fake: Tensor, real: Tensor) -> Tensor:  # type: ignore[override]
        return F.softplus(real - fake).mean()

    def verdict(self, real: Tensor, fake: Tensor) -> Tensor:
        # Only differences of scores mean something: D's verdict on a real sample is against its pair.
        return real - fake


class AuxiliaryClassifierLoss(Component):
    """ACGAN's class term (Odena et al. 2017), for a discriminator that returns ``(scores, class_logits)``.

    The adversarial loss keeps its own signature on the scores; this loss adds, scaled by ``weight``, the
    cross-entropy of D's class logits ``(B, num_classes)`` against the labels ``(B,)``: on real and (if
    ``on_fakes``) generated samples in D's step, on generated samples in G's step (G makes images of the class it
    was asked for). Logged as ``train/d_class_loss`` and ``train/g_class_loss``, unweighted.

    Args:
        weight: Its weight in both networks' losses (ACGAN's 1).
        on_fakes: Also train D's classifier on generated samples (ACGAN's L_C); false trains it on real ones only,
            which keeps D from learning to classify G's failures (Gong et al. 2019, TAC-GAN's discussion).
    """

    def __init__(self, weight: NonNegativeFloat = 1.0, on_fakes: bool = True) -> None:
        self.weight = weight
        self.on_fakes = on_fakes

    def d_loss(self, real_logits: Tensor, real_labels: Tensor, fake_logits: Tensor, fake_labels: Tensor) -> Tensor:
        """D's unweighted class loss from its logits on real and generated samples and their labels."""
        loss = F.cross_entropy(real_logits.float(), real_labels)
        if self.on_fakes:
            loss = loss + F.cross_entropy(fake_logits.float(), fake_labels)
        return loss

    def g_loss(self, fake_logits: Tensor, fake_labels: Tensor) -> Tensor:
        """G's unweighted class loss: D's logits on generated samples against the labels they were made for."""
        return F.cross_entropy(fake_logits.float(), fake_labels)
