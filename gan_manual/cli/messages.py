"""User errors as one line: jsonargparse's nested explanations squeezed to ``key: reason``, and which exceptions
are the user's to fix (the rest are bugs and keep their traceback)."""

import re
from typing import Optional

from lightning.fabric.utilities.exceptions import MisconfigurationException

from gan_manual import files
from gan_manual.errors import ConfigError, DivergenceError, Interrupted, StorageError, causes

_NOISE = re.compile(
    r"^(Parser key|Does not validate against|Subtypes:|Errors:|Given value|Problem with given class_path|"
    r"Expected a <class 'NoneType'>|$)"
)


def one_line(message: str) -> str:
    """jsonargparse's nested, multi-line explanation -> ``key.path: reason``."""
    yaml_problem = _yaml_problem(message)
    if yaml_problem:
        return yaml_problem
    key = ".".join(re.findall(r'Parser key "([^"]+)"', message))
    reasons = [line.strip(" -") for line in message.splitlines() if not _NOISE.match(line.strip(" -"))]
    # "Expected a path but X ... invalid" is jsonargparse's guess that X was a file; the other reason says more.
    specific = [r for r in reasons if not r.startswith("Expected a path but")] or reasons or [message]
    reason = specific[-1]
    if reason.startswith("Expected a dot import path string"):  # the last of a union's types: say what all allow
        reason = _union_problem(message) or reason
    unknown = re.match(r"Option '([^']+)' is not accepted", reason)
    if unknown:  # name the full key, and where the accepted ones are listed
        key = f"{key}.{unknown.group(1)}" if key else unknown.group(1)
        reason += f" (--{key.split('.')[0]}.help CLASS_PATH lists the accepted ones)"
    return f"{key}: {reason}" if key else reason


def _union_problem(message: str) -> Optional[str]:
    """``expected a float or torch.Tensor, got nan`` from the innermost union jsonargparse reports."""
    subtypes = re.findall(r"Subtypes: \[(.*)\]", message)
    given = re.findall(r"Given value: (.*?)(?:\. Got value:.*)?$", message, re.M)
    if not subtypes or not given:
        return None
    if given[0].strip().lower().lstrip("+-.") in ("nan", "inf", "infinity"):  # a float, but not a number to use
        return f"must be a finite number, not {given[0].strip()}"
    names = [re.sub(r"^<class '(?:builtins\.)?(.*)'>$", r"\1", t.strip()) for t in subtypes[-1].split(",")]
    names = ["None" if n == "NoneType" else n for n in names]
    return f"expected a {' or '.join(names)}, got {given[0]}"


def _yaml_problem(message: str) -> Optional[str]:
    """jsonargparse's report of a YAML syntax error in a config -> ``config: line L, column C: problem``. (The
    files given with -c are read first, by :func:`gan_manual.cli.checks.check_config_files`, which names the file.)"""
    found = re.match(r'Problems parsing config: (.+)\n\s*in "[^"]*", line (\d+), column (\d+)', message)
    if not found:
        return None
    problem, line, column = found.groups()
    return f"config: line {line}, column {column}: {problem} (YAML syntax)"


#: What a user reads as one line: their mistakes, a divergence, a full disk, an interruption (the rest are bugs).
USER_ERRORS = (ConfigError, MisconfigurationException, DivergenceError, StorageError, Interrupted)


def user_error(error: Optional[BaseException]) -> Optional[BaseException]:
    """The user error behind ``error``, if any (:data:`USER_ERRORS`; Lightning's is a bad Trainer argument; an
    allocation larger than the machine's memory, a ConfigError). jsonargparse wraps what an ``__init__`` raises,
    so the chain of causes is searched."""
    found = next((e for e in causes(error) if isinstance(e, USER_ERRORS)), None)
    return found or _out_of_memory(error)


def _out_of_memory(error: Optional[BaseException]) -> Optional[ConfigError]:
    """torch's allocator refusing a tensor (a size mistyped by a few zeros, building a network), as one line."""
    for cause in causes(error):
        asked = re.search(r"can't allocate memory: you tried to allocate (\d+) bytes", str(cause))
        if isinstance(cause, MemoryError) or asked:
            size = f" ({files.size(int(asked.group(1)))} for one tensor)" if asked else ""
            return ConfigError(f"model: the run needs more memory than this machine has{size}; check the networks' "
                               f"sizes (latent_dim, hidden_dims, width) and the batch size")
    return None
