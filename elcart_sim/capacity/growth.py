"""Growth: how many whole years of demand growth today's servers absorb at the peak.

Year y multiplies the demand by (1 + g)^y (the scenario's `demand.growth_per_year`, or the
`growth_per_year` argument of `size`). The predictor gives the last year that meets the target on
today's servers; simulation confirms the last year that meets it and the next that fails,
walking year by year from the guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from elcart_sim.capacity.evaluations import Evaluation, Evaluator, worst_host
from elcart_sim.capacity.predictor import Predictor, analytic_years

__all__ = ["GrowthAnswer", "years_of_growth"]


@dataclass
class GrowthAnswer:
    """How many whole years of growth today's servers absorb at the peak.

    `years_absorbed`: the last year that meets the target in simulation (0: only this year; None:
    not even this year). `breaks_in_year`: the first simulated year that misses it (None if none
    within `max_years`). `first_to_break`: the host with the longest p99 wait in that year.
    """

    growth_per_year: float
    analytic_years: int | None
    years_absorbed: int | None
    breaks_in_year: int | None
    first_to_break: str | None
    max_years: int
    evaluations: list[Evaluation]


def years_of_growth(
    evaluate: Evaluator, predictor: Predictor, current: dict[str, int], target_p99_s: float, g: float, max_years: int
) -> GrowthAnswer:
    """Walk from the predictor's year to the last simulated year on `current` servers that meets
    `target_p99_s` and the first that misses it, at growth `g` per year, up to `max_years`."""
    analytic = analytic_years(predictor, current, target_p99_s, g, max_years)
    year = 0 if analytic is None else analytic
    tried: list[Evaluation] = []
    result = evaluate(current, float(year))
    tried.append(result)
    if result.meets:
        while year < max_years:
            following = evaluate(current, float(year + 1))
            tried.append(following)
            if not following.meets:
                break
            year += 1
        absorbed = year
        breaks = year + 1 if year < max_years else None
    else:
        while year > 0:
            year -= 1
            previous = evaluate(current, float(year))
            tried.append(previous)
            if previous.meets:
                break
        absorbed = year if tried[-1].meets else None
        breaks = (year + 1) if absorbed is not None else 0
    first = None
    if breaks is not None:
        broken = evaluate(current, float(breaks))
        first = worst_host(broken)
    return GrowthAnswer(g, analytic, absorbed, breaks, first, max_years, tried)
