"""compare --rev BASE..HEAD PATH...: every journey a change adds, removes or modifies, a year, in one currency."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="these tests need git")

JOURNEYS = ROOT / "journeys"
PER_YEAR = {"month": 12, "quarter": 4}


def _git(repo, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repository whose second commit modifies one journey, removes one, adds one and touches other YAML."""
    repo = tmp_path / "repo"
    (repo / "journeys").mkdir(parents=True)
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "test@example.com")
    _git(repo, "config", "user.name", "test")
    for source in JOURNEYS.glob("*.yaml"):
        shutil.copy(source, repo / "journeys" / source.name)
    (repo / "journeys" / "mkdocs.yml").write_text("site_name: docs\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    bank = repo / "journeys" / "bank-account-opening.yaml"
    bank.write_text(
        bank.read_text().replace("{id_upload: 0.80, abandoned: 0.20}", "{id_upload: 0.92, abandoned: 0.08}")
    )
    (repo / "journeys" / "mobile-plan-change.yaml").unlink()
    web = (repo / "journeys" / "web-checkout.yaml").read_text()
    (repo / "journeys" / "web-checkout-v2.yaml").write_text(
        web.replace("  id: web-checkout\n", "  id: web-checkout-v2\n")
    )
    (repo / "journeys" / "mkdocs.yml").write_text("site_name: other\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "change")
    monkeypatch.chdir(repo)
    return repo


def _metrics(run_cli, path: str) -> dict:
    code, out, err = run_cli("audit", path, "--format", "json", "--fail-on", "never")
    assert code == 0, err
    return json.loads(out)["journeys"][0]


def test_every_changed_journey_is_compared_a_year_in_one_currency(repo, run_cli, tmp_path):
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.cxaudit.portfolio]\ncurrency = "EUR"\nrates = { GBP = 1.15, USD = 0.92 }\n')
    code, out, err = run_cli(
        "compare", "--rev", "HEAD~1..HEAD", "journeys", "--format", "json", "--config", str(config)
    )
    assert code == 0, err
    found = json.loads(out)
    assert found["revisions"] == "HEAD~1..HEAD"
    assert [(j["file"], j["status"]) for j in found["journeys"]] == [
        ("journeys/bank-account-opening.yaml", "modified"),
        ("journeys/mobile-plan-change.yaml", "removed"),
        ("journeys/web-checkout-v2.yaml", "added"),
    ]
    removed = _metrics(run_cli, str(JOURNEYS / "mobile-plan-change.yaml"))["metrics"]
    added = _metrics(run_cli, str(JOURNEYS / "web-checkout.yaml"))["metrics"]
    before = _metrics(run_cli, str(JOURNEYS / "bank-account-opening.yaml"))["metrics"]
    after = _metrics(run_cli, "journeys/bank-account-opening.yaml")["metrics"]
    rows = {j["status"]: j["per_year"] for j in found["journeys"]}
    assert rows["removed"]["contacts_avoided_per_year"] == pytest.approx(removed["contacts_per_period"] * 12)
    assert rows["removed"]["value_kept_per_year"] == pytest.approx(removed["value_at_risk"] * 12 * 0.92)
    assert rows["added"]["cost_avoided_per_year"] == pytest.approx(-added["contact_cost_per_period"] * 12)
    assert rows["modified"]["value_kept_per_year"] == pytest.approx(
        (before["value_at_risk"] - after["value_at_risk"]) * 4 * 1.15
    )
    modified = found["journeys"][0]
    assert modified["delta"]["value_at_risk"] == pytest.approx(after["value_at_risk"] - before["value_at_risk"])
    assert found["journeys"][1]["delta"] is None
    total = found["total"]
    assert total["currency"] == "EUR"
    for key in ("contacts_avoided_per_year", "customers_kept_per_year", "cost_avoided_per_year", "value_kept_per_year"):
        assert total[key] == pytest.approx(sum(row[key] for row in rows.values()))
    assert total["findings_introduced"] == len(found["journeys"][2]["findings"]["introduced"]) > 0
    assert total["journeys_left_out"] == []


def test_the_markdown_is_a_pull_request_comment(repo, run_cli, tmp_path):
    config = tmp_path / "pyproject.toml"
    config.write_text('[tool.cxaudit.portfolio]\ncurrency = "EUR"\nrates = { GBP = 1.15, USD = 0.92 }\n')
    code, out, err = run_cli("compare", "--rev", "HEAD~1..", "journeys", "-f", "markdown", "--config", str(config))
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "<!-- cxaudit compare -->"
    assert lines[3].startswith("**This change avoids ") and " contacts a year \\(EUR " in lines[3]
    assert "| Current account opening (`journeys/bank-account-opening.yaml`) | modified |" in out
    assert "| Mobile plan change (`journeys/mobile-plan-change.yaml`) | removed | \u2212637,451 |" in out
    assert "Changes a year, after minus before, in EUR." in out
    assert "### Findings introduced (22)" in out
    assert out.count("\n- **") == 20  # ten a kind, the rest counted
    assert "- ... and 12 more" in out
    assert "mkdocs" not in out


def test_without_rates_the_money_of_several_currencies_is_not_added(repo, run_cli):
    code, out, _ = run_cli("compare", "--rev", "HEAD~1..HEAD", "journeys", "-f", "json")
    assert code == 0
    total = json.loads(out)["total"]
    assert total["currency"] is None
    assert total["cost_avoided_per_year"] is None and total["value_kept_per_year"] is None
    code, out, _ = run_cli("compare", "--rev", "HEAD~1..HEAD", "journeys")
    assert "Money in EUR, GBP, USD is not converted into one currency, so it is not added up" in out


def test_one_file_with_rev_keeps_the_comparison_it_always_gave(repo, run_cli):
    code, out, _ = run_cli("compare", "journeys/bank-account-opening.yaml", "--rev", "HEAD~1..HEAD", "-f", "json")
    assert code == 0
    found = json.loads(out)
    assert set(found) >= {"before", "after", "delta", "summary", "steps", "findings"}
    assert found["before"]["file"] == "journeys/bank-account-opening.yaml@HEAD~1"


def test_nothing_changed_and_usage_errors(repo, run_cli):
    code, out, _ = run_cli("compare", "--rev", "HEAD..HEAD", "journeys", "-f", "markdown")
    assert code == 0
    assert "**This change touches no journey.**" in out
    code, _, err = run_cli("compare", "--rev", "HEAD", "journeys")
    assert code == 2
    assert "--rev takes a range A..B (or A.. for A and the working tree), not 'HEAD'" in err
    code, _, err = run_cli("compare", "a.yaml", "b.yaml", "c.yaml")
    assert code == 2
    assert "compare needs two files (BEFORE AFTER), or --rev A..B with one file" in err


def test_the_help_names_the_configuration_tables(run_cli):
    # square brackets are rich markup in typer's help: written escaped, they show
    code, out, _ = run_cli("compare", "--help")
    assert code == 0 and "[tool.cxaudit.portfolio]" in out
    code, out, _ = run_cli("discover", "--help")
    assert code == 0 and "[tool.cxaudit.engine]" in " ".join(line.strip("│ ") for line in out.splitlines())
