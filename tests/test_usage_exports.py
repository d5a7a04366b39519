"""Consumption data in the shapes users bring: Digital Wallet's objects (research:
/work/research/salesforce-exports.md section 6), semicolon files with decimal commas, day-
first dates, other encodings, gzip; month-dated against day-dated usage; grace days;
refusals. Every expected figure is computed by hand in a comment."""

import gzip
from datetime import date

import pytest
from click.testing import CliRunner

from xlcredits import InputError
from xlcredits.cli import main
from xlcredits.errors import ReadError
from xlcredits.statements import (
    ENTITLEMENT_FIELDS,
    MULTIPLIER_FIELDS,
    USAGE_FIELDS,
    Entitlement,
    Multiplier,
    Usage,
    drawdown,
    findings,
    to_entitlements,
    to_multipliers,
    to_usage,
)
from xlcredits.tables import read_table, records


def load(path, fields, order=None):
    return records(read_table(path), fields, order)


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result


# Entitlements as TenantEntitlementTransaction holds them (MgmtOrgContract,
# EntitlementCardDefDevlName, Quantity, StartDate, EndDate), with a negotiated overage rate.
DW_ENTITLEMENTS = """\
Id,MgmtOrgContract,EntitlementCardDefDevlName,TransactionType,Quantity,StartDate,EndDate,Unit,Overage Rate
a1,800XX0000001,DataCloudCredits,Purchase,"100,000",2026-01-01T00:00:00.000Z,2026-02-15T00:00:00.000Z,Credits,$0.006
a2,800XX0000002,DataCloudCredits,Purchase,"50,000",2026-01-01T00:00:00.000Z,2026-12-31T00:00:00.000Z,Credits,$0.005
"""
# Usage as Tenant Consumption Insights (TenantEnrichedUsageEvent) holds it: each line has
# its multiplier, quoted per the Unit ("per 1000000 rows"), and the units consumed.
DW_USAGE = """\
EventTime,CardName,CardDefinitionDeveloperName,UsageTypeDeveloperName,UsageSubtype0,UsageBusinessEnvType,UsageValue,Multiplier,Unit,UnitsConsumed
2026-01-15T23:00:00.000Z,Data Cloud Services Credits,DataCloudCredits,BatchDataPipeline,,Production,"25,000,000",2000,per 1000000 rows,"50,000"
2026-02-10T08:00:00.000Z,Data Cloud Services Credits,DataCloudCredits,BatchDataPipeline,,Production,"40,000,000",2000,per 1000000 rows,"80,000"
2026-02-20T08:00:00.000Z,Data Cloud Services Credits,DataCloudCredits,BatchDataPipeline,,Production,"30,000,000",2000,per 1000000 rows,"60,000"
"""
# Storage from TenantDailyEntitlementConsumption: a level, aggregated by MAX.
DW_STORAGE = """\
carddefinitiondevelopername__c,UsageDate,usagetypedevelopername__c,usageconsumed__c,multiplier__c,unit__c,unitsconsumed__c,usageaggregationtype__c,businessenvtype__c
DataCloudStorage,2026-01-10,DataStorage,100,1,GB,100,MAX,Production
DataCloudStorage,2026-01-20,DataStorage,120,1,GB,120,MAX,Production
DataCloudStorage,2026-01-31,DataStorage,110,1,GB,110,MAX,Production
"""


def test_a_digital_wallet_set(tmp_path):
    # By hand: each line consumes UsageValue x 2000 / 1,000,000 credits (Unit "per 1000000
    # rows"): 50,000 on Jan 15, 80,000 on Feb 10, 60,000 on Feb 20 (the UnitsConsumed).
    # Jan 15: 50,000 from ...0001 (expires first, Feb 15) -> 50,000 left.
    # Feb 10: 80,000: ...0001's 50,000, then 30,000 from ...0002 -> 20,000 left.
    # Feb 20: ...0001 has expired; ...0002's 20,000, then 40,000 of overage at the lower
    #         of the two rates, $0.005 -> $200.00.
    (tmp_path / "ent.csv").write_text(DW_ENTITLEMENTS, encoding="utf-8")
    (tmp_path / "use.csv").write_text(DW_USAGE, encoding="utf-8")
    ents = to_entitlements(load(tmp_path / "ent.csv", ENTITLEMENT_FIELDS))
    lines = to_usage(load(tmp_path / "use.csv", USAGE_FIELDS))
    assert [(e.contract, e.product, e.quantity, e.expiry, e.usage_rate) for e in ents] == [
        ("800XX0000001", "DataCloudCredits", 100_000, date(2026, 2, 15), 0.006),
        ("800XX0000002", "DataCloudCredits", 50_000, date(2026, 12, 31), 0.005)]
    result = drawdown(ents, lines)
    rows = {(r["month"], r["contract"]): r for r in result.rows}
    assert rows[("2026-01", "800XX0000001")]["drawn"] == 50_000
    assert rows[("2026-02", "800XX0000001")]["drawn"] == 50_000
    assert rows[("2026-02", "800XX0000002")]["drawn"] == 50_000
    assert result.overage == [{"month": "2026-02", "product": "DataCloudCredits",
                               "units": 40_000, "rate": 0.005, "cost": 200.0}]
    assert any("Unit 'per 1000000 rows': multiplier 2,000 per 1,000,000 raw units, i.e. "
               "0.002 a raw unit" in f for f in findings(result))
    result = run("usage", tmp_path / "ent.csv", tmp_path / "use.csv")
    assert result.exit_code == 0, result.output
    assert "DataCloudCredits                   150,000       150,000             0        " \
           "40,000        200.00" in result.output


def test_a_level_is_the_months_maximum(tmp_path):
    # By hand: storage 100, 120, 110 GB in January (MAX aggregation) is 120 GB, not 330.
    (tmp_path / "storage.csv").write_text(DW_STORAGE, encoding="utf-8")
    lines = to_usage(load(tmp_path / "storage.csv", USAGE_FIELDS))
    assert all(u.level for u in lines)
    result = drawdown([], lines)
    assert result.no_entitlement == {"DataCloudStorage": pytest.approx(120)}
    assert any("taken as 1 monthly maxima" in f for f in findings(result))


# Multipliers as TenantUsageTypeMultiplier holds them: start and end dates, tiers.
DW_MULTIPLIERS = """\
id__c,UsageTypeDeveloperName__c,startdate__c,enddate__c,multiplier__c,tier2multiplier__c,tier2rawusagelowthreshold__c
m1,SMS,2026-01-01T00:00:00.000Z,2026-02-14T23:59:59.000Z,30,20,"1,000"
m2,SMS,2026-02-15T00:00:00.000Z,,40,,
"""


def test_multipliers_with_end_dates_and_tiers(tmp_path):
    # By hand: Feb 10, 1,500 SMS under m1: the first 1,000 raw at 30 = 30,000, the 500
    # above the tier-2 threshold at 20 = 10,000 -> 40,000. Feb 20, 100 SMS: m1 ended on
    # Feb 14, m2 applies: 100 x 40 = 4,000. Total 44,000 drawn from E in February.
    (tmp_path / "m.csv").write_text(DW_MULTIPLIERS, encoding="utf-8")
    table = to_multipliers(load(tmp_path / "m.csv", MULTIPLIER_FIELDS))
    assert table[0].tiers == ((1000.0, 20.0),) and table[0].end == date(2026, 2, 14)
    ents = [Entitlement("E", "MC", 50_000, date(2026, 1, 1), date(2026, 12, 31), 0.01)]
    lines = [Usage(date(2026, 2, 10), "MC", "SMS", 1500), Usage(date(2026, 2, 20), "MC", "SMS",
                                                                 100)]
    feb = [r for r in drawdown(ents, lines, table).rows if r["month"] == "2026-02"]
    assert feb[0]["drawn"] == 44_000


def test_the_same_multiplier_twice_is_refused_naming_both_lines(tmp_path):
    (tmp_path / "m.csv").write_text("Usage type,Multiplier,Effective date\nSMS,30,2026-01-01\n"
                                    "Email,1,2026-01-01\nSMS,40,2026-01-01\n", encoding="utf-8")
    table = to_multipliers(load(tmp_path / "m.csv", MULTIPLIER_FIELDS))
    with pytest.raises(InputError, match="multipliers line 4.* as line 2"):
        drawdown([], [Usage(date(2026, 1, 5), "MC", "SMS", 1)], table)


E = [Entitlement("E", "MC", 1000, date(2026, 1, 1), date(2026, 3, 15), 0.10)]


def test_month_dated_and_day_dated_statements_of_the_same_usage():
    # Day-dated, by hand: Mar 10, 300 from E (open to Mar 15); Mar 20, 500: E has expired
    # -> 500 of overage at $0.10 = $50.00; E lapses its 700 in March.
    daily = drawdown(E, [Usage(date(2026, 3, 10), "MC", "Email", 300),
                         Usage(date(2026, 3, 20), "MC", "Email", 500)])
    assert daily.overage[0]["cost"] == pytest.approx(50.0)
    assert [r["lapsed"] for r in daily.rows if r["month"] == "2026-03"] == [700]
    # The same 800 dated by month, spread over March's 31 days (800/31 a day): days 1-15
    # draw 15 x 800/31 = 387.10 from E; days 16-31, 16 x 800/31 = 412.90, are overage:
    # $41.29. E lapses 1,000 - 387.10 = 612.90. (Read as if on the 1st: $0, all from E.)
    monthly = drawdown(E, [Usage(date(2026, 3, 1), "MC", "Email", 800, monthly=True)])
    assert monthly.overage[0]["units"] == pytest.approx(16 * 800 / 31)
    assert monthly.overage[0]["cost"] == pytest.approx(41.29, abs=0.005)
    assert [r["lapsed"] for r in monthly.rows if r["month"] == "2026-03"] == \
        [pytest.approx(1000 - 15 * 800 / 31)]
    assert any("spread over the days of their month, pro rata" in f for f in findings(monthly))


def test_a_mid_month_multiplier_change_applies_to_month_dated_usage():
    # 310 SMS in March (10 a day): x1 until Mar 15 (150), x2 from Mar 16 (160 x 2 = 320)
    # -> 470 units drawn; as if on the 1st it would have been 310.
    table = [Multiplier("SMS", 1, date(2026, 1, 1)), Multiplier("SMS", 2, date(2026, 3, 16))]
    ents = [Entitlement("E", "MC", 10_000, date(2026, 1, 1), date(2026, 12, 31), 0.01)]
    result = drawdown(ents, [Usage(date(2026, 3, 1), "MC", "SMS", 310, monthly=True)], table)
    assert [r["drawn"] for r in result.rows if r["month"] == "2026-03"] == [470]


def test_grace_days():
    # E expires Mar 15 with 10 grace days: usable through Mar 25. The Mar 20 line (500)
    # draws on it: no overage; 1,000 - 300 - 500 = 200 lapse at the end of March.
    graced = [Entitlement("E", "MC", 1000, date(2026, 1, 1), date(2026, 3, 15), 0.10,
                          grace_days=10)]
    result = drawdown(graced, [Usage(date(2026, 3, 10), "MC", "Email", 300),
                               Usage(date(2026, 3, 20), "MC", "Email", 500)])
    assert result.overage == []
    assert [r["lapsed"] for r in result.rows] == [0, 0, 200]
    # 90 days of grace after Jan 31 run to May 1: the balance lapses in May, not January
    long = [Entitlement("F", "MC", 100, date(2026, 1, 1), date(2026, 1, 31), grace_days=90)]
    rows = drawdown(long, []).rows
    assert [(r["month"], r["lapsed"]) for r in rows if r["lapsed"]] == [("2026-05", 100)]


def test_a_semicolon_file_with_decimal_commas_and_day_first_dates(tmp_path):
    # A European Excel's CSV (cp1252, semicolons, decimal commas, 15/03/2026 day-first):
    # quantity 1.000 = 1,000; rate 0,10 = $0.10. The 15 proves the order.
    (tmp_path / "ent.csv").write_bytes(
        "Contract;Produit;Product;Quantity;Start;Expiry;Usage rate\n"
        "C-1;Données;MC;1.000;01/01/2026;15/03/2026;0,10\n".encode("cp1252"))
    (tmp_path / "use.csv").write_text("Date,Product,Usage type,Quantity\n"
                                      "2026-03-10,MC,Email,300\n2026-03-20,MC,Email,500\n",
                                      encoding="utf-8")
    result = run("usage", tmp_path / "ent.csv", tmp_path / "use.csv")
    assert result.exit_code == 0, result.output
    # as in test_month_dated_and_day_dated_statements_of_the_same_usage: $50 of overage
    assert "MC                                   1,000           300           700" \
           "           500         50.00" in result.output


def test_the_uk_usage_file_both_ways(tmp_path):
    ent = tmp_path / "ent.csv"
    ent.write_text("Contract,Product,Quantity,Start,Expiry,Usage rate\n"
                   "C-1,MC,1000,01/01/2026,01/03/2026,0.10\n", encoding="utf-8")
    use = tmp_path / "use.csv"
    use.write_text("Date,Product,Usage type,Quantity\n2026-02-10,MC,Email,300\n",
                   encoding="utf-8")
    refused = run("usage", ent, use)
    assert refused.exit_code == 1
    assert "add --date-order dmy or --date-order mdy" in refused.output
    # day-first: C-1 expires on 1 March, the Feb 10 line draws on it -> no overage
    dmy = run("usage", ent, use, "--date-order", "dmy")
    assert dmy.exit_code == 0 and "0.00" in dmy.output.splitlines()[1]
    # month-first: C-1 expires on 3 January; February's 300 are overage: $30.00
    mdy = run("usage", ent, use, "--date-order", "mdy")
    assert mdy.exit_code == 0 and mdy.output.splitlines()[1].endswith("30.00")


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp1252", "latin-1", "utf-16"])
def test_each_encoding_and_gzip(tmp_path, encoding):
    text = ("Contract,Product,Quantity,Start,Expiry,Usage rate\n"
            "Café-1,Données Cloud,1000,2026-01-01,2026-03-15,0.10\n")
    (tmp_path / "ent.csv").write_bytes(text.encode(encoding))
    (tmp_path / "use.csv.gz").write_bytes(gzip.compress(
        "Date,Product,Usage type,Quantity\n2026-03-10,Données Cloud,Email,300\n"
        "2026-03-20,Données Cloud,Email,500\n".encode(encoding)))
    result = run("usage", tmp_path / "ent.csv", tmp_path / "use.csv.gz")
    assert result.exit_code == 0, result.output
    assert "Données Cloud" in result.output and result.output.splitlines()[1].endswith("50.00")


def test_plain_refusals(tmp_path):
    ent = tmp_path / "ent.csv"
    ent.write_text("Contract,Product,Quantity,Start,Expiry\nC-1,MC,1000,2026-01-01,"
                   "2026-03-15\n", encoding="utf-8")
    empty = tmp_path / "empty.csv"
    empty.write_text("Date,Product,Usage type,Quantity\n", encoding="utf-8")
    result = run("usage", ent, empty)
    assert result.exit_code == 1 and "empty.csv has no usage lines" in result.output
    use = tmp_path / "use.csv"
    use.write_text("Date,Product,Usage type,Quantity\n2026-03-20,MC,Email,500\n",
                   encoding="utf-8")
    result = run("usage", ent, use)
    assert "MC: 500.00 units of overage not priced: none of its contracts has a usage rate" \
        in result.output
    huge = tmp_path / "huge.csv"
    huge.write_text("Date,Product,Usage type,Quantity\n2026-03-20,MC," + "x" * 1_200_000
                    + ",5\n", encoding="utf-8")
    with pytest.raises(ReadError, match="line 2 is longer than 1,000,000 characters"):
        read_table(huge)
    result = run("usage", ent, huge)
    assert result.exit_code == 1 and "huge.csv: line 2 is longer" in result.output
    (tmp_path / "semi.csv").write_text("Date;Product;Usage type;Quantity\n2026-03-20;MC;Email;"
                                       "abc\n", encoding="utf-8")
    result = run("usage", ent, tmp_path / "semi.csv")
    assert result.exit_code == 1
    assert "semi.csv line 2 Quantity='abc' is not a number" in result.output
