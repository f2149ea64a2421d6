"""Reading a YAML file a person wrote: text, syntax and repeated keys, each refused in one line naming the file."""

from pathlib import Path
from typing import Any

import yaml

from gan_manual.errors import ConfigError


def read(path: Path, name: str) -> Any:
    """The content of the YAML file at ``path``; ``name`` is how the error line names it.

    A key given twice in one mapping is refused: YAML readers keep the last one silently, so a study's second
    variant of the same name, or a config's second ``lr``, would replace the first without a word."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{name}: not a text file (byte {error.start} is not UTF-8); it must be YAML text") from error
    try:
        _check_keys(yaml.compose(text, Loader=yaml.SafeLoader), name)
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
        problem = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise ConfigError(f"{name}: {where}{problem} (YAML syntax)") from error


def _check_keys(node: Any, name: str, path: tuple[str, ...] = ()) -> None:
    if isinstance(node, yaml.MappingNode):
        lines: dict[str, int] = {}
        for key, value in node.value:
            line = key.start_mark.line + 1
            if isinstance(key, yaml.ScalarNode) and key.value in lines:
                where = ".".join((*path, key.value))
                raise ConfigError(f"{name}: {where} is given twice (lines {lines[key.value]} and {line}); YAML would "
                                  f"keep only the second: rename or remove one")
            if isinstance(key, yaml.ScalarNode):
                lines[key.value] = line
            _check_keys(value, name, (*path, str(getattr(key, "value", "?"))))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _check_keys(item, name, (*path, str(index)))
