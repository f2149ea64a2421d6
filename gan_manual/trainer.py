"""Lightning's Trainer as the CLI builds it, with batch limits that keep their meaning and a progress bar that
knows a resumed epoch."""

from typing import Any, Optional, Union

import lightning as L
from jsonargparse.typing import NonNegativeFloat, NonNegativeInt
from lightning.pytorch.callbacks import Callback
from lightning.pytorch.callbacks.progress import ProgressBar as AnyProgressBar

from gan_manual.callbacks.progress import ProgressBar

#: A whole number is a count of batches, a number with a point a fraction of them, as Lightning documents.
#: Lightning's own annotation, Union[float, int], makes the CLI read ``1`` as the float 1.0, i.e. all batches.
BatchLimit = Optional[Union[NonNegativeInt, NonNegativeFloat]]


class Trainer(L.Trainer):
    """``lightning.Trainer``; ``limit_*_batches=1`` on the command line or in a config is one batch, ``1.0`` all.
    Without a progress bar among the callbacks (and with ``enable_progress_bar``), the bar is
    :class:`gan_manual.callbacks.progress.ProgressBar` instead of Lightning's."""

    def __init__(
        self,
        *args: Any,
        limit_train_batches: BatchLimit = None,
        limit_val_batches: BatchLimit = None,
        limit_test_batches: BatchLimit = None,
        limit_predict_batches: BatchLimit = None,
        **kwargs: Any,
    ) -> None:
        callbacks = kwargs.get("callbacks")
        callbacks = [] if callbacks is None else [callbacks] if isinstance(callbacks, Callback) else list(callbacks)
        if kwargs.get("enable_progress_bar") is not False and not any(
                isinstance(c, AnyProgressBar) for c in callbacks):
            kwargs["callbacks"] = [*callbacks, ProgressBar()]
        super().__init__(
            *args,
            limit_train_batches=limit_train_batches,
            limit_val_batches=limit_val_batches,
            limit_test_batches=limit_test_batches,
            limit_predict_batches=limit_predict_batches,
            **kwargs,
        )
