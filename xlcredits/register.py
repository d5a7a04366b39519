"""The credits register as a table: every formula column of the workbook, computed by the core.

The same numbers Excel shows, for the command line and reports.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from . import credits

__all__ = ["SEVERITY", "evaluate", "position"]

# Alert states, most severe first (credits.credit_alert gives them; "" is shown as OK)
SEVERITY = (*credits.ALERTS, "90%", "75%", "50%", "OK")


def evaluate(entries: list[dict], as_of: date | None = None) -> pd.DataFrame:
    """Register entries (column key -> value) with remaining, lapse, value at risk and alert.

    Entries without a contracted balance are left out, as the workbook leaves
    their formula cells blank.
    """
    df = pd.DataFrame([e for e in entries if e.get("balance") is not None])
    if df.empty:
        return df
    planned = np.array([np.nan if v is None or pd.isna(v) else v
                        for v in df.get("planned", [None] * len(df))], dtype=float)
    args = (df["balance"].astype(float).to_numpy(), df["consumed"].fillna(0).astype(float)
            .to_numpy(), df["start"].to_numpy(), df["expiry"].to_numpy(), as_of)
    monthly = np.where(np.isnan(planned), None, planned)
    df["remaining"] = credits.credit_remaining(args[0], args[1])
    df["lapse"] = credits.credit_lapse(*args, monthly)
    df["value_at_risk"] = df["lapse"] * df["unit_value"].fillna(0).astype(float)
    df["alert"] = credits.credit_alert(*args, monthly)
    return df


def position(df: pd.DataFrame) -> str:
    """A short text summary of a register's credit position."""
    if df.empty:
        return "The register is empty."
    value = (df["balance"] * df["unit_value"].fillna(0)).sum()
    at_risk = df["value_at_risk"].sum()
    counts = df["alert"].replace("", "OK").value_counts()
    lines = [f"{len(df)} entitlements worth ${value:,.0f}; ${at_risk:,.0f} projected to "
             f"lapse unused ({at_risk / value:.0%})." if value else
             f"{len(df)} entitlements.",
             "Alerts: " + ", ".join(f"{state} {counts[state]}" for state in
                                    SEVERITY if state in counts)]
    top = df[df["value_at_risk"] > 0].sort_values("value_at_risk", ascending=False).head(3)
    for _, r in top.iterrows():
        lines.append(f"  {r['id']}: {r['credit_type']}, ${r['value_at_risk']:,.0f} at risk, "
                     f"expires {r['expiry']:%Y-%m-%d} ({r['alert'] or 'OK'})")
    return "\n".join(lines)
