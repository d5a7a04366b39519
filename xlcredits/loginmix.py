"""The cheapest Experience Cloud licence mix from login-days (DOMAIN.md section 2).

Members for users whose login-days a month cost more than a member licence (the member
rule of :func:`xlcredits.logins.is_member`), a login pool for the rest, against all
members and all logins.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import logins
from .errors import plural
from .loginhistory import History

__all__ = ["Mix", "analyse", "facts", "options", "summary", "summary_facts"]


@dataclass
class Mix:
    """The licence choice for every user, month by month, and what each option costs."""
    users: pd.DataFrame  # user, months_active, login_days, per_month, licence
    months: pd.DataFrame  # month, users, login_days, pool_need, pool_cost, members_cost
    login_price: float
    member_price: float
    breakeven: float
    all_members: float  # monthly
    all_logins: float
    best_mix: float
    block: float  # the fixed monthly block of logins priced
    block_cost: float  # monthly, with overage at the login price

    @property
    def saving(self) -> float:
        """Monthly saving of the best mix against the cheaper pure option."""
        return min(self.all_members, self.all_logins) - self.best_mix


def analyse(history: History, login_price, member_price, block: float | None = None) -> Mix:
    """Members for users above the break-even, a login pool below it (no rollover)."""
    login = logins.community_prices("login_price", login_price, "login").item()
    member = logins.community_prices("member_price", member_price, "member").item()
    breakeven = logins.login_breakeven(login, member)
    data = history.login_days
    months = history.months
    n_months = max(len(months), 1)
    users = data.groupby("user").agg(months_active=("month", "nunique"),
                                     login_days=("login_days", "sum")).reset_index()
    users["per_month"] = users["login_days"] / n_months
    member_mask = logins.is_member(users["per_month"].to_numpy(), login, member)
    users["licence"] = np.where(member_mask, "Member", "Login pool")
    pool_users = set(users.loc[~member_mask, "user"])
    in_pool = data[data["user"].isin(pool_users)]
    monthly = data.groupby("month").agg(users=("user", "nunique"),
                                        login_days=("login_days", "sum"))
    monthly["pool_need"] = in_pool.groupby("month")["login_days"].sum()
    monthly = monthly.reindex(months).fillna(0).rename_axis("month").reset_index()
    monthly["pool_cost"] = monthly["pool_need"] * login
    n_members = int(member_mask.sum())
    monthly["members_cost"] = n_members * member
    peak = float(monthly["pool_need"].max()) if len(monthly) else 0.0
    block = peak if block is None else float(block)
    overage = np.maximum(monthly["pool_need"] - block, 0)
    return Mix(
        users=users, months=monthly, login_price=login, member_price=member,
        breakeven=breakeven,
        all_members=len(users) * member,
        all_logins=float(users["login_days"].sum()) * login / n_months,
        best_mix=logins.login_mix_cost(users["per_month"].to_numpy(), login, member),
        block=block, block_cost=float((block + overage).mean() * login) if len(monthly)
        else 0.0)


def facts(history: History, mix: Mix) -> list[tuple[str, str]]:
    """What was counted, left out and why, and what each option costs: (label, text)."""
    members = int((mix.users["licence"] == "Member").sum())
    return history.facts() + [
        ("Prices", (f"${mix.login_price:,.2f} a login-day, ${mix.member_price:,.2f} a member "
                    f"a month; break-even {mix.breakeven:.2f} login-days a month")),
        ("All members", f"${mix.all_members:,.2f} a month"),
        ("All login pool", f"${mix.all_logins:,.2f} a month"),
        ("Best mix", (f"${mix.best_mix:,.2f} a month: {members:,} members, "
                      f"{len(mix.users) - members:,} in the login pool")),
        ("Saving", f"${mix.saving:,.2f} a month"),
    ]


def summary_facts(history: History, mix: Mix) -> list[tuple[str, object]]:
    """What was read, counted and left out (and why), and the prices: (label, value) pairs
    for a report, numbers as numbers."""
    members = int((mix.users["licence"] == "Member").sum())
    return history.facts() + [
        ("Users counted", len(mix.users)),
        ("Users with only failed logins (not counted)", history.failed_only_users),
        ("Price of a login-day ($)", mix.login_price),
        ("Price of a member a month ($)", mix.member_price),
        ("Break-even (login-days a month)", mix.breakeven),
        ("Users as members", members), ("Users in the login pool", len(mix.users) - members),
        (f"Pool as a block of {plural(math.ceil(mix.block), 'login-day')} ($/month)",
         mix.block_cost)]


def options(mix: Mix) -> list[tuple[str, float]]:
    """Each option and its monthly cost, then the best mix's saving."""
    return [("All members", mix.all_members), ("All login pool", mix.all_logins),
            ("Best mix (members above the break-even)", mix.best_mix),
            ("Saving against the cheaper of the two", mix.saving)]


def summary(history: History, mix: Mix) -> str:
    lines = [f"{label}: {text}." for label, text in history.facts()] + [
        (f"Prices: ${mix.login_price:,.2f} a login-day, ${mix.member_price:,.2f} a member a "
         f"month; break-even {mix.breakeven:.2f} login-days a month."),
        "",
        f"{'':22}{'monthly':>14}{'annual':>16}",
        f"{'All members':22}{mix.all_members:>14,.2f}{mix.all_members * 12:>16,.2f}",
        f"{'All login pool':22}{mix.all_logins:>14,.2f}{mix.all_logins * 12:>16,.2f}",
        f"{'Best mix':22}{mix.best_mix:>14,.2f}{mix.best_mix * 12:>16,.2f}",
        f"{'Saving':22}{mix.saving:>14,.2f}{mix.saving * 12:>16,.2f}",
        "",
        (f"Members: {plural(int((mix.users['licence'] == 'Member').sum()), 'user')}; login "
         f"pool: {plural(int((mix.users['licence'] == 'Login pool').sum()), 'user')}. Sized to "
         f"each month's need: ${mix.months['pool_cost'].mean():,.2f} a month on average; as a "
         f"fixed block of {plural(math.ceil(mix.block), 'login-day')} with overage: "
         f"${mix.block_cost:,.2f} a month."),
    ]
    return "\n".join(lines)
