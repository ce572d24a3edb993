"""Detection of injected attacks, read off a run's transactions (the ground truth is in the records).

Every attempt a fraud scenario injected carries its kind in ``attack``; ``stopped_by`` names the
modelled security check that stopped it, if one did. An attempt is *detected* when a check
stopped it, *missed* when it was approved, and *otherwise failed* when it ended for a reason no
security check gave (a declined balance, a timeout). Genuine payments a check stopped are the
price of the checks (an offline phone out of keys, a suspended token): :func:`checks_table`
shows them beside the attacks.

    >>> import pandas as pd
    >>> tx = pd.DataFrame({"attack": ["", "relay", "relay"], "stopped_by": ["", "device_cvm", ""],
    ...                    "outcome": ["approved", "terminated", "approved"]})
    >>> table = detection_table(tx)
    >>> int(table.loc["relay", "attempts"]), int(table.loc["relay", "detected"]), float(table.loc["relay", "detection_rate"])
    (2, 1, 0.5)
"""

from __future__ import annotations

import pandas as pd

from elcart_sim.scenario import ATTACK_KINDS

__all__ = ["detection_table", "checks_table"]

_COLUMNS = ["attempts", "detected", "missed", "otherwise_failed", "detection_rate"]


def detection_table(transactions: pd.DataFrame) -> pd.DataFrame:
    """One row per attack kind injected: attempts, detected (a check stopped it), missed
    (approved), otherwise failed, and the detection rate (detected / attempts)."""
    attack = transactions["attack"].astype(str)
    stopped = transactions["stopped_by"].astype(str) != ""
    approved = transactions["outcome"].astype(str) == "approved"
    rows = []
    kinds = [k for k in ATTACK_KINDS if (attack == k).any()] + sorted(set(attack) - set(ATTACK_KINDS) - {""})
    for kind in kinds:
        mine = attack == kind
        attempts = int(mine.sum())
        detected = int((mine & stopped).sum())
        missed = int((mine & approved).sum())
        rows.append([attempts, detected, missed, attempts - detected - missed, detected / attempts])
    frame = pd.DataFrame(rows, index=pd.Index(kinds, name="attack"), columns=_COLUMNS)
    return frame.astype({c: "int64" for c in _COLUMNS[:-1]})


def checks_table(transactions: pd.DataFrame) -> pd.DataFrame:
    """Transactions stopped per check (columns) for each attack kind and for genuine payments
    (rows); a column per check that stopped anything, and 'not stopped'."""
    attack = transactions["attack"].astype(str).replace("", "(genuine)")
    check = transactions["stopped_by"].astype(str).replace("", "not stopped")
    table = pd.crosstab(attack, check).rename_axis(index="attack", columns="stopped_by")
    order = [k for k in ATTACK_KINDS if k in table.index] + [k for k in table.index if k not in ATTACK_KINDS]
    columns = sorted(c for c in table.columns if c != "not stopped") + (["not stopped"] if "not stopped" in table.columns else [])
    return table.loc[order, columns]
