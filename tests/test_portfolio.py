"""The portfolio: every figure a year, amounts in one currency, nothing added across units it cannot convert."""

from __future__ import annotations

import json

import pytest

from tests.conftest import ROOT

JOURNEYS = ROOT / "journeys"


def _journeys(tmp_path, **changes: tuple[str, str]):
    """The example journeys copied, with (period, currency) changed per file stem."""
    folder = tmp_path / "journeys"
    folder.mkdir()
    for source in sorted(JOURNEYS.glob("*.yaml")):
        text = source.read_text()
        if source.stem in changes:
            period, currency = changes[source.stem]
            lines = text.splitlines()
            lines = [f"  period: {period}" if line.startswith("  period:") else line for line in lines]
            lines = [f"  currency: {currency}" if line.startswith("  currency:") else line for line in lines]
            text = "\n".join(lines) + "\n"
        (folder / source.name).write_text(text)
    return folder


def _audit_json(run_cli, *args: str):
    code, out, err = run_cli("audit", *args, "--format", "json", "--fail-on", "never")
    assert code == 0, err
    return json.loads(out)


PER_YEAR = {"month": 12, "quarter": 4, "week": 365.25 / 7}


def test_every_figure_is_a_year_and_every_amount_one_currency(run_cli, tmp_path):
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.cxaudit.portfolio]\ncurrency = "EUR"\nrates = { GBP = 1.15, USD = 0.92 }\n')
    report = _audit_json(run_cli, str(JOURNEYS), "--config", str(config))
    rates = {"EUR": 1.0, "GBP": 1.15, "USD": 0.92}
    expected = {}
    for journey in report["journeys"]:
        metrics = journey["metrics"]
        year, rate = PER_YEAR[journey["period"]], rates[journey["currency"]]
        expected[journey["journey"]] = {
            "value_at_risk": metrics["value_at_risk"] * year * rate,
            "contacts": metrics["contacts_per_period"] * year,
            "contact_cost": metrics["contact_cost_per_period"] * year * rate,
            "customers_lost": metrics["customers_lost_per_period"] * year,
        }
    portfolio = report["portfolio"]
    assert portfolio["period"] == "year"
    assert portfolio["currency"] == "EUR"
    assert portfolio["notes"] == []
    ranked = [row["journey"] for row in portfolio["journeys"]]
    assert ranked == sorted(expected, key=lambda name: -expected[name]["value_at_risk"])
    # a quarter's GBP and a month's USD and EUR: the ranking is not the one of the figures as written
    as_written = sorted(report["journeys"], key=lambda journey: -journey["metrics"]["value_at_risk"])
    assert ranked != [journey["journey"] for journey in as_written]
    for row in portfolio["journeys"]:
        assert row["currency"] == "EUR"
        assert row["period"] == "year"
        for key, value in expected[row["journey"]].items():
            assert row[key] == pytest.approx(value, rel=1e-12)


def test_mixed_currencies_without_rates_are_never_added_or_ranked_together(run_cli, tmp_path):
    report = _audit_json(run_cli, str(JOURNEYS))
    portfolio = report["portfolio"]
    assert portfolio["currency"] is None
    assert [(row["journey"], row["currency"]) for row in portfolio["journeys"]] == [
        ("web-checkout", "EUR"),
        ("bank-account-opening", "GBP"),
        ("mobile-plan-change", "USD"),
    ]
    assert portfolio["notes"] == [
        "Amounts in EUR, GBP, USD are not converted into one currency, so they are not added or ranked together: "
        "give the rates in [tool.cxaudit.portfolio] of the configuration"
    ]
    code, out, _ = run_cli("audit", str(JOURNEYS), "--fail-on", "never")
    assert code == 0
    for currency in ("EUR", "GBP", "USD"):
        assert f"Portfolio, a year, in {currency}" in out
    assert "all 3" not in out  # no total across currencies
    assert "rates = { GBP = <rate>, USD = <rate> }   # 1 GBP = <rate> EUR" in out


def test_a_missing_rate_keeps_that_currency_apart(run_cli, tmp_path):
    config = tmp_path / ".cxaudit.yaml"
    config.write_text("portfolio: {currency: EUR, rates: {GBP: 1.15}}\n")
    portfolio = _audit_json(run_cli, str(JOURNEYS), "--config", str(config))["portfolio"]
    assert portfolio["currency"] is None
    assert [row["currency"] for row in portfolio["journeys"]] == ["EUR", "EUR", "USD"]
    assert portfolio["notes"][0].startswith("Amounts in USD are not converted into EUR")


def test_one_currency_needs_no_rates_and_a_period_a_year_cannot_count_is_ranked_apart(run_cli, tmp_path):
    folder = _journeys(
        tmp_path,
        **{
            "bank-account-opening": ("quarter", "EUR"),
            "mobile-plan-change": ("sprint", "EUR"),
        },
    )
    portfolio = _audit_json(run_cli, str(folder))["portfolio"]
    assert portfolio["currency"] == "EUR"
    assert [(row["journey"], row["period"]) for row in portfolio["journeys"]] == [
        ("web-checkout", "year"),
        ("bank-account-opening", "year"),
        ("mobile-plan-change", "sprint"),
    ]
    assert portfolio["notes"] == [
        "A journey counted per 'sprint' cannot be counted a year, so it is ranked apart: "
        "give it a period of day, week, fortnight, month, quarter, half-year, year"
    ]
    code, out, err = run_cli("report", str(folder), "-o", "-")
    assert code == 0, err
    assert "3 journeys, every figure a year, in EUR, ranked by value at risk a year." in out
    assert "## In EUR: per their own period, not a year" in out
    assert "| | **all 2** |" in out
    # the journeys' sections follow the portfolio's ranking
    assert out.index("audit: Web shop checkout") < out.index("audit: Current account opening")
    assert out.index("audit: Current account opening") < out.index("audit: Mobile plan change")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rates = { GBP = 1.15 }", "'rates' in [tool.cxaudit.portfolio] need the 'currency' they convert into"),
        (
            'currency = "EUR"\nrates = { GBP = -1 }',
            "the rate of GBP in [tool.cxaudit.portfolio] must be a number above 0, not -1",
        ),
        (
            'currency = "EUR"\nrate = { GBP = 1.1 }',
            "unknown key 'rate' in [tool.cxaudit.portfolio]; did you mean 'rates'?",
        ),
    ],
)
def test_portfolio_settings_are_checked(run_cli, tmp_path, text, message):
    config = tmp_path / "pyproject.toml"
    config.write_text("[tool.cxaudit.portfolio]\n" + text + "\n")
    code, _, err = run_cli("audit", str(JOURNEYS), "--config", str(config))
    assert code == 2
    assert message in err


def test_the_json_of_a_portfolio_follows_the_published_schema(run_cli, tmp_path):
    import jsonschema

    from cxaudit.reporters.json import report_schema

    folder = _journeys(tmp_path, **{"mobile-plan-change": ("sprint", "USD")})
    for args in ((str(JOURNEYS),), (str(folder),)):
        jsonschema.validate(_audit_json(run_cli, *args), report_schema())


def test_a_bad_setting_is_named_at_its_line_and_column(run_cli, tmp_path):
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.cxaudit.portfolio]\ncurrency = "EUR"\nrates = { GBP = -1 }\n')
    code, _, err = run_cli("audit", str(JOURNEYS), "--config", str(config))
    assert code == 2 and "Traceback" not in err
    assert f"{config}:3:11: the rate of GBP in [tool.cxaudit.portfolio] must be a number above 0, not -1" in err
