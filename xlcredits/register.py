"""The credits register as a table: every formula column of the workbook, computed by the core.

The same numbers Excel shows, for the command line and reports.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from . import credits

__all__ = ["evaluate", "position", "severity"]

def severity(alert: str) -> float:
    """The rank of an alert state, most severe first, whatever thresholds made it:
    EXPIRED, LAPSE RISK, then consumption thresholds from the highest, then OK ("").

    >>> sorted(["OK", "50%", "EXPIRED", "90%", "LAPSE RISK", "60%"], key=severity)
    ['EXPIRED', 'LAPSE RISK', '90%', '60%', '50%', 'OK']
    """
    if alert in credits.ALERTS:
        return credits.ALERTS.index(alert)
    if isinstance(alert, str) and alert.endswith("%"):
        try:
            return len(credits.ALERTS) + 1 - float(alert[:-1]) / 1000
        except ValueError:
            pass
    return len(credits.ALERTS) + 2


def evaluate(entries: list[dict], as_of: date | None = None,
             rates: dict | None = None) -> pd.DataFrame:
    """Register entries (column key -> value) with remaining, lapse, value at risk and alert,
    at the alert thresholds of ``rates`` (rate card key -> value, as a workbook's Rates
    sheet overrides them) or the rate card's.

    Entries without a contracted balance are left out, as the workbook leaves
    their formula cells blank.
    """
    df = pd.DataFrame([e for e in entries if e.get("balance") is not None])
    if df.empty:
        return df
    planned, grace = (np.array([np.nan if v is None or pd.isna(v) else v
                                for v in df.get(key, [None] * len(df))], dtype=float)
                      for key in ("planned", "grace_days"))
    args = (df["balance"].astype(float).to_numpy(), df["consumed"].fillna(0).astype(float)
            .to_numpy(), df["start"].to_numpy(), df["expiry"].to_numpy(), as_of)
    monthly = np.where(np.isnan(planned), None, planned)
    grace = np.nan_to_num(grace)  # blank: no grace
    df["remaining"] = credits.credit_remaining(args[0], args[1])
    df["lapse"] = credits.credit_lapse(*args, monthly, grace)
    df["value_at_risk"] = df["lapse"] * df["unit_value"].fillna(0).astype(float)
    rates = rates or {}
    df["alert"] = credits.credit_alert(
        *args, monthly, rates.get("credits.lapse_alert"),
        *(rates.get(f"credits.alert_{name}") for name in ("review", "reforecast", "escalate")),
        grace_days=grace)
    return df


def position(df: pd.DataFrame, rates: dict | None = None) -> str:
    """A short text summary of a register's credit position; ``rates`` (rate card key ->
    value) are the thresholds the workbook's Rates sheet overrides, if any."""
    if df.empty:
        return "The register is empty."
    value = (df["balance"] * df["unit_value"].fillna(0)).sum()
    at_risk = df["value_at_risk"].sum()
    rates = rates or {}
    states = credits.alert_states(*(rates.get(f"credits.alert_{name}")
                                    for name in ("review", "reforecast", "escalate")))
    counts = df["alert"].replace("", "OK").value_counts()
    lines = [f"{len(df)} entitlements worth ${value:,.0f}; ${at_risk:,.0f} projected to "
             f"lapse unused ({at_risk / value:.0%})." if value else
             f"{len(df)} entitlements.",
             "Alerts: " + ", ".join(f"{state} {counts[state]}" for state in
                                    sorted(set(states) | {"OK"}, key=severity)
                                    if state in counts)]
    top = df[df["value_at_risk"] > 0].sort_values("value_at_risk", ascending=False).head(3)
    for _, r in top.iterrows():
        lines.append(f"  {r['id']}: {r['credit_type']}, ${r['value_at_risk']:,.0f} at risk, "
                     f"expires {r['expiry']:%Y-%m-%d} ({r['alert'] or 'OK'})")
    return "\n".join(lines)
