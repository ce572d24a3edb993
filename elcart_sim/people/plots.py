"""Plots of the road in and the support centre. Each function returns a Figure, made without
pyplot (as analysis/plots.py): a notebook shows it once, a script saves it."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from elcart_sim.scenario.choices import CONTACT_CAUSES
from elcart_sim.scenario.people import SupportSpec

__all__ = ["funnel", "adoption", "contacts_by_hour", "queue_by_hour"]


def funnel(table: pd.DataFrame, title: str = "The road into ELKART Pay") -> Figure:
    """The funnel table (Funnel.table) as horizontal bars: each step's people passing, with those
    failing and dropping off stacked after them, first step at the top."""
    fig = Figure(figsize=(8, 3.6))
    ax = fig.add_subplot()
    steps = table["step"].tolist()[::-1]
    y = np.arange(len(steps))
    passed, failed, dropped = (table[c].to_numpy()[::-1] for c in ("passed", "failed", "dropped"))
    ax.barh(y, passed, color="tab:green", label="passed")
    ax.barh(y, failed, left=passed, color="tab:red", label="failed")
    ax.barh(y, dropped, left=passed + failed, color="tab:orange", label="dropped off")
    for i, (p, entered) in enumerate(zip(passed, table["entered"].to_numpy()[::-1])):
        ax.text(entered, i, f" {p / entered:.0%}" if entered else "", va="center", fontsize=8)
    ax.set_yticks(y, steps)
    ax.set_xlabel("people (expected)")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def adoption(frame: pd.DataFrame, title: str = "Wallets from the funnel") -> Figure:
    """Funnel.adoption: installs and new wallets a day (bars), wallets so far (line, right axis)."""
    fig = Figure(figsize=(8, 3.4))
    ax = fig.add_subplot()
    dates = pd.to_datetime(frame["date"])
    ax.bar(dates, frame["installs"], color="tab:gray", alpha=0.5, label="installs a day")
    ax.bar(dates, frame["new_wallets"], color="tab:green", label="new wallets a day")
    ax.set_ylabel("people a day")
    right = ax.twinx()
    right.plot(dates, frame["adoption"], color="tab:blue", label="wallets so far")
    right.set_ylabel("wallets")
    ax.set_title(title)
    ax.legend(fontsize=8, loc="upper left")
    right.legend(fontsize=8, loc="upper right")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


def contacts_by_hour(table: pd.DataFrame, title: str = "Contacts by cause") -> Figure:
    """A contact table (people/contacts.CONTACT_COLUMNS): contacts per local hour, stacked by
    cause, both channels together."""
    fig = Figure(figsize=(8, 3.6))
    ax = fig.add_subplot()
    hours = np.arange(24)
    bottom = np.zeros(24)
    for cause in CONTACT_CAUSES:
        rows = table[table["cause"] == cause]
        if not len(rows):
            continue
        counts = rows.groupby("hour")["contacts"].sum().reindex(hours, fill_value=0.0).to_numpy()
        ax.bar(hours, counts, bottom=bottom, label=cause, width=0.85)
        bottom += counts
    ax.set_xlabel("local hour")
    ax.set_ylabel("contacts per hour")
    ax.set_xticks(range(0, 24, 3))
    ax.set_title(title)
    ax.legend(fontsize=7, ncols=2)
    fig.tight_layout()
    return fig


def queue_by_hour(by_hour: pd.DataFrame | dict[str, pd.DataFrame], support: SupportSpec, channel: str = "phone",
                  title: str = "") -> Figure:
    """support_centre.service_by_hour for one channel: the service level by hour against the
    target (left) and the average speed of answer (right); a dict of such tables (label → table)
    draws one line each, e.g. an ordinary day beside an outage day."""
    tables = by_hour if isinstance(by_hour, dict) else {"": by_hour}
    spec = support.channel(channel)
    fig = Figure(figsize=(9, 3.4))
    level, speed = fig.subplots(1, 2)
    for label, table in tables.items():
        rows = table[table["channel"] == channel]
        level.plot(rows["hour"], rows["service_level"], marker=".", label=label or None)
        speed.plot(rows["hour"], rows["asa_s"], marker=".", label=label or None)
    level.axhline(spec.service_level, color="tab:red", linestyle="--", linewidth=1, label=f"target {spec.service_level:.0%} in {spec.target_s:g} s")
    level.set_ylim(0, 1.02)
    level.set_ylabel("service level")
    speed.set_ylabel("average speed of answer (s)")
    for ax in (level, speed):
        ax.set_xlabel("local hour")
        ax.set_xticks(range(0, 24, 3))
    level.legend(fontsize=7)
    if len(tables) > 1:
        speed.legend(fontsize=7)
    fig.suptitle(title or f"The {channel} queue by hour")
    fig.tight_layout()
    return fig
