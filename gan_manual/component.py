"""What the small injected parts that are not networks (losses, penalties) share."""


class Component:
    """A part chosen by ``class_path``; its ``repr`` shows what it was built with, as the config does:
    ``HingeLoss()``, ``GradientPenalty(weight=10.0, target=1.0)``."""

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"
