"""A deterministic generator of realistic synthetic journeys, at any size.

    python benchmarks/generate.py 10000 > /tmp/j10k.yaml
    python benchmarks/generate.py 30 --seed 7 > journey.yaml

The journey is a sequence of stages: each stage's steps lead mostly forward,
with retry loops, back-steps, contact steps that serve a stage (and send
customers back into it, resolve them, transfer them or lose them), and
customers who give up; owners change every few steps and channels mix
self-service and assisted. ``next`` maps are written in flow style, as tools
that generate journeys do. Probabilities are rounded to 3 decimals and each
row sums to exactly 1.
"""

from __future__ import annotations

import argparse
import random
import sys

CHANNELS = {
    "web": (False, None),
    "app": (False, None),
    "email": (False, None),
    "chat": (True, 4.5),
    "phone": (True, 7.5),
    "branch": (True, 30.0),
}
SELF_SERVICE = ["web", "app", "email"]
ASSISTED = ["chat", "phone", "branch"]
VERBS = ["Review", "Enter", "Confirm", "Upload", "Choose", "Verify", "Wait for", "Read", "Sign", "Pay"]
THINGS = ["details", "address", "documents", "plan", "payment", "identity", "offer", "terms", "delivery", "code"]


def _stage(step: int, steps: int, contacts: int) -> int:
    """The contact step that serves a step's stage of the journey."""
    return min(step * contacts // steps, contacts - 1)


def _row(rng: random.Random, targets: list[str]) -> dict[str, float]:
    weights = [rng.uniform(0.5, 1.5) for _ in targets]
    weights[0] *= 6  # the main way forward
    total = sum(weights)
    shares = [round(w / total, 3) for w in weights]
    shares[0] = round(1 - sum(shares[1:]), 3)
    return {t: s for t, s in zip(targets, shares, strict=True) if s > 0}


def generate(steps: int, seed: int = 1) -> str:
    """A journey with about ``steps`` steps (at least 10), as YAML text."""
    rng = random.Random(seed)
    steps = max(steps, 10)
    regular = int(steps * 0.88) - 2
    contacts = steps - regular - 2
    owners = [f"team{i:03d}" for i in range(max(3, steps // 40))]
    ids = [f"s{i:06d}" for i in range(regular)]
    contact_ids = [f"c{i:06d}" for i in range(contacts)]
    lines = [
        "cxaudit: 1",
        "journey:",
        f"  id: synthetic-{steps}",
        f"  name: Synthetic journey of {steps} steps",
        "  volume: 100000",
        "  period: month",
        "  currency: EUR",
        "  value: 50",
        f"entry: {ids[0]}",
        "channels:",
    ]
    for name, (assisted, cost) in CHANNELS.items():
        cost_text = f", cost: {cost}" if cost is not None else ""
        lines.append(f"  {name}: {{assisted: {str(assisted).lower()}{cost_text}}}")
    lines.append("owners:")
    lines += [f"  {owner}: {{name: Team {owner[4:]}}}" for owner in owners]
    lines.append("steps:")
    for i, step_id in enumerate(ids):
        owner = owners[(i // 7) % len(owners)]
        targets = [ids[i + 1] if i + 1 < len(ids) else "done"]
        if rng.random() < 0.35:
            targets.append(step_id)  # retry
        if i > 3 and rng.random() < 0.15:
            targets.append(ids[i - rng.randint(1, 3)])  # back a step or three
        if contact_ids and rng.random() < 0.5:
            targets.append(contact_ids[_stage(i, len(ids), len(contact_ids))])
        if i + 2 < len(ids) and rng.random() < 0.2:
            targets.append(ids[i + 2])  # a shortcut
        targets.append("lost")
        row = _row(rng, list(dict.fromkeys(targets)))
        name = f"{rng.choice(VERBS)} {rng.choice(THINGS)} {i}"
        flow = ", ".join(f"{t}: {p}" for t, p in row.items())
        lines += [
            f"  {step_id}:",
            f"    name: {name}",
            f"    channel: {rng.choice(SELF_SERVICE)}",
            f"    owner: {owner}",
            f"    effort: {rng.randint(1, 5)}",
            f"    duration: {rng.choice(['30s', '1m', '2m', '5m', '1h', '1d'])}",
            f"    next: {{{flow}}}",
        ]
    for i, contact_id in enumerate(contact_ids):
        # a contact serves one stage and sends customers back into it
        first = i * len(ids) // len(contact_ids)
        back = ids[min(first + rng.randint(0, 3), len(ids) - 1)]
        targets = [back, "done"]
        if rng.random() < 0.25:
            targets.append(contact_id)
        if rng.random() < 0.1 and i + 1 < len(contact_ids):
            targets.append(contact_ids[i + 1])  # transferred to the next desk
        targets.append("lost")
        row = _row(rng, list(dict.fromkeys(targets)))
        flow = ", ".join(f"{t}: {p}" for t, p in row.items())
        lines += [
            f"  {contact_id}:",
            "    type: contact",
            f"    name: Contact us about {rng.choice(THINGS)} {i}",
            f"    channel: {rng.choice(ASSISTED)}",
            f"    owner: {owners[i % len(owners)]}",
            f"    duration: {rng.choice(['5m', '10m', '20m'])}",
            f"    next: {{{flow}}}",
        ]
    lines += ["  done: {type: success, name: Done}", "  lost: {type: abandon, name: Gave up}"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("steps", type=int)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    sys.stdout.write(generate(args.steps, args.seed))


if __name__ == "__main__":
    main()
