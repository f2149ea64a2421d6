"""Help that fits on a screen: the networks' help names the shipped networks instead of every ``nn.Module`` in
torch, the optimizers' and schedulers' help points to torch's modules instead of listing them, and
``--ckpt_path`` says what it means here."""

from argparse import Action

from jsonargparse import DefaultHelpFormatter

from gan_manual import nets

CKPT_PATH = (
    "A checkpoint to resume from (fit) or to evaluate (validate, test, predict: required): a path, or 'last' for "
    "the newest last.ckpt under this config's runs folder (runs/<name>/); fit with 'last' and no checkpoint yet "
    "starts afresh."
)


def shipped(role: str) -> list[str]:
    """The class paths of gan_manual's networks for ``role``, ``generator`` or ``discriminator``."""
    return [f"gan_manual.nets.{name}" for name in nets.__all__ if name.lower().endswith(role)]


class HelpFormatter(DefaultHelpFormatter):
    def _get_help_string(self, action: Action) -> str:
        if action.dest.endswith("ckpt_path"):
            return CKPT_PATH
        text = super()._get_help_string(action)
        start = text.find(", known subclasses: ")
        if start >= 0 and "torch.nn.Identity" in text[start:]:  # typed nn.Module: any network goes
            role = "discriminator" if action.dest.endswith("discriminator") else "generator"
            text = text[:start] + f"; shipped: {', '.join(shipped(role))}; or any nn.Module by class_path)"
        elif start >= 0 and "torch.optim.Optimizer" in text[start:]:  # torch's 16 optimizers, 10 lines
            text = text[:start] + "; any torch.optim class by class_path, e.g. torch.optim.Adam)"
        elif start >= 0 and "torch.optim.lr_scheduler.LRScheduler" in text[start:]:  # torch's 18 schedulers
            text = text[:start] + "; any torch.optim.lr_scheduler class by class_path, e.g. StepLR)"
        return text
