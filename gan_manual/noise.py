"""Where the system's random numbers come from, so that a run, its rerun from ``config.yaml`` and its resumed copy
draw the same ones.

* Training noise and interpolation weights: a ``torch.Generator`` re-seeded at every batch from (run seed, process
  rank, batch number). Nothing to save, the same draws after a resume, different draws on each DDP process.
* Evaluation noise (validation, test): a generator seeded afresh at each evaluation, so epochs compare on equal
  terms.
* The global torch RNG (dropout in a user's network, say): every process's state goes into the checkpoint and is
  put back just before the first resumed batch.
"""

import hashlib
from typing import Optional

import torch
from lightning.pytorch.strategies import Strategy
from lightning.pytorch.utilities import rank_zero_warn
from torch import Tensor


def fold(*numbers: int) -> int:
    """A 63-bit seed from a tuple of integers (a hash, so nearby tuples give unrelated streams): the derivation
    of every new stream."""
    digest = hashlib.blake2b(repr(numbers).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") >> 1


# The two derivations that came before fold, kept as they are: runs and checkpoints of every config depend on them
# (the batches' order, the evaluation noise).
def shuffle_seed(seed: int, epoch: int) -> int:
    """The seed of epoch ``epoch``'s permutation of the training data, for the data's ``seed``."""
    return (seed * 1_000_003 + epoch) % 2**63


def evaluation_seed(seed: int, rank: int) -> int:
    """The seed of every evaluation's noise on process ``rank`` of a run seeded with ``seed``."""
    return (seed + 1_000_003 + rank) % 2**63


class Noise:
    """The randomness policy of one :class:`~gan_manual.GAN`; :meth:`start` it when training starts."""

    def __init__(self) -> None:
        self.seed = 0
        self._batch_rng: Optional[torch.Generator] = None
        self._resumed_global: Optional[Tensor] = None

    def start(self, device: torch.device) -> None:
        """Takes the run's seed (``seed_everything``) and makes the training generator on ``device``."""
        self.seed = torch.initial_seed()
        self._batch_rng = torch.Generator(device)

    def for_batch(self, rank: int, batch: int) -> torch.Generator:
        """The generator of training batch ``batch`` (counted over the run) on process ``rank``."""
        self._batch_rng.manual_seed(fold(self.seed, rank, batch))
        return self._batch_rng

    @staticmethod
    def for_evaluation(device: torch.device, rank: int) -> torch.Generator:
        """A generator with the same seed at every evaluation of the run."""
        return torch.Generator(device).manual_seed(evaluation_seed(torch.initial_seed(), rank))

    @staticmethod
    def global_states(strategy: Strategy) -> Tensor:
        """The global RNG state of every process, one row each: a collective under DDP, which every process has to
        call."""
        state = torch.get_rng_state()
        if strategy.world_size > 1:
            state = strategy.all_gather(state.to(strategy.root_device)).cpu()
        return state.reshape(-1, state.shape[-1])

    def resume_global(self, states: Optional[Tensor]) -> None:
        """Keeps the global RNG states read from a checkpoint until :meth:`restore_global`."""
        self._resumed_global = states

    def restore_global(self, rank: int, world_size: int) -> None:
        """Puts back the global RNG state that this process had when the checkpoint was saved, if resuming."""
        if self._resumed_global is None:
            return
        states, self._resumed_global = self._resumed_global, None
        if states.shape[0] != world_size:
            rank_zero_warn(
                f"the checkpoint holds the global RNG states of {states.shape[0]} processes, this run has "
                f"{world_size}: each process takes one of them"
            )
        torch.set_rng_state(states[rank % states.shape[0]])
