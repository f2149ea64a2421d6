"""Differentiable augmentation (DiffAugment, Zhao et al. 2020): the same kind of random transforms on real and
generated images wherever D sees them, in D's and in G's steps, so D cannot memorise a small data set and G's
gradient passes through the transforms.

An augmentation is a callable ``(images (B, C, H, W), rng) -> (B, C, H, W)``; ``rng`` is the system's per-batch
generator, so a resumed run draws the same transforms as the uninterrupted one. An augmentation with an
``observe(real_scores)`` method (adaptive augmentation) is shown D's scores on the real images of every D step.
"""

from typing import Literal

import torch
import torch.nn.functional as F
from jsonargparse.typing import ClosedUnitInterval, PositiveInt
from torch import Tensor, nn

from gan_manual.component import Component


class Augmentation(Component):
    """Interface of every augmentation: ``(images, rng) -> images`` of the same shape, differentiable."""

    def __call__(self, x: Tensor, rng: torch.Generator) -> Tensor:
        raise NotImplementedError


class DiffAugment(Augmentation):
    """DiffAugment's transforms in DiffAugment's order (color, translation, cutout), drawn per image.

    Args:
        policy: The transforms: ``color`` (brightness, saturation, contrast; for RGB), ``translation``,
            ``cutout``. The paper's choice: all three for RGB, translation and cutout for grey images.
        translation_ratio: Largest shift, as a share of the side (the paper's 1/8); zeros fill in.
        cutout_ratio: Side of the zeroed square, as a share of the image's side (the paper's 1/2).
    """

    def __init__(self, policy: tuple[Literal["color", "translation", "cutout"], ...] = ("translation", "cutout"),
                 translation_ratio: ClosedUnitInterval = 0.125, cutout_ratio: ClosedUnitInterval = 0.5) -> None:
        self.policy = tuple(policy)
        self.translation_ratio = translation_ratio
        self.cutout_ratio = cutout_ratio

    def __call__(self, x: Tensor, rng: torch.Generator) -> Tensor:
        for transform in ("color", "translation", "cutout"):
            if transform in self.policy:
                x = getattr(self, f"_{transform}")(x, rng)
        return x

    @staticmethod
    def _uniform(x: Tensor, rng: torch.Generator) -> Tensor:
        return torch.rand(x.shape[0], 1, 1, 1, generator=rng, device=x.device, dtype=x.dtype)

    def _color(self, x: Tensor, rng: torch.Generator) -> Tensor:
        x = x + (self._uniform(x, rng) - 0.5)  # brightness
        mean = x.mean(dim=1, keepdim=True)
        x = (x - mean) * (self._uniform(x, rng) * 2) + mean  # saturation
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        return (x - mean) * (self._uniform(x, rng) + 0.5) + mean  # contrast

    def _translation(self, x: Tensor, rng: torch.Generator) -> Tensor:
        b, _, h, w = x.shape
        sh, sw = int(h * self.translation_ratio + 0.5), int(w * self.translation_ratio + 0.5)
        dy = torch.randint(-sh, sh + 1, (b, 1, 1), generator=rng, device=x.device)
        dx = torch.randint(-sw, sw + 1, (b, 1, 1), generator=rng, device=x.device)
        # Read each pixel from (y + dy, x + dx) of the image padded with one zero pixel; beyond it, from the pad.
        rows = (torch.arange(h, device=x.device).view(1, h, 1) + dy + 1).clamp(0, h + 1).expand(b, h, w)
        cols = (torch.arange(w, device=x.device).view(1, 1, w) + dx + 1).clamp(0, w + 1).expand(b, h, w)
        index = torch.arange(b, device=x.device).view(b, 1, 1).expand(b, h, w)
        return F.pad(x, (1, 1, 1, 1)).permute(0, 2, 3, 1)[index, rows, cols].permute(0, 3, 1, 2)

    def _cutout(self, x: Tensor, rng: torch.Generator) -> Tensor:
        b, _, h, w = x.shape
        ch, cw = int(h * self.cutout_ratio + 0.5), int(w * self.cutout_ratio + 0.5)
        top = torch.randint(0, h + (1 - ch % 2), (b, 1, 1), generator=rng, device=x.device) - ch // 2
        left = torch.randint(0, w + (1 - cw % 2), (b, 1, 1), generator=rng, device=x.device) - cw // 2
        rows = torch.arange(h, device=x.device).view(1, h, 1)
        cols = torch.arange(w, device=x.device).view(1, 1, w)
        inside = (rows >= top) & (rows < top + ch) & (cols >= left) & (cols < left + cw)
        return x * (~inside).unsqueeze(1).to(x.dtype)


class AdaptiveAugment(nn.Module, Augmentation):
    """Adaptive augmentation (StyleGAN2-ADA, Karras et al. 2020): each of DiffAugment's transforms is applied to
    each image with probability ``p``, and ``p`` follows D's overfitting. The system shows it D's scores on the real
    images of every D step (:meth:`observe`); every ``interval`` steps the overfitting heuristic
    ``r_t = E[sign(D(real))]`` over them moves ``p`` up when above ``target``, down when below, by
    ``interval x batch size / speed_images`` (so ``p`` can cross [0, 1] in ``speed_images`` real images). ``p``
    and the running sums are buffers: checkpointed, exact on resume, logged as ``train/augment_p``; under DDP the
    sums are added over processes, so every process keeps the same ``p``.

    Args:
        policy: The transforms, as :class:`DiffAugment`'s.
        target: The value of ``r_t`` to hold (ADA's 0.6).
        interval: D steps between adjustments (ADA's 4).
        speed_images: Real images over which ``p`` may go from 0 to 1 (ADA's 500,000).
        initial_p: ``p`` at the start.
        adaptive: False: ``p`` does not follow D (it stays ``initial_p``, or follows a ramp of
            :class:`~gan_manual.callbacks.Ramps`, as R3GAN's schedule).
    """

    def __init__(self, policy: tuple[Literal["color", "translation", "cutout"], ...] = ("translation", "cutout"),
                 target: ClosedUnitInterval = 0.6, interval: PositiveInt = 4, speed_images: PositiveInt = 500_000,
                 initial_p: ClosedUnitInterval = 0.0, adaptive: bool = True) -> None:
        super().__init__()
        self.adaptive = adaptive
        self.transforms = DiffAugment(policy)
        self.target = target
        self.interval = interval
        self.speed_images = speed_images
        self.register_buffer("p", torch.tensor(float(initial_p), dtype=torch.float64))
        # Sum of sign(D(real)), images and D steps since the last adjustment.
        self.register_buffer("signs", torch.zeros((), dtype=torch.float64))
        self.register_buffer("images", torch.zeros((), dtype=torch.float64))
        self.register_buffer("steps", torch.zeros((), dtype=torch.int64))

    def forward(self, x: Tensor, rng: torch.Generator) -> Tensor:
        p = float(self.p)
        for transform in ("color", "translation", "cutout"):
            if transform in self.transforms.policy:
                apply = torch.rand(x.shape[0], generator=rng, device=x.device) < p
                moved = getattr(self.transforms, f"_{transform}")(x, rng)
                x = torch.where(apply.view(-1, *(1,) * (x.dim() - 1)), moved, x)
        return x

    @torch.no_grad()
    def observe(self, real_scores: Tensor) -> None:
        """D's raw outputs ``(B,)`` on the real images of one D step; adjusts ``p`` every ``interval`` steps."""
        if not self.adaptive:
            return
        self.signs += real_scores.sign().sum().double()
        self.images += real_scores.numel()
        self.steps += 1
        if int(self.steps) % self.interval:
            return
        sums = torch.stack([self.signs, self.images])
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            torch.distributed.all_reduce(sums)
        heuristic = sums[0] / sums[1].clamp(min=1)
        step = sums[1] / self.speed_images  # images of this interval (all processes) over the speed
        self.p.copy_((self.p + torch.sign(heuristic - self.target) * step).clamp(0.0, 1.0))
        self.signs.zero_()
        self.images.zero_()

    def __repr__(self) -> str:
        return (f"AdaptiveAugment(policy={self.transforms.policy}, target={self.target}, interval={self.interval}, "
                f"speed_images={self.speed_images}, p={float(self.p):.4f})")
