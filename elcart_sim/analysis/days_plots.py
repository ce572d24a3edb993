"""The plot of a multi-day run's days (`analysis.days`), made without pyplot like every plot in
`analysis.plots`, which offers it as `plots.days_by_service`."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from elcart_sim.analysis.days import SERVICE_COLUMNS

__all__ = ["days_by_service"]


def days_by_service(days: pd.DataFrame) -> Figure:
    """A multi-day run's days (`analysis.days.days_table`): the transactions of each day stacked
    by service, and the share approved each day on the right-hand axis."""
    fig = Figure(figsize=(8, 3.6), layout="constrained")
    ax = fig.subplots()
    x = np.arange(len(days))
    bottom = np.zeros(len(days))
    for name in SERVICE_COLUMNS:
        counts = days[name].to_numpy(dtype=float)
        if counts.any():
            ax.bar(x, counts, bottom=bottom, label=name, width=0.8)
            bottom += counts
    ax.set_xticks(x, [f"{date}\n{weekday} {kind}" for date, weekday, kind in zip(days["date"], days["weekday"], days["day_kind"])],
                  fontsize=7)
    ax.set_ylabel("transactions per day")
    ax.set_ylim(0, 1.4 * max(bottom.max(), 1.0))  # room for the legends above the bars
    ax.legend(fontsize=7, ncols=3, loc="upper left")
    share = ax.twinx()
    share.plot(x, 100 * days["approved_share"].to_numpy(dtype=float), "o-", color="black", label="approved")
    share.set_ylim(0, 140)
    share.set_yticks(range(0, 101, 20))
    share.set_ylabel("approved (%)")
    share.legend(fontsize=7, loc="upper right")
    ax.set_title("The days by service, and the share approved")
    return fig
