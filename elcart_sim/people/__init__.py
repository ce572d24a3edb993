"""The people around the system: the road into ELKART Pay, the contacts its failures bring, and
the 24/7 support centre that answers them.

| module | what it is |
|---|---|
| `onboarding` | the funnel, pure: installs by date, each step's failures and drop-offs, wallets (adoption) by date |
| `contacts` | failures become contacts: from the funnel, from a run's records, from an outage; by cause, channel and hour |
| `support_centre` | the centre in SimPy: agents in shifts, a queue per channel with abandonment, service level and speed of answer by hour |
| `staffing` | agents per shift by Erlang C and by the simulation, side by side, with the simulation's confidence interval |
| `plots` | the funnel, the contacts by hour, the queue by hour |

The scenario's sections are `onboarding:` and `support:` (scenario/people.py); the queueing
formulas are in capacity/queueing.py.
"""
