"""Hostile and broken input, numerical extremes, interruptions: nothing crashes, hangs, runs or is lost."""

from __future__ import annotations

import json
import math
import signal
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import pytest

from cxaudit import JourneyError, Limits, load_journey, loads_journey
from cxaudit.engine import AuditConfig, audit
from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import generate


def refused(source, limits: Limits = Limits(), **kwargs) -> tuple[str, int]:  # noqa: B008
    """The first problem and the peak memory traced while reading (bounded input stops early)."""
    tracemalloc.start()
    try:
        with pytest.raises(JourneyError) as caught:
            load_journey(source, limits=limits, **kwargs)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return str(caught.value.problems[0]), peak


def test_one_gigabyte_file_is_refused_without_reading_it(tmp_path):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as stream:
        stream.truncate(1024**3)  # sparse: a gigabyte on paper
    message, peak = refused(path, Limits(max_file_bytes=8 * 1024**2), name="huge.yaml")
    assert message == "huge.yaml: file is larger than the limit of 8,388,608 bytes"
    assert peak < 32 * 1024**2


def test_hundred_megabyte_line_is_refused(tmp_path):
    path = tmp_path / "line.yaml"
    with open(path, "wb") as stream:
        stream.write(b"cxaudit: 1\nname: ")
        stream.write(b"x" * (100 * 1024**2))
    message, peak = refused(path, Limits(max_file_bytes=16 * 1024**2), name="line.yaml")
    assert message == "line.yaml: file is larger than the limit of 16,777,216 bytes"
    assert peak < 64 * 1024**2


@pytest.mark.slow
def test_long_value_within_the_file_limit_is_refused():
    text = "cxaudit: 1\nnotes: " + "x" * 2_000_000 + "\n"
    with pytest.raises(JourneyError) as caught:  # no memory tracing: it would slow the parser tenfold
        loads_journey(text, name="v.yaml")
    message = str(caught.value.problems[0])
    assert message == "v.yaml:2:8: value is 2,000,000 characters long, over the limit of 1,000,000 (notes)"


def test_million_alias_bomb_is_refused_fast_in_bounded_memory():
    lines = ["cxaudit: 1", "a: &a [x]"]
    lines += [f"l{i}: [" + ", ".join(["*a"] * 1000) + "]" for i in range(1000)]  # a million aliases
    text = "\n".join(lines) + "\n"
    message, peak = refused(text, name="b.yaml")
    assert message == "b.yaml:4:6: more than 1,000 aliases; cxaudit reads bounded YAML only (l1.0)"
    assert peak < 64 * 1024**2


def test_hundred_thousand_deep_nesting_is_refused():
    text = "cxaudit: 1\ndeep: " + "[" * 100_000 + "]" * 100_000 + "\n"
    for pure in (False, True):
        message, peak = refused(text, name="d.yaml", pure_yaml=pure)
        assert message.startswith("d.yaml:2:") and "nesting is deeper than 64 levels" in message
        assert peak < 64 * 1024**2


def test_too_many_steps_is_refused():
    message, _ = refused(generate(30), Limits(max_steps=10), name="s.yaml")
    assert message == "s.yaml:22:3: journey has 30 steps, over the limit of 10 (steps)"


def test_limits_from_configuration(run_cli, tmp_path):
    (tmp_path / ".cxaudit.yaml").write_text("limits: {max-steps: 10}\n")
    journey = tmp_path / "j.yaml"
    journey.write_text(generate(30))
    code, out, _ = run_cli("check", str(journey))
    assert code == 2 and "journey has 30 steps, over the limit of 10" in out
    (tmp_path / ".cxaudit.yaml").write_text("limits: {max-stepz: 10}\n")
    code, _, err = run_cli("check", str(journey))
    assert code == 2 and "unknown limit 'max-stepz' in 'limits'; did you mean 'max-steps'?" in err


NEAR = """cxaudit: 1
journey: {id: n, name: N, volume: %s, value: %s}
entry: a
channels: {phone: {assisted: true, cost: 1e9}}
steps:
  a: {name: A, next: {a: 0.999999, b: 0.000000999999, c: 1e-12}}
  b: {name: B, type: contact, channel: phone, next: {ok: 0.999999999999, ko: 1e-12}}
  c: {name: C, next: {c: 0.9999999999, ok: 1e-10}}
  ok: {name: OK, type: success}
  ko: {name: KO, type: abandon}
"""


@pytest.mark.parametrize("volume", [1, 1e12])
def test_extreme_numbers_stay_finite_and_sane(volume):
    result = audit(loads_journey(NEAR % (volume, 1e12)))
    m = result.metrics
    values = [getattr(m, f) for f in m.__dataclass_fields__]
    assert all(v is None or (math.isfinite(v) and v >= 0) for v in values if not isinstance(v, bool))
    assert m.completion_rate + m.abandonment_rate + m.stuck_rate == pytest.approx(1)
    assert m.completion_rate == pytest.approx(1, abs=1e-9)
    for step in result.markov.steps.values():
        assert math.isfinite(step.expected_visits) and step.expected_visits >= 0


def test_near_singular_chain_is_exact_and_its_residual_checked():
    text = NEAR.replace(
        "a: {name: A, next: {a: 0.999999, b: 0.000000999999, c: 1e-12}}",
        "a: {name: A, next: {a: 0.99999999999999, ok: 1e-14}}",
    )
    result = audit(loads_journey(text % (1, 1)))
    assert result.markov.steps["a"].expected_visits == pytest.approx(1e14, rel=1e-3)
    assert 0 <= result.markov.residual < 1e-8 and not result.warnings


def test_ill_conditioned_results_are_warned_about(monkeypatch, run_cli, tmp_path):
    from cxaudit.analysis import markov

    monkeypatch.setattr(markov, "ILL_CONDITIONED", -1.0)  # any residual now counts as too large
    result = audit(loads_journey(NEAR % (1, 1)))
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("the journey's equations are ill-conditioned (relative residual ")
    journey = tmp_path / "n.yaml"
    journey.write_text(NEAR % (1, 1))
    _, out, _ = run_cli("audit", str(journey))
    assert "Warning" in out and "ill-conditioned" in out


def test_fifty_thousand_contact_steps():
    lines = ["cxaudit: 1", "journey: {id: many, name: Many contacts, volume: 1000}", "entry: c0", "steps:"]
    n = 50_000
    for i in range(n):
        following = f"c{i + 1}: 0.99, ok: 0.01" if i + 1 < n else "ok: 1"
        lines.append(f"  c{i}: {{name: Call {i}, type: contact, next: {{{following}}}}}")
    lines.append("  ok: {name: OK, type: success}")
    # Every rule runs but OW01: every step is unowned, and its 50,000 findings would be most of the work.
    result = audit(loads_journey("\n".join(lines) + "\n"), AuditConfig(ignore=frozenset({"OW01"})))
    m = result.metrics
    # CT03 and RC01 flag the steps at least 0.1% of customers reach: c0 to c687 (0.99^687 >= 0.001 > 0.99^688).
    flagged = {code: sorted(f.step for f in result.findings if f.code == code) for code in ("CT03", "RC01")}
    assert len(result.findings) == 2 * 688
    assert flagged["CT03"] == flagged["RC01"] == sorted(f"c{i}" for i in range(688))
    assert m.completion_rate == pytest.approx(1)
    assert m.expected_contacts == pytest.approx((1 - 0.99**n) / 0.01, rel=1e-9)  # 1 + 0.99 + 0.99^2 + ...
    assert 0 < m.first_contact_resolution < 1


@pytest.mark.parametrize(
    ("signum", "code", "word"), [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated")]
)
def test_interrupted_runs_leave_no_partial_files(tmp_path: Path, signum, code, word):
    # The signal arrives at the worst moment, deterministically: the report is
    # written to its temporary file and the writer is held just before the
    # rename that would publish it.
    journey = tmp_path / "big.yaml"
    journey.write_text(generate(200))
    target = tmp_path / "report.md"
    held = tmp_path.parent / f"{tmp_path.name}.held"
    hold = (
        "import os, sys, time\n"
        "import cxaudit.atomic as atomic\n"
        "def held_replace(source, target):\n"
        f"    open({str(held)!r}, 'w').close()\n"
        "    time.sleep(600)\n"
        "atomic.os = type(sys)('os_held')\n"
        "atomic.os.__dict__.update(os.__dict__)\n"
        "atomic.os.replace = held_replace\n"
        "from cxaudit.cli import main\n"
        "main(sys.argv[1:])\n"
    )
    process = subprocess.Popen(
        [sys.executable, "-c", hold, "report", str(journey), "-o", str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        while not held.exists():  # waits for the writer, however long it takes
            assert process.poll() is None, process.communicate()
            time.sleep(0.01)
        assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".report.md.")]  # the temporary file
        process.send_signal(signum)
        _out, err = process.communicate(timeout=120)
    finally:
        process.kill()
        held.unlink(missing_ok=True)
    assert process.returncode == code, err
    assert err.strip().splitlines()[-1] == f"cxaudit: {word}"
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.yaml"]


def test_terminal_escapes_in_names_are_neutralised_in_text_reports(run_cli, tmp_path):
    journey = tmp_path / "x.yaml"
    journey.write_text(
        'cxaudit: 1\njourney: {id: x, name: "X\\e]0;pwned\\a"}\nentry: a\nsteps:\n'
        '  a: {name: "A\\e[2J\\e[31m fake\\n::error::x", next: {ok: 0.5, ko: 0.5}}\n'
        "  ok: {name: OK, type: success}\n  ko: {name: KO, type: abandon}\n"
    )
    for command in (["audit", str(journey)], ["check", str(journey), "--fail-on", "never", "--select", "FR02"]):
        _, out, _ = run_cli(*command)
        assert "\x1b" not in out and "\x07" not in out
        assert not any(line.startswith("::") for line in out.splitlines())


OVERFLOWING = """cxaudit: 1
journey: {id: o, name: O, volume: 1e308, value: 1e308}
entry: a
channels: {phone: {assisted: true, cost: 1e308}}
steps:
  a: {name: A, channel: phone, type: contact, duration: 1e308, next: {ok: 1}}
  ok: {name: OK, type: success}
"""


def test_amounts_that_would_overflow_a_float_are_refused(run_cli, tmp_path):
    journey = tmp_path / "o.yaml"
    journey.write_text(OVERFLOWING)
    for command in (["validate"], ["audit", "--format", "json"], ["check", "--format", "sarif"]):
        code, out, err = run_cli(command[0], str(journey), *command[1:])
        assert code == 2 and "Traceback" not in out + err, (command, out, err)
    _, out, _ = run_cli("validate", str(journey))
    assert out.splitlines()[:4] == [
        f"{journey}:2:35: 'volume' must be a number from 0 to 1e12, not 1e308 (journey.volume)",
        f"{journey}:2:49: 'value' must be a number from 0 to 1e12, not 1e308 (journey.value)",
        f"{journey}:4:42: 'cost' must be a number from 0 to 1e12, not 1e308 (channels.phone.cost)",
        f"{journey}:6:57: 'duration' must be seconds or a duration such as 30s, 3m, 2h, 1d or 1h30m, "
        "up to 1e12 seconds, not 1e308 (steps.a.duration)",
    ]


def test_the_largest_amounts_give_finite_json(run_cli, tmp_path):
    journey = tmp_path / "o.yaml"
    journey.write_text(OVERFLOWING.replace("1e308", "1e12"))
    code, out, _ = run_cli("audit", str(journey), "--format", "json")
    assert code == 0 and "Infinity" not in out and "NaN" not in out
    metrics = json.loads(out)["journeys"][0]["metrics"]
    assert metrics["contact_cost_per_period"] == 1e24 and metrics["value_at_risk"] == 0


LOOP_NEAR_ONE = """cxaudit: 1
journey: {id: l, name: L, volume: 1000}
entry: a
steps:
  a: {name: A, effort: 2, next: {b: 1.0}}
  b: {name: B, effort: 2, next: {a: %s, ok: %s}}
  ok: {name: OK, type: success}
"""


@pytest.mark.parametrize(("back", "out"), [("0.9999995", "0.000001"), ("0.9999985", "0.000001"), ("0.999999", "1e-6")])
def test_shares_within_the_tolerance_are_scaled_before_a_loop_repeats_the_gap(back, out):
    metrics = audit(loads_journey(LOOP_NEAR_ONE % (back, out))).metrics
    leave = float(out) / (float(back) + float(out))  # the author's intent: the row scaled to sum to 1
    assert metrics.completion_rate == pytest.approx(1, abs=1e-9)
    assert metrics.stuck_rate == pytest.approx(0, abs=1e-9)
    assert metrics.expected_effort == pytest.approx(4 / leave, rel=1e-9)
