"""Supervision of a worker's loops (consumer, relay, periodic jobs): none may die silently.

Each loop runs as its own task under a watcher. When a loop ends while the worker is not
stopping (an exception, a cancellation from inside, or a plain return), the watcher logs it
at ERROR with its trace, counts it in ``kasane_worker_loop_restarts_total{service,loop}``
and starts it again after a backoff (0.5 s doubling to 30 s; a loop that ran a minute
starts again from 0.5 s). The loop is *down* between its death and its restart, which
the worker's /readyz reports. A loop that died :data:`GIVE_UP_AFTER` times in a row without
running a minute is *failed*: the worker's /healthz answers 503 so that the orchestrator
restarts the whole process, which a fault outside the loop (a leaked resource, a wedged
library) may need.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from kasane_shared import metrics

log = logging.getLogger(__name__)

LoopFactory = Callable[[asyncio.Event], Coroutine[Any, Any, None]]

GIVE_UP_AFTER = 10  # consecutive quick deaths before liveness fails
HEALTHY_RUN_SECONDS = 60.0  # a run this long resets the backoff and the count of deaths


@dataclass
class Loop:
    """One supervised loop: its current run, whether it is up, and how often it died."""

    name: str
    factory: LoopFactory
    task: asyncio.Task[None] | None = None  # the current run
    up: bool = False
    restarts: int = 0
    quick_deaths: int = 0
    watcher: asyncio.Task[None] | None = field(default=None, repr=False)


class Supervisor:
    """Starts loops, restarts the ones that die, and tells the probes how they are."""

    def __init__(
        self,
        service: str,
        stop: asyncio.Event,
        *,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        give_up_after: int = GIVE_UP_AFTER,
    ) -> None:
        self.service = service
        self.stop = stop
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.give_up_after = give_up_after
        self.loops: dict[str, Loop] = {}

    def start(self, name: str, factory: LoopFactory) -> Loop:
        loop = Loop(name, factory)
        self.loops[name] = loop
        metrics.loop_restarts.add(0, {"service": self.service, "loop": name})
        loop.watcher = asyncio.create_task(self._watch(loop), name=f"supervise {name}")
        return loop

    @property
    def watchers(self) -> list[asyncio.Task[None]]:
        return [loop.watcher for loop in self.loops.values() if loop.watcher is not None]

    def down(self) -> list[str]:
        """Loops not running now (between a death and their restart)."""
        return [name for name, loop in self.loops.items() if not loop.up]

    def failed(self) -> list[str]:
        """Loops that keep dying: the process should be restarted."""
        return [name for name, loop in self.loops.items() if loop.quick_deaths >= self.give_up_after]

    async def _watch(self, loop: Loop) -> None:
        delay = self.backoff
        while not self.stop.is_set():
            started = time.monotonic()
            run: asyncio.Task[None] = asyncio.create_task(loop.factory(self.stop), name=loop.name)
            loop.task, loop.up = run, True
            try:
                await asyncio.wait({run})
            except asyncio.CancelledError:  # the watcher itself is cancelled: end the run too
                run.cancel()
                with contextlib.suppress(BaseException):
                    await run
                loop.up = False
                raise
            loop.up = False
            if self.stop.is_set():
                if not run.cancelled() and run.exception() is not None:
                    log.error("worker loop %s failed while stopping", loop.name, exc_info=run.exception())
                return
            if time.monotonic() - started >= HEALTHY_RUN_SECONDS:
                delay, loop.quick_deaths = self.backoff, 0
            loop.quick_deaths += 1
            loop.restarts += 1
            metrics.loop_restarts.add(1, {"service": self.service, "loop": loop.name})
            how = ("was cancelled" if run.cancelled()
                   else "raised" if run.exception() is not None else "returned")
            log.error(
                "worker loop %s %s; restarting in %.1fs (restart %d)", loop.name, how, delay,
                loop.restarts, exc_info=None if run.cancelled() else run.exception(),
                extra={"loop": loop.name},
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop.wait(), delay)
            delay = max(min(delay * 2, self.max_backoff), self.backoff)
