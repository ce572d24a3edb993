"""Queueing theory for one host: c identical servers, one FIFO queue, Poisson arrivals (M/M/c).

A host of the chain (acquirer, switch, an issuer bank) is a server pool: requests arrive at rate
λ (per second), each holds one of c servers for a service time of mean 1/μ seconds. With
exponential service this is the M/M/c queue and Erlang's C formula gives the exact steady state:

    offered load      a = λ/μ               (erlangs; busy servers on average)
    utilisation       ρ = λ/(cμ) = a/c      (must be < 1 for a steady state)
    P(wait > 0)       C(c, a)               (Erlang C)
    mean wait         W_q = C(c, a) / (cμ − λ)
    wait tail         P(W_q > t) = C(c, a) · exp(−(cμ − λ) t)

For service times that are not exponential (the model's lognormal hosts) the Allen–Cunneen
approximation scales the waiting times by (c_a² + c_s²)/2, the squared coefficients of variation
of inter-arrival and service times (c_a = 1 for Poisson arrivals). The validation suite compares
the simulation with the exact formulas; sizing uses the approximation only as a first guess that
simulation then confirms.

    >>> round(erlang_c(2, 1.0), 6)      # two servers, one erlang offered
    0.333333
    >>> mmc_mean_wait_s(0.5, 1.0, 1)    # M/M/1 at ρ = 0.5: ρ/(μ − λ)
    1.0

A support centre is the same queue with agents for servers (people/staffing.py): the share of
contacts answered within a target time (the service level, "80/20") and the average speed of
answer follow from the wait tail and the mean wait, and the fewest agents meeting a target is
the smallest c whose service level reaches it (`erlang_c_agents`). Callers who hang up make it
Erlang A (M/M/c+M, exponential patience): `erlang_a`, exact on the birth–death chain.

    >>> erlang_c_agents(10.0, 180.0, 20.0, 0.8)   # 200 calls an hour of 3 min, 80 % in 20 s
    14
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from elcart_sim.core.errors import ConfigurationError

__all__ = [
    "erlang_b",
    "erlang_c",
    "utilisation",
    "mmc_mean_wait_s",
    "mmc_wait_tail",
    "mmc_wait_quantile_s",
    "wait_quantile_s",
    "relaxation_time_s",
    "min_stable_servers",
    "erlang_c_service_level",
    "erlang_c_asa_s",
    "erlang_c_agents",
    "ErlangA",
    "erlang_a",
]


def _check(where: str, arrival_rate_per_s: float, service_rate_per_s: float, servers: int) -> None:
    if arrival_rate_per_s < 0:
        raise ConfigurationError(f"{where}: arrival_rate_per_s must be >= 0, got {arrival_rate_per_s}")
    if service_rate_per_s <= 0:
        raise ConfigurationError(f"{where}: service_rate_per_s must be > 0, got {service_rate_per_s}")
    if servers < 1:
        raise ConfigurationError(f"{where}: servers must be >= 1, got {servers}")


def erlang_b(servers: int, offered_load: float) -> float:
    """Erlang B: the probability that all `servers` are busy in a loss system offered `offered_load`
    erlangs. Computed by the stable recursion B(k) = a·B(k−1) / (k + a·B(k−1)), B(0) = 1."""
    if servers < 0:
        raise ConfigurationError(f"erlang_b: servers must be >= 0, got {servers}")
    if offered_load < 0:
        raise ConfigurationError(f"erlang_b: offered_load must be >= 0, got {offered_load}")
    b = 1.0
    for k in range(1, servers + 1):
        b = offered_load * b / (k + offered_load * b)
    return b


def erlang_c(servers: int, offered_load: float) -> float:
    """Erlang C: the probability that an arrival has to wait in M/M/c with `servers` servers
    offered `offered_load` = λ/μ erlangs; 1.0 when the queue is unstable (a ≥ c)."""
    if servers < 1:
        raise ConfigurationError(f"erlang_c: servers must be >= 1, got {servers}")
    if offered_load >= servers:
        return 1.0
    b = erlang_b(servers, offered_load)
    return servers * b / (servers - offered_load * (1.0 - b))


def utilisation(arrival_rate_per_s: float, service_rate_per_s: float, servers: int) -> float:
    """ρ = λ/(cμ): the share of time an average server is busy (≥ 1 means unstable)."""
    _check("utilisation", arrival_rate_per_s, service_rate_per_s, servers)
    return arrival_rate_per_s / (servers * service_rate_per_s)


def mmc_mean_wait_s(arrival_rate_per_s: float, service_rate_per_s: float, servers: int) -> float:
    """Mean time in the queue before service, W_q = C(c, a)/(cμ − λ); infinite when unstable."""
    _check("mmc_mean_wait_s", arrival_rate_per_s, service_rate_per_s, servers)
    headroom = servers * service_rate_per_s - arrival_rate_per_s
    if headroom <= 0:
        return math.inf
    return erlang_c(servers, arrival_rate_per_s / service_rate_per_s) / headroom


def mmc_wait_tail(arrival_rate_per_s: float, service_rate_per_s: float, servers: int, t_s: float) -> float:
    """P(W_q > t) = C(c, a)·exp(−(cμ − λ)t) for t ≥ 0; 1.0 when unstable."""
    _check("mmc_wait_tail", arrival_rate_per_s, service_rate_per_s, servers)
    headroom = servers * service_rate_per_s - arrival_rate_per_s
    if headroom <= 0:
        return 1.0
    return erlang_c(servers, arrival_rate_per_s / service_rate_per_s) * math.exp(-headroom * max(t_s, 0.0))


def mmc_wait_quantile_s(arrival_rate_per_s: float, service_rate_per_s: float, servers: int, q: float) -> float:
    """The q-quantile of the M/M/c waiting time (0 when at least a share q never waits)."""
    return wait_quantile_s(arrival_rate_per_s, 1.0 / service_rate_per_s, servers, q, service_cv=1.0)


def wait_quantile_s(
    arrival_rate_per_s: float, mean_service_s: float, servers: int, q: float, *, service_cv: float = 1.0, arrival_cv: float = 1.0
) -> float:
    """The q-quantile of the waiting time at a host: exact for M/M/c (both cv = 1), Allen–Cunneen
    otherwise (the conditional wait stays exponential, its mean scaled by (c_a² + c_s²)/2).

    >>> round(wait_quantile_s(0.5, 1.0, 1, 0.99), 4)   # M/M/1, ρ = 0.5: ln(0.5/0.01)/0.5
    7.824
    """
    if not 0.0 < q < 1.0:
        raise ConfigurationError(f"wait_quantile_s: q must be between 0 and 1 (exclusive), got {q}")
    if mean_service_s <= 0:
        return 0.0
    service_rate = 1.0 / mean_service_s
    _check("wait_quantile_s", arrival_rate_per_s, service_rate, servers)
    headroom = servers * service_rate - arrival_rate_per_s
    if headroom <= 0:
        return math.inf
    waiting = erlang_c(servers, arrival_rate_per_s * mean_service_s)
    if waiting <= 1.0 - q:
        return 0.0
    scale = (arrival_cv**2 + service_cv**2) / 2.0
    return scale * math.log(waiting / (1.0 - q)) / headroom


def relaxation_time_s(arrival_rate_per_s: float, mean_service_s: float, servers: int) -> float:
    """How long an empty host takes to forget its start: 1/(cμ(1 − √ρ)²), exact for M/M/1 and the
    usual rule of thumb for M/M/c. Warm-up periods are a few relaxation times."""
    if mean_service_s <= 0 or arrival_rate_per_s <= 0:
        return 0.0
    rho = arrival_rate_per_s * mean_service_s / servers
    if rho >= 1.0:
        return math.inf
    return mean_service_s / (servers * (1.0 - math.sqrt(rho)) ** 2)


def min_stable_servers(arrival_rate_per_s: float, mean_service_s: float, max_utilisation: float = 1.0) -> int:
    """The fewest servers with utilisation strictly below `max_utilisation` (at least one)."""
    if not 0.0 < max_utilisation <= 1.0:
        raise ConfigurationError(f"min_stable_servers: max_utilisation must be in (0, 1], got {max_utilisation}")
    load = arrival_rate_per_s * mean_service_s
    return max(1, math.floor(load / max_utilisation) + 1)


def erlang_c_service_level(servers: int, offered_load: float, mean_service_s: float, target_s: float) -> float:
    """The share of arrivals that wait at most ``target_s``: 1 − C(c, a)·exp(−(c − a)·t/h), with h the
    mean service time; 0.0 when unstable (a ≥ c)."""
    if mean_service_s <= 0:
        raise ConfigurationError(f"erlang_c_service_level: mean_service_s must be > 0, got {mean_service_s}")
    if offered_load >= servers:
        return 0.0
    return 1.0 - erlang_c(servers, offered_load) * math.exp(-(servers - offered_load) * max(target_s, 0.0) / mean_service_s)


def erlang_c_asa_s(servers: int, offered_load: float, mean_service_s: float) -> float:
    """The average speed of answer (mean wait over every arrival), C(c, a)·h/(c − a); infinite when unstable."""
    if offered_load >= servers:
        return math.inf
    return erlang_c(servers, offered_load) * mean_service_s / (servers - offered_load)


def erlang_c_agents(
    offered_load: float, mean_service_s: float, target_s: float, service_level: float, *, max_occupancy: float = 1.0
) -> int:
    """The fewest agents whose Erlang C service level (share waiting at most ``target_s``) reaches
    ``service_level`` and whose occupancy a/c is at most ``max_occupancy`` (at least one agent)."""
    if not 0.0 < service_level < 1.0:
        raise ConfigurationError(f"erlang_c_agents: service_level must be between 0 and 1 (exclusive), got {service_level}")
    if not 0.0 < max_occupancy <= 1.0:
        raise ConfigurationError(f"erlang_c_agents: max_occupancy must be in (0, 1], got {max_occupancy}")
    if offered_load <= 0:
        return 1
    agents = max(1, math.ceil(offered_load / max_occupancy - 1e-12), math.floor(offered_load) + 1)
    while erlang_c_service_level(agents, offered_load, mean_service_s, target_s) < service_level:
        agents += 1
    return agents


@dataclass(frozen=True)
class ErlangA:
    """M/M/c+M in steady state: the share of arrivals that wait, that hang up before an agent
    answers, and the mean wait over every arrival (seconds)."""

    p_wait: float
    p_abandon: float
    mean_wait_s: float


def erlang_a(servers: int, arrival_rate_per_s: float, mean_service_s: float, mean_patience_s: float, *, tail: int = 2_000) -> ErlangA:
    """Erlang A: c agents, Poisson arrivals, exponential service and patience (a caller hangs up
    after an exponential time of mean ``mean_patience_s`` if not answered). Exact on the
    birth–death chain of the number in the system (birth λ, death min(n, c)·μ + max(n − c, 0)·θ),
    truncated ``tail`` states above c; PASTA gives P(wait) = P(N ≥ c), and P(abandon) = θ·E[queue]/λ.

    >>> a = erlang_a(14, 10 / 180, 180.0, 180.0)
    >>> round(a.p_wait, 4), round(a.p_abandon, 4)
    (0.1355, 0.0187)
    """
    _check("erlang_a", arrival_rate_per_s, 1.0 / mean_service_s if mean_service_s > 0 else 0.0, servers)
    if mean_patience_s <= 0:
        raise ConfigurationError(f"erlang_a: mean_patience_s must be > 0, got {mean_patience_s}")
    lam, mu, theta = arrival_rate_per_s, 1.0 / mean_service_s, 1.0 / mean_patience_s
    weights = [1.0]
    for n in range(1, servers + tail + 1):
        weights.append(weights[-1] * lam / (min(n, servers) * mu + max(n - servers, 0) * theta))
    total = sum(weights)
    p_wait = sum(weights[servers:]) / total
    queue = sum((n - servers) * w for n, w in enumerate(weights) if n > servers) / total
    return ErlangA(p_wait=p_wait, p_abandon=theta * queue / lam if lam > 0 else 0.0, mean_wait_s=queue / lam if lam > 0 else 0.0)
