from pathlib import Path

import pytest

from cxaudit.testing import assert_case, load_cases

CASES = load_cases(Path(__file__).with_name("AC01.yaml"))


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_rule(case, tmp_path):
    assert_case(case, tmp_path)
