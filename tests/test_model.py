"""The model's values: plain frozen dataclasses with slots, never changed once built."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from cxaudit.analysis.markov import JourneyMetrics, MarkovResult, StepMetrics
from cxaudit.analysis.structure import Structure
from cxaudit.model import Finding, Impact, Journey, Step
from cxaudit.rules import Hit


@pytest.mark.parametrize(
    "cls", [Finding, Impact, Step, StepMetrics, Hit, Journey, JourneyMetrics, MarkovResult, Structure]
)
def test_values_are_frozen_slots_dataclasses_that_cross_processes_whole(cls):
    fields = dataclasses.fields(cls)
    values = [f"v{n}" for n, f in enumerate(fields) if f.default is dataclasses.MISSING]
    made = cls(*values)
    assert not hasattr(made, "__dict__")
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(made, fields[0].name, "changed")
    again = pickle.loads(pickle.dumps(made))
    assert again == made and hash(again) == hash(made)
    with pytest.raises(TypeError, match="missing 1 required positional argument"):
        cls(*values[:-1])
