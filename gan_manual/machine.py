"""What this machine is, where a figure depends on it: a run's speed (a study's time budget buys a different number
of batches on another CPU) and its bits (oneDNN picks its kernels by instruction set)."""

import os
import platform
from pathlib import Path
from typing import Any, Optional

import torch

from gan_manual import compat


def describe(threads: int) -> dict[str, Any]:
    """``{"cpu", "capability", "cores", "threads", "torch", "gpu"}``: the CPU's model name, the instruction set
    torch's kernels use on it (``AVX2``, ``AVX512``, ...), the cores, the torch threads of the run, torch's version
    and the GPU's name (None without one). No host name: a study's records are committed."""
    return {"cpu": cpu_name(), "capability": torch.backends.cpu.get_cpu_capability(), "cores": os.cpu_count(),
            "threads": threads, "torch": torch.__version__,
            "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}


def summary(machine: dict[str, Any]) -> str:
    """One line of :func:`describe`'s record, as a report shows it."""
    where = machine["gpu"] or f"{machine['cpu']} ({machine['capability']}, {machine['cores']} cores)"
    threads = machine["threads"]
    return f"{where}, {threads} thread{'s' * (threads != 1)}, torch {machine['torch']}"


def cpu_name() -> str:
    """The CPU's model name (Linux's /proc/cpuinfo; elsewhere what Python's platform module knows)."""
    found = _cpuinfo_field("model name")
    return found or platform.processor() or platform.machine() or "unknown"


def available_memory() -> Optional[int]:
    """Bytes of memory a new allocation can have now (Linux's MemAvailable; elsewhere None: not known)."""
    found = _field(Path("/proc/meminfo"), "MemAvailable")
    return int(found.split()[0]) * 1024 if found else None


def native_bfloat16() -> bool:
    """Whether this CPU computes in bfloat16 natively (AVX512-BF16 or AMX). Without it torch emulates bfloat16,
    and bf16-mixed convolutions run several times slower than float32 ones."""
    found = compat.native_bfloat16()
    return True if found is None else found  # a torch that cannot tell is not second-guessed


def _cpuinfo_field(name: str) -> Optional[str]:
    return _field(Path("/proc/cpuinfo"), name)


def _field(path: Path, name: str) -> Optional[str]:
    """The value of the first ``name: value`` line of ``path`` (a file of Linux's /proc), if any."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        key, _, value = line.partition(":")
        if key.strip() == name:
            return value.strip()
    return None
