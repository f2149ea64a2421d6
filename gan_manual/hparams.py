"""TensorBoard's HParams record: the settings of a run (or of a study's cell) beside the figures that measure it,
which TensorBoard's HParams tab lists run by run."""

import json
from collections.abc import Mapping
from typing import Any

from torch.utils.tensorboard.summary import hparams


def write_hparams(writer: Any, settings: Mapping[str, Any], metrics: Mapping[str, float]) -> None:
    """One HParams record to ``writer`` (a TensorBoard ``FileWriter``): ``settings`` by name (numbers, strings and
    booleans as they are, anything else as JSON) and ``metrics``, the names of the scalars that measure the run
    with a value (TensorBoard shows the scalars logged under those names)."""
    shown = {key: value if isinstance(value, (int, float, str, bool)) else json.dumps(value, default=str)
             for key, value in settings.items()}
    for summary in hparams(shown, dict(metrics)):
        writer.add_summary(summary)
