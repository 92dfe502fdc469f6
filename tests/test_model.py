"""The model's values: built fast, and still what dataclasses make."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from cxaudit.analysis.markov import JourneyMetrics, MarkovResult, StepMetrics
from cxaudit.analysis.structure import Structure
from cxaudit.model import Finding, Impact, Journey, Step, quick_init
from cxaudit.rules import Hit


def _parameters(function):
    return [(p.name, p.default, p.kind) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize(
    "cls", [Finding, Impact, Step, StepMetrics, Hit, Journey, JourneyMetrics, MarkovResult, Structure]
)
def test_quick_init_takes_and_makes_what_the_dataclass_init_would(cls):
    fields = dataclasses.fields(cls)
    plain = dataclasses.make_dataclass(
        "Plain",
        [
            (f.name, object)
            if f.default is dataclasses.MISSING
            else (f.name, object, dataclasses.field(default=f.default))
            for f in fields
        ],
        frozen=True,
    )
    assert _parameters(cls.__init__) == _parameters(plain.__init__)
    values = [f"v{n}" for n, f in enumerate(fields) if f.default is dataclasses.MISSING]
    made = cls(*values)
    assert [getattr(made, f.name) for f in fields] == [getattr(plain(*values), f.name) for f in fields]
    assert made == cls(*values) and hash(made) == hash(cls(*values))
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(made, fields[0].name, "changed")
    with pytest.raises(TypeError, match="missing 1 required positional argument"):
        cls(*values[:-1])
    with pytest.raises(TypeError, match="unexpected keyword argument 'bogus'"):
        cls(*values, bogus=1)


def test_quick_init_refuses_fields_it_cannot_make():
    listy = dataclasses.make_dataclass(
        "Listy", [("items", list, dataclasses.field(default_factory=list))], frozen=True, slots=True
    )
    with pytest.raises(TypeError, match=r"quick_init cannot make Listy\.items"):
        quick_init(listy)
