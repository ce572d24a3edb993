"""Sizing: how many servers each host needs for a latency target at the peak, and how many years
of growth today's configuration absorbs.

**The target.** The 99th percentile of tap-to-result latency (`tap_to_result_s`: phone touches
the terminal → the terminal shows its result), over the taps of the scenario's busiest hour,
estimated as the mean over replications of each replication's p99 (with its 95 % interval).
On a day with the app's services every service is held to the same target, on its
request-to-result latency (the sender confirms → the final state). A configuration *meets* the
target when every service's mean p99 is at most the target.

**The peak.** The busiest hour of the scenario's day (`demand.hourly_profile` with every volume
factor: weekday, salary day, growth, channel share; `elcart_sim.world.demand.hourly_rates_per_s`) is
simulated alone, at its constant rate, for a warm-up plus a window long enough for `taps` taps
(`peak_window`). In the model the rate is constant within an hour, so this is that hour.

**The servers.** The sizes the scenario sets for the hosts the model registers for its day
(capacity/hosts.py): `acquirer.servers`, `switch.servers` and `issuer.servers` (every issuing
bank's host has that many; the busiest bank decides), and on a day with the app's services
`services.directory.servers`, `services.bills.gateway.servers` (every biller gateway; the busiest
decides), `services.account_transfers.operator.servers`. The answer is *coordinate-wise
minimal*: it meets the target, and one server fewer at any single host (the others as sized)
does not.

**The method.** Analytic first, simulation to confirm:

1. A pilot simulation at the peak with ample servers everywhere gives the latency each request
   would have without any queueing (its latency minus its waits at the hosts); each host's
   arrival rate at the peak is the taps' (the issuer banks' shares of the taps come from the
   population) plus the app channels' rates × their visit ratios (capacity/visits.py).
2. An analytic predictor adds to each pilot request a waiting time at each host it visits, drawn
   from the M/G/c waiting-time distribution (Erlang C; Allen–Cunneen for non-exponential
   service: `elcart_sim.capacity.queueing.wait_quantile_s`), and takes the p99. The first guess
   is the coordinate-wise minimal server vector under this predictor (the worst service's p99).
3. Simulation of the guess; while it misses, the host with the longest p99 wait gets a server;
   then each host in turn loses servers while the target holds.

**Growth.** Year y multiplies the demand by (1 + g)^y (the scenario's `demand.growth_per_year`,
or the `growth_per_year` argument). The predictor gives the first year that breaks the target
on today's servers; simulation confirms the last year that meets it and the next that fails,
walking year by year from the guess.

The pieces, one concern per module: `hosts` (the sized hosts and their loads), `peak` (the peak
window), `predictor` (the analytic predictor), `evaluations` (simulated configurations), `growth`
(years absorbed) and `sizing_report` (the answers); this module holds the search, `size`.
"""

from __future__ import annotations

import pandas as pd

from elcart_sim.capacity.evaluations import Evaluation, Evaluator, worst_host
from elcart_sim.capacity.executors import Executor
from elcart_sim.capacity.growth import years_of_growth
from elcart_sim.capacity.hosts import configured_servers, host_loads
from elcart_sim.capacity.peak import peak_window
from elcart_sim.capacity.predictor import Predictor, analytic_guess, pilot_predictor
from elcart_sim.capacity.queueing import min_stable_servers
from elcart_sim.capacity.sizing_report import SizingReport
from elcart_sim.core.errors import CapacityError
from elcart_sim.scenario import Scenario

__all__ = ["size"]


def _confirm(
    evaluate: Evaluator, predictor: Predictor, guess: dict[str, int], max_steps: int
) -> tuple[dict[str, int], Evaluation, bool]:
    """Simulation confirms the analytic guess: while it misses, the host with the longest p99 wait
    gets a server (none if no host queues: servers cannot help then); then each host in turn loses servers while the target holds, within
    `max_steps` simulated steps. Returns the servers, their evaluation, and whether one server
    fewer at any single host was simulated and misses (or is unstable)."""
    minimal = False
    servers = dict(guess)
    result = evaluate(servers)
    steps = 0
    while not result.meets and steps < max_steps:
        worst = worst_host(result)
        if not result.p99_wait_s[worst] > 0:
            break  # no host queues: the miss is a latency no server shortens (a biller that never answers)
        servers[worst] += 1
        result = evaluate(servers)
        steps += 1
    if result.meets:
        changed = True
        while changed and steps < max_steps:
            changed = False
            for host in predictor.hosts:
                if servers[host] <= 1:
                    continue
                trial = dict(servers, **{host: servers[host] - 1})
                if not predictor.stable(trial):
                    continue
                attempt = evaluate(trial)
                steps += 1
                if attempt.meets:
                    servers, result, changed = trial, attempt, True
        minimal = not changed
    return servers, result, minimal


def size(
    scenario: Scenario,
    target_p99_s: float,
    *,
    growth_per_year: float | None = None,
    growth: bool = True,
    max_years: int = 50,
    taps: int = 5_000,
    replications: int = 3,
    max_steps: int = 20,
    executor: Executor | None = None,
    progress: bool = False,
) -> SizingReport:
    """Size the servers of every host of the scenario's day (the tap's chain, and the app's
    services' hosts) for `target_p99_s` at the scenario's peak, name the bottleneck, and (with
    `growth`) count the years of growth today's servers absorb.

    `growth_per_year` overrides the scenario's `demand.growth_per_year`. Each simulated
    configuration runs `replications` replications of about `taps` peak taps each on `executor`
    (serially if None). `max_steps` bounds the simulated search steps. See the module docstring
    for the definitions and the method.
    """
    if target_p99_s <= 0:
        raise CapacityError(f"target p99 must be > 0 s, got {target_p99_s}")
    if replications < 2:
        raise CapacityError(f"sizing needs >= 2 replications for an interval, got {replications}")
    g = scenario.demand.growth_per_year if growth_per_year is None else growth_per_year
    if g <= -1:
        raise CapacityError(f"growth per year must be > -1, got {g}")
    current = configured_servers(scenario)
    window = peak_window(scenario, growth_per_year=g, taps=taps)
    loads = host_loads(window.scenario, rate_per_s=window.rate_per_s)
    ample = {
        host: max(current[host], *(min_stable_servers(load.arrival_rate_per_s, load.mean_service_s, 0.3) + 2
                                   for load in loads if load.host == host))
        for host in current
    }
    predictor, floor_p99 = pilot_predictor(window, ample)
    evaluate = Evaluator(scenario, target_p99_s, g, taps, replications, predictor, executor, progress)
    guess = analytic_guess(predictor, target_p99_s)
    today = evaluate(current)

    sized_servers, sized, minimal = None, None, False
    feasible = guess is not None
    if feasible:
        sized_servers, sized, minimal = _confirm(evaluate, predictor, guess, max_steps)

    by_host = {}
    for load in loads:
        kept = by_host.get(load.host)
        if kept is None or load.utilisation > kept.utilisation:
            by_host[load.host] = load
    bottleneck = max(by_host.values(), key=lambda load: load.utilisation).component
    pools = {host: sum(load.host == host for load in loads) for host in current}
    rate_column = "taps/s at peak" if predictor.services == ["tap"] else "messages/s at peak"
    host_rows = []
    for host in current:
        load = by_host[host]
        busiest = f" (busiest: {load.component.split(':', 1)[1]})" if pools[host] > 1 else ""
        host_rows.append(
            {
                "host": f"{host}{busiest}",
                "servers now": current[host],
                rate_column: load.arrival_rate_per_s,
                "mean service (s)": load.mean_service_s,
                "utilisation now": load.utilisation,
                "p99 wait now (s)": today.p99_wait_s[host],
                "analytic guess": guess[host] if guess else "–",
                "sized": sized_servers[host] if sized_servers else "–",
            }
        )

    growth_answer = None
    if growth:
        growth_answer = years_of_growth(evaluate, predictor, current, target_p99_s, g, max_years)

    evaluations = pd.DataFrame([e.row() for e in evaluate.done.values()])
    return SizingReport(
        scenario=scenario.name,
        target_p99_s=target_p99_s,
        peak_hour=window.peak_hour,
        peak_rate_per_s=window.rate_per_s,
        floor_p99_s=floor_p99,
        feasible=feasible,
        current_servers=current,
        analytic_servers=guess,
        sized_servers=sized_servers,
        sized_minimal=minimal,
        current=today,
        sized=sized,
        bottleneck=bottleneck,
        hosts=pd.DataFrame(host_rows),
        growth=growth_answer,
        evaluations=evaluations,
    )
