"""Execution (issue 3): run routed tasks on the providers, paced, within budget, with recovery.

    pacing.RatePacer        shared sliding-window admission per provider (requests and tokens)
    circuit.CircuitBreaker  outage circuits per provider, shared across processes
    outages.Outages         probes that close circuits; outage and recovery audit lines
    holds.ProviderHolds     retry-after and quota holds, shared across processes
    attempts.ProviderRun    one task on one provider: reserve, pace, call, retry
    failures.after_failure  what a failed call records about its provider (holds, outage circuit)
    executor.Executor       one task along its chain: fall back, park, probe
    dispatch.dispatch       route + lease + execute + audit one task
    batch.run_batch         route, group and execute many tasks (design 6.2)

Import the submodules directly; this package imports nothing so that routing can use ``state``
without loading the rest.
"""
