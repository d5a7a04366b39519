"""An independent computation of the register, for tests: plain Python dates and arithmetic,
written from DOMAIN.md section 6 and the day-count conventions in credits.py's docstring,
sharing no code with xlcredits. Tests compare what xlcredits (its core, the workbook's
formulas, the report) shows with this."""

from datetime import date, timedelta

LAPSE_ALERT = 0.20  # DOMAIN.md 6: projected unconsumed at expiry above 20%
CONSUMPTION_ALERTS = (0.90, 0.75, 0.50)  # DOMAIN.md 6: 50%, 75%, 90% consumed


def day(value) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def position(entry: dict, as_of: date) -> dict:
    """Remaining, projected lapse, value at risk and alert of one register entry."""
    balance, consumed = float(entry["balance"]), float(entry.get("consumed") or 0)
    start, expiry = day(entry["start"]), day(entry["expiry"])
    expiry += timedelta(days=int(entry.get("grace_days") or 0))  # usable through the grace
    if as_of < start:
        days_left = (expiry - start).days + 1
        daily = 0.0
    else:
        days_left = max((expiry - as_of).days, 0)
        daily = consumed / ((as_of - start).days + 1)
    if entry.get("planned") is not None:
        daily = float(entry["planned"]) * 12 / 365
    lapse = max(balance - min(consumed + daily * days_left, balance), 0.0)
    if as_of > expiry:
        alert = "EXPIRED"
    elif lapse > LAPSE_ALERT * balance:
        alert = "LAPSE RISK"
    else:
        share = consumed / balance if balance else 0
        alert = next((f"{t:.0%}" for t in CONSUMPTION_ALERTS if share >= t), "")
    return {"remaining": balance - consumed, "lapse": lapse,
            "value_at_risk": lapse * float(entry.get("unit_value") or 0), "alert": alert}
