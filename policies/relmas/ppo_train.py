"""The training loop of ``learner = "relmas-ppo"`` (:mod:`.ppo`): the DDPG trainer's steps, rounds
of whole episodes, and a PPO update after each.

:class:`PPOTrainer` keeps everything of :class:`~policies.relmas.train.Trainer` (scenario,
evaluation on the validation seeds, callbacks, checkpoints, resume) and changes what is learned
and how experience flows:

1. Episodes are always played in rounds of ``episodes_per_round`` by a collector
   (:mod:`.collect`; ``workers`` 0 plays them in this process), sampling the stochastic policy.
2. While the workers play round ``n + 1`` (with the weights after round ``n - 1``'s update), this
   process updates on round ``n``: PPO's ratios are taken against the probabilities the
   episodes were played with, so the one round of lag is corrected for, and the workers never
   wait for the learner. With ``workers`` 0 the rounds run one after the other.
3. ``--init CHECKPOINT`` loads the actor only (a DDPG critic is a Q-function, not the value
   PPO needs) and keeps it as the reference of ``ppo.ref_coef``.

History columns: ``critic_loss`` is the value loss and ``actor_loss`` the policy's surrogate
loss of the update made after the round; ``updates`` counts PPO updates (one per round).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from policies.relmas.collect import Collector, EpisodeExperience, RolloutSpec
from policies.relmas.history import Row
from policies.relmas.ppo import PPO
from policies.relmas.train import Trainer


class PPOTrainer(Trainer):
    """:class:`~policies.relmas.train.Trainer` with PPO as the learner (module docstring)."""

    def make_agent(self, features: int, actions: int) -> PPO:
        """The stochastic actor and the value network (:class:`~policies.relmas.ppo.PPO`)."""
        c = self.config
        return PPO(features, actions, c.hidden, c.ppo, seed=c.seed)

    @property
    def ppo(self) -> PPO:
        """The agent, as PPO."""
        assert isinstance(self.agent, PPO)
        return self.agent

    def initialise(self, path: str) -> None:
        """The actor and encoder scales of checkpoint ``path``, kept as the reference actor."""
        ckpt = self._load(path, "init")
        self.ppo.actor.load_state_dict(ckpt.actor)
        self.ppo.keep_reference()

    def plays_in_rounds(self) -> bool:
        """Always: PPO learns from whole episodes."""
        return True

    def rollout_spec(self) -> RolloutSpec:
        """The DDPG spec, sampling the stochastic policy."""
        spec = super().rollout_spec()
        return replace(spec, learner="relmas-ppo", sa_temperature=self.config.ppo.sa_temperature)

    def run_rounds(self, collector: Collector) -> Iterator[Row]:
        """Play round ``n + 1`` while learning from round ``n``; yield each episode's row."""
        c = self.config

        def submit(start: int) -> tuple[Any, range]:
            episodes = range(start, min(start + c.episodes_per_round, c.episodes))
            return collector.submit(self.ppo.policy.state_dict(), episodes), episodes

        pending = submit(self.episode) if self.episode < c.episodes else None
        while pending is not None:
            handle, episodes = pending
            experiences = collector.result(handle)
            nxt = episodes.stop
            pending = submit(nxt) if nxt < c.episodes and not self.out_of_time() else None
            stats = self.learn_from(experiences)
            for exp in experiences:
                self.steps += len(exp.transitions)
                self.seconds["rollout_s"] += exp.encode_s + exp.act_s + exp.env_s
                self.seconds["env_s"] += exp.env_s
                self.episode += 1
                yield self.row(exp.reward, exp.met, [stats["value_loss"]],
                               [stats["policy_loss"]])

    def learn_from(self, experiences: list[EpisodeExperience]) -> dict[str, float]:
        """One PPO update on the ticks of ``experiences`` (whole episodes, in order)."""
        steps = [t for exp in experiences for t in exp.transitions]
        if not steps:
            return {"value_loss": math.nan, "policy_loss": math.nan}
        started = time.perf_counter()
        stats = self.ppo.update(steps, self.rng)
        self.seconds["learn_s"] += time.perf_counter() - started
        self.updates += 1
        return stats

    def play_episode(self) -> Row:  # pragma: no cover - rounds only
        raise NotImplementedError("relmas-ppo plays in rounds")
