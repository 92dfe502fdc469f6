"""JUnit XML: one test suite per journey, one test case per rule, a failure per finding."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from xml.etree import ElementTree as ET

from cxaudit.reporters.lint import finding_line
from cxaudit.textsafe import clean

if TYPE_CHECKING:
    from cxaudit.engine.report import Report


def _xml(text: str) -> str:
    """User text XML 1.0 can hold: control characters (NUL, ESC...) are shown as ``\\xNN``.

    >>> _xml("a\\x00b\\nc")
    'a\\\\x00b\\nc'
    """
    return clean(text, keep_newlines=True)


class JunitReporter:
    """A report CI systems show as tests: a rule that finds something fails."""

    def __init__(self, **_: Any) -> None:
        pass

    def render(self, report: Report) -> str:
        from cxaudit.rules import RULES

        root = ET.Element("testsuites", name="cxaudit")
        total_tests = total_failures = total_errors = 0
        for audit in report.audits:
            suite = ET.SubElement(root, "testsuite", name=audit.journey.id, file=_xml(audit.journey.file))
            by_code: dict[str, list] = {}
            for finding in audit.active:
                by_code.setdefault(finding.code, []).append(finding)
            failures = 0
            for code in audit.rules:
                rule = RULES[code]
                case = ET.SubElement(
                    suite,
                    "testcase",
                    name=f"{code} {rule.name}",
                    classname=audit.journey.id,
                    file=_xml(audit.journey.file),
                )
                for finding in by_code.get(code, []):
                    failure = ET.SubElement(case, "failure", type=code, message=_xml(finding.message))
                    failure.text = _xml(f"{finding_line(finding)}\nFix: {finding.remediation}")
                    failures += 1
            suite.set("tests", str(len(audit.rules)))
            suite.set("failures", str(failures))
            suite.set("errors", "0")
            suite.set("skipped", "0")
            total_tests += len(audit.rules)
            total_failures += failures
        problems_by_file: dict[str, list] = {}
        for problem in report.problems:
            problems_by_file.setdefault(problem.file, []).append(problem)
        for file, problems in problems_by_file.items():
            shown = _xml(str(file))
            suite = ET.SubElement(root, "testsuite", name=shown, file=shown, tests="1", failures="0", errors="1")
            suite.set("skipped", "0")
            case = ET.SubElement(suite, "testcase", name="load", classname=shown, file=shown)
            error = ET.SubElement(case, "error", type="input", message=_xml(problems[0].message))
            error.text = _xml("\n".join(str(p) for p in problems))
            total_tests += 1
            total_errors += 1
        root.set("tests", str(total_tests))
        root.set("failures", str(total_failures))
        root.set("errors", str(total_errors))
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
