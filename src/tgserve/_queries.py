"""Answers to the queries a host routes to the runtime: info, liveness, readiness, metrics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from tgserve._gate import Query, Response, error, json_response
from tgserve._runtime import Runtime

HEALTHY = json_response(200, {"ok": True})
NO_METRICS = error(404, "metrics are not enabled")


def answer_now(query: Query) -> Response | None:
    """The answer when it needs no loop (liveness: 200 while the process lives), else ``None``."""
    return HEALTHY if query is Query.HEALTHZ else None


async def answer(runtime: Runtime, query: Query) -> Response:
    """Answer ``query`` on the runtime's loop."""
    return await _ANSWERS[query](runtime)


async def _healthz(runtime: Runtime) -> Response:
    return HEALTHY


async def readiness(runtime: Runtime) -> tuple[bool, bool]:
    """Whether the runtime is ready (started, if need be, and its store reachable), and
    whether its store is reachable: the readiness rule of one bot and of each of many."""
    if runtime.state == "new":
        await runtime.try_start()
    ready = await runtime.ready()
    health = runtime.updates.store_health
    store = await health.probe() if ready else health.reachable
    return ready and store, store


async def _readyz(runtime: Runtime) -> Response:
    ready, store = await readiness(runtime)
    payload = {"ok": ready, "state": runtime.state, "store_reachable": store}
    return json_response(200 if ready else 503, payload)


async def _info(runtime: Runtime) -> Response:
    if runtime.state == "running":
        await runtime.refresh_queue_stats()
    return json_response(200, runtime.info())


async def _metrics(runtime: Runtime) -> Response:
    if not runtime.config.metrics:
        return NO_METRICS
    if runtime.state == "running":
        await runtime.refresh_queue_stats()
    from tgserve import _metrics as metrics  # only where GET /metrics is asked for

    return metrics.render(runtime.snapshot(), await metrics.broadcasts(runtime)) or NO_METRICS


_ANSWERS: dict[Query, Callable[[Runtime], Awaitable[Response]]] = {
    Query.INFO: _info,
    Query.HEALTHZ: _healthz,
    Query.READYZ: _readyz,
    Query.METRICS: _metrics,
}
