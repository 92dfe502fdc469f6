"""Event logs simulated from a known journey: the test oracle for what is learned from logs."""

from __future__ import annotations

import datetime
import random
from pathlib import Path


def simulate(text: str, cases: int, seed: int, path: Path) -> None:
    """A CSV log of ``cases`` customers walking the journey; outcomes are logged as activities."""
    from cxaudit import loads_journey

    journey = loads_journey(text)
    rng = random.Random(seed)
    start = datetime.datetime(2026, 1, 1)
    rows = ["case,activity,timestamp"]
    for case in range(cases):
        step_id, now = journey.entry[0].step, start + datetime.timedelta(hours=case)
        if len(journey.entry) > 1:  # (one entry draws nothing: the logs of one-entry journeys stay as they were)
            step_id = rng.choices([e.step for e in journey.entry], [e.share for e in journey.entry])[0]
        while True:
            step = journey.steps[step_id]
            rows.append(f"c{case},{step.name},{now.isoformat()}")
            if step.is_outcome:
                break
            now += datetime.timedelta(seconds=(step.duration_s or 0) * rng.expovariate(1.0))
            draw, total = rng.random(), 0.0
            for transition in step.next:
                total += transition.probability
                if draw < total:
                    step_id = transition.target
                    break
    path.write_text("\n".join(rows) + "\n")
