"""Calibration: what a run produced against the published figures, each within a tolerance.

A target names a figure the simulation *produces* — completed purchases, approved withdrawals and
their mean amounts, the busiest hour's share, the spread of each service over the hours — never
an input echoed back: a target on the attempted ticket would pass whatever the balances did to
the approvals. The targets are data: `data/calibration_targets.csv` (one row a target: `name`,
`value`, `unit`, `tolerance`, `label`, `source`) and `data/calibration_hourly.csv` (the share of a
day's completed requests in each local hour, per service, in per cent); data/README.md gives each
one's source and label.

A target passes when |simulated − published| ≤ tolerance + 3 × the sampling noise of the
simulated figure at the run's scale (a Poisson count, a binomial share, the standard error of a
mean; for an hourly NRMSE, the NRMSE that sampling alone leaves). So a small run is judged as
strictly as its size allows, and a national-size run by the tolerance alone.

The hourly error is PaySim's (`SummaryBuilder`): NRMSE = RMSE of the simulated hourly shares
against the target shares ÷ (max − min of the target shares).

`calibration_table(results)` returns one row a target:

| column | unit | meaning |
|---|---|---|
| `target` | | the target's name (below) |
| `unit` | | the unit of `simulated`, `published`, `tolerance` and `noise` |
| `simulated` | | the run's figure (per day figures ÷ the run's scale); NaN when the run had none |
| `published` | | the target value |
| `tolerance` | | the allowed distance, from the targets file |
| `noise` | | one standard error of `simulated` at the run's scale |
| `passed` | | \\|simulated − published\\| ≤ tolerance + 3 × noise |
| `label` | | the target's source label as data/README.md gives it |

Targets (names the targets file may use; the kinds of card transaction by `channel`: POS purchase
= `contactless`, `card_contactless`, `card_chip`; cash withdrawal = `atm`):

- `elkart_cards`: cards in the run's population ÷ scale;
- `card_transactions_per_day`, `pos_purchases_per_day`, `cash_withdrawals_per_day`: approved
  card-side transactions of that kind ÷ scale;
- `transfers_per_day`: completed P2P transfers and transfers to bank accounts in the app ÷ scale;
  `app_payments_per_day`: completed merchant QR payments, bills and top-ups ÷ scale;
- `pos_share`, `atm_share`: of the approved card-side transactions;
- `pos_ticket_mean_kgs`, `cash_withdrawal_mean_kgs`: mean amount of the approved ones, in KGS;
- `peak_hour_share`: the busiest local hour's share of the day's approved card-side transactions;
- `hourly_nrmse_<service>`: for each column of the hourly file (`pos_purchase`,
  `cash_withdrawal`, `transfer`, `app_payment`), the NRMSE of the completed requests' hourly shares.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from elcart_sim.analysis.results import Results
from elcart_sim.core.errors import ElcartSimError
from elcart_sim.scenario.loading import data_dir

__all__ = [
    "CalibrationError",
    "Target",
    "TARGET_COLUMNS",
    "HOURLY_SERVICES",
    "POS_CHANNELS",
    "ATM_CHANNELS",
    "LABELS",
    "MEASURES",
    "CALIBRATION_COLUMNS",
    "load_targets",
    "load_hourly",
    "calibration_table",
    "completed_by_hour",
    "nrmse",
    "NOISE_SE",
]

TARGET_COLUMNS = ("name", "value", "unit", "tolerance", "label", "source")
LABELS = ("published", "published?", "estimate", "estimate from published", "not found")
HOURLY_SERVICES = ("pos_purchase", "cash_withdrawal", "transfer", "app_payment")
POS_CHANNELS = ("contactless", "card_contactless", "card_chip")
ATM_CHANNELS = ("atm",)
TRANSFER_SERVICES = ("p2p", "account")
APP_PAYMENT_SERVICES = ("qr_payment", "bill", "topup")
CALIBRATION_COLUMNS = ["target", "unit", "simulated", "published", "tolerance", "noise", "passed", "label"]
NOISE_SE = 3.0
"""Standard errors of sampling noise allowed on top of a target's tolerance."""


class CalibrationError(ElcartSimError, ValueError):
    """A targets file that cannot be read: names the file, the row and the column."""

    def __init__(self, path: Path | str, problem: str, *, row: int | None = None, column: str | None = None):
        where = str(path) + (f", row {row}" if row is not None else "") + (f", column {column!r}" if column else "")
        super().__init__(f"{where}: {problem}")
        self.path, self.row, self.column = str(path), row, column


@dataclass(frozen=True)
class Target:
    name: str
    value: float
    unit: str
    tolerance: float
    label: str
    source: str


# -- the targets files ---------------------------------------------------------------------------


def _rows(path: Path, columns: tuple[str, ...] | None = None) -> tuple[list[str], list[dict[str, str]]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CalibrationError(path, f"cannot be read ({exc.strerror or exc})") from exc
    reader = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    header = list(reader.fieldnames or [])
    if columns is not None and tuple(header) != columns:
        raise CalibrationError(path, f"the header must be {','.join(columns)}, got {','.join(header) or 'nothing'}", row=1)
    return header, list(reader)


def _number(path: Path, row: int, column: str, text: str | None) -> float:
    try:
        value = float(text if text is not None else "")
    except ValueError:
        raise CalibrationError(path, f"must be a number, got {text!r}", row=row, column=column) from None
    if not math.isfinite(value):
        raise CalibrationError(path, f"must be a finite number, got {text!r}", row=row, column=column)
    return value


def load_targets(path: str | Path | None = None) -> list[Target]:
    """The targets of `path` (default: the bundled data/calibration_targets.csv), checked: a
    known name, once; numbers where numbers go; a tolerance ≥ 0; a known label. Rows are
    counted as a spreadsheet counts them, the header being row 1 (comment lines not counted)."""
    path = Path(path) if path is not None else data_dir() / "calibration_targets.csv"
    _, rows = _rows(path, TARGET_COLUMNS)
    targets: list[Target] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=2):
        if None in row or any(row[column] is None for column in TARGET_COLUMNS):
            raise CalibrationError(path, f"needs {len(TARGET_COLUMNS)} fields ({','.join(TARGET_COLUMNS)})", row=number)
        name = row["name"].strip()
        if name not in MEASURES and not (name.startswith("hourly_nrmse_") and name.removeprefix("hourly_nrmse_") in HOURLY_SERVICES):
            known = ", ".join([*MEASURES, *(f"hourly_nrmse_{s}" for s in HOURLY_SERVICES)])
            raise CalibrationError(path, f"unknown target {name!r}; known: {known}", row=number, column="name")
        if name in seen:
            raise CalibrationError(path, f"target {name!r} is given twice", row=number, column="name")
        seen.add(name)
        value = _number(path, number, "value", row["value"])
        tolerance = _number(path, number, "tolerance", row["tolerance"])
        if tolerance < 0:
            raise CalibrationError(path, f"must be >= 0, got {row['tolerance']!r}", row=number, column="tolerance")
        label = row["label"].strip()
        if label not in LABELS:
            raise CalibrationError(path, f"must be one of {', '.join(LABELS)}; got {label!r}", row=number, column="label")
        targets.append(Target(name, value, row["unit"].strip(), tolerance, label, row["source"].strip()))
    if not targets:
        raise CalibrationError(path, "has no targets")
    return targets


def load_hourly(path: str | Path | None = None) -> pd.DataFrame:
    """The target hourly shares in per cent (rows: local hours 0..23; columns: services) of
    `path` (default: data/calibration_hourly.csv), checked: hours 0..23 in order, known services,
    numbers ≥ 0, each column summing to 100 (± 0.5)."""
    path = Path(path) if path is not None else data_dir() / "calibration_hourly.csv"
    header, rows = _rows(path)
    if not header or header[0] != "hour":
        raise CalibrationError(path, f"the first column must be 'hour', got {header[0] if header else 'nothing'!r}", row=1)
    for column in header[1:]:
        if column not in HOURLY_SERVICES:
            raise CalibrationError(path, f"unknown service; known: {', '.join(HOURLY_SERVICES)}", row=1, column=column)
    if len(rows) != 24:
        raise CalibrationError(path, f"needs 24 rows, one for each local hour 0..23, got {len(rows)}")
    table: dict[str, list[float]] = {column: [] for column in header[1:]}
    for number, row in enumerate(rows, start=2):
        hour = _number(path, number, "hour", row.get("hour"))
        if hour != number - 2:
            raise CalibrationError(path, f"must be {number - 2} (hours 0..23 in order), got {row.get('hour')!r}", row=number, column="hour")
        for column in table:
            value = _number(path, number, column, row.get(column))
            if value < 0:
                raise CalibrationError(path, f"must be >= 0, got {row.get(column)!r}", row=number, column=column)
            table[column].append(value)
    for column, values in table.items():
        if abs(sum(values) - 100.0) > 0.5:
            raise CalibrationError(path, f"the shares must sum to 100 (per cent), got {sum(values):.2f}", column=column)
    return pd.DataFrame(table, index=pd.RangeIndex(24, name="hour"))


# -- what the run produced -----------------------------------------------------------------------


def _card_channels(results: Results) -> np.ndarray:
    tx = results.transactions
    if "channel" in tx.columns:
        return tx["channel"].astype(str).to_numpy()
    return np.full(len(tx), "contactless", dtype=object)  # before plastic cards: every card-side transaction is a tap


def _approved(results: Results, channels: tuple[str, ...] | None = None) -> pd.DataFrame:
    tx = results.transactions
    keep = (tx["outcome"].astype(str) == "approved").to_numpy().copy()
    if channels is not None:
        keep &= np.isin(_card_channels(results), channels)
    return tx[keep]


def _completed_transfers(results: Results, services: tuple[str, ...]) -> pd.DataFrame:
    transfers = results.transfers
    if not len(transfers):
        return transfers
    keep = (transfers["outcome"].astype(str) == "completed") & transfers["service"].astype(str).isin(services)
    return transfers[keep.to_numpy()]


def completed_by_hour(results: Results) -> pd.DataFrame:
    """Completed requests in each local hour (by request instant: tap, withdrawal or app request),
    per calibration service (`HOURLY_SERVICES`): 24 rows."""
    def hours(instants: pd.Series) -> np.ndarray:
        hour = (instants.to_numpy(dtype=float) // 3600.0).astype(int)
        return np.bincount(hour[(hour >= 0) & (hour < 24)], minlength=24)[:24]

    frames = {
        "pos_purchase": _approved(results, POS_CHANNELS)["tapped_at"],
        "cash_withdrawal": _approved(results, ATM_CHANNELS)["tapped_at"],
        "transfer": _completed_transfers(results, TRANSFER_SERVICES).get("requested_at", pd.Series(dtype=float)),
        "app_payment": _completed_transfers(results, APP_PAYMENT_SERVICES).get("requested_at", pd.Series(dtype=float)),
    }
    return pd.DataFrame({name: hours(instants) for name, instants in frames.items()}, index=pd.RangeIndex(24, name="hour"))


def nrmse(simulated_counts: np.ndarray, target_percent: np.ndarray) -> tuple[float, float]:
    """PaySim's NRMSE of the hourly shares of `simulated_counts` against `target_percent`, and
    the NRMSE that sampling alone leaves at this many requests (√(mean p(1−p)/n) ÷ range)."""
    n = float(simulated_counts.sum())
    target = np.asarray(target_percent, dtype=float) / 100.0
    spread = float(target.max() - target.min())
    if n == 0 or spread == 0:
        return float("nan"), float("nan")
    simulated = simulated_counts / n
    error = float(np.sqrt(np.mean((simulated - target) ** 2)) / spread)
    noise = float(np.sqrt(np.mean(target * (1 - target) / n)) / spread)
    return error, noise


Measure = Callable[[Results], tuple[float, float]]
"""(simulated figure, one standard error of it) from a run."""


def _per_day(count: int, scale: float) -> tuple[float, float]:
    return count / scale, math.sqrt(count) / scale


def _share(part: int, whole: int) -> tuple[float, float]:
    if whole == 0:
        return float("nan"), float("nan")
    p = part / whole
    return p, math.sqrt(p * (1 - p) / whole)


def _mean_kgs(amounts_tyiyn: pd.Series) -> tuple[float, float]:
    values = amounts_tyiyn.to_numpy(dtype=float) / 100.0
    if len(values) < 2:
        return (float(values.mean()) if len(values) else float("nan")), float("nan")
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(len(values)))


def _peak_hour_share(results: Results) -> tuple[float, float]:
    tapped = _approved(results)["tapped_at"].to_numpy(dtype=float)
    if not len(tapped):
        return float("nan"), float("nan")
    counts = np.bincount((tapped // 3600.0).astype(int))
    return _share(int(counts.max()), len(tapped))


def _scale(results: Results) -> float:
    return float(results.scenario.scale)


MEASURES: dict[str, Measure] = {
    "elkart_cards": lambda r: (r.population.get("cards", 0) / _scale(r), 0.0),
    "card_transactions_per_day": lambda r: _per_day(len(_approved(r)), _scale(r)),
    "pos_purchases_per_day": lambda r: _per_day(len(_approved(r, POS_CHANNELS)), _scale(r)),
    "cash_withdrawals_per_day": lambda r: _per_day(len(_approved(r, ATM_CHANNELS)), _scale(r)),
    "transfers_per_day": lambda r: _per_day(len(_completed_transfers(r, TRANSFER_SERVICES)), _scale(r)),
    "app_payments_per_day": lambda r: _per_day(len(_completed_transfers(r, APP_PAYMENT_SERVICES)), _scale(r)),
    "pos_share": lambda r: _share(len(_approved(r, POS_CHANNELS)), len(_approved(r, POS_CHANNELS + ATM_CHANNELS))),
    "atm_share": lambda r: _share(len(_approved(r, ATM_CHANNELS)), len(_approved(r, POS_CHANNELS + ATM_CHANNELS))),
    "pos_ticket_mean_kgs": lambda r: _mean_kgs(_approved(r, POS_CHANNELS)["amount_tyiyn"]),
    "cash_withdrawal_mean_kgs": lambda r: _mean_kgs(_approved(r, ATM_CHANNELS)["amount_tyiyn"]),
    "peak_hour_share": _peak_hour_share,
}


# -- the table ------------------------------------------------------------------------------------


def calibration_table(results: Results, targets: list[Target] | None = None, hourly: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row a target (`CALIBRATION_COLUMNS`, in the targets file's order): the run's figure,
    the published one, the tolerance, the sampling noise, and whether it passed."""
    targets = load_targets() if targets is None else targets
    needs_hourly = any(t.name.startswith("hourly_nrmse_") for t in targets)
    if needs_hourly and hourly is None:
        hourly = load_hourly()
    by_hour = completed_by_hour(results) if needs_hourly else None
    rows = []
    for target in targets:
        if target.name.startswith("hourly_nrmse_"):
            service = target.name.removeprefix("hourly_nrmse_")
            if service not in hourly.columns:
                raise CalibrationError("calibration_hourly.csv", f"has no column for target {target.name!r}", column=service)
            error, expected = nrmse(by_hour[service].to_numpy(), hourly[service].to_numpy())
            simulated, noise = error, expected
        else:
            simulated, noise = MEASURES[target.name](results)
        allowed = target.tolerance + NOISE_SE * (0.0 if math.isnan(noise) else noise)
        passed = not math.isnan(simulated) and abs(simulated - target.value) <= allowed
        rows.append(
            {"target": target.name, "unit": target.unit, "simulated": simulated, "published": target.value,
             "tolerance": target.tolerance, "noise": noise, "passed": bool(passed), "label": target.label}
        )  # fmt: skip
    return pd.DataFrame(rows, columns=CALIBRATION_COLUMNS)
