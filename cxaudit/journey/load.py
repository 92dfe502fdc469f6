"""Load journey files (format v1) into :class:`~cxaudit.model.Journey` values.

The loader reports *all* problems in a file at once, each with file, line,
column and the path in the document, by raising one
:class:`~cxaudit.errors.JourneyError`.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cxaudit import spec
from cxaudit.errors import JourneyError
from cxaudit.journey import kinds
from cxaudit.journey.read import read_yaml
from cxaudit.journey.source import DEFAULT_LIMITS, Limits, check_size, decode, read_source
from cxaudit.journey.tree import YMap
from cxaudit.model import Channel, Entry, Journey, Owner, SourceSpan, Step, Transition, frozen_map

__all__ = ["Limits", "decode", "load_journey", "loads_journey", "read_source"]

STDIN_NAME = "<stdin>"


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many small objects.

    Loading creates millions of container objects and no cycles; the collector
    would otherwise run over and over for nothing.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_journey(
    source: str | bytes | os.PathLike[str],
    *,
    name: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    pure_yaml: bool = False,
) -> Journey:
    """Load and validate one journey.

    Parameters
    ----------
    source : str, bytes or path-like
        A path (``pathlib.Path``, or a ``str`` without a line break), or the
        journey's text (``bytes``, or a ``str`` with a line break).
    name : str, optional
        The file name to use in problems; defaults to the path, or
        ``<string>`` for text.
    limits : Limits
        Bounds on size, nesting and aliases.
    pure_yaml : bool
        Use PyYAML's pure-Python parser even when libyaml is installed (the
        results are identical; this exists for testing).

    Raises
    ------
    JourneyError
        Carrying every problem found in the file.
    """
    if isinstance(source, bytes):
        return loads_journey(source, name=name or "<string>", limits=limits, pure_yaml=pure_yaml)
    if isinstance(source, str) and "\n" in source:
        return loads_journey(source, name=name or "<string>", limits=limits, pure_yaml=pure_yaml)
    path = os.fspath(source)
    return _from_file_bytes(read_source(path, limits, name), path, name or path, limits, pure_yaml)


def _from_file_bytes(data: bytes, path: str, name: str, limits: Limits, pure_yaml: bool) -> Journey:
    if path.lower().endswith(".bpmn"):  # a BPMN model, imported on the fly
        from cxaudit.bpmn import load_bpmn

        return load_bpmn(data, name, limits)[0]
    return loads_journey(data, name=name, limits=limits, pure_yaml=pure_yaml)


def load_named(name: str, *, pure_yaml: bool = False, limits: Limits = DEFAULT_LIMITS) -> tuple[Journey, bytes]:
    """A journey named on the command line: a file, or ``-`` for standard input.

    Returns the bytes read as well, for callers that show the source.
    """
    if name == "-":
        import sys

        data = sys.stdin.buffer.read(limits.max_file_bytes + 1)
        return loads_journey(data, name=STDIN_NAME, limits=limits, pure_yaml=pure_yaml), data
    path = name if "\n" not in name else os.path.abspath(name)
    data = read_source(path, limits, name)
    return _from_file_bytes(data, path, name, limits, pure_yaml), data


def loads_journey(
    text: str | bytes, *, name: str = "<string>", limits: Limits = DEFAULT_LIMITS, pure_yaml: bool = False
) -> Journey:
    """Load and validate one journey from its text. See :func:`load_journey`."""
    if isinstance(text, bytes):
        check_size(text, name, limits)
        text = decode(text, name)
    elif len(text) > limits.max_file_bytes:
        check_size(text.encode("utf-8"), name, limits)
    with paused_gc():
        document = read_yaml(text, name, limits, pure_yaml=pure_yaml)
        ctx = spec.Context(name, list(document.problems))
        journey = _build(document.root, (document.line, document.column), ctx, limits)
    if ctx.problems:
        raise JourneyError(ctx.problems)
    assert journey is not None
    return journey


def _build(root: Any, where: tuple[int, int], ctx: spec.Context, limits: Limits) -> Journey | None:
    name = ctx.name
    if not isinstance(root, YMap):
        what = "empty" if root is None else f"{spec.show(root)}"
        if root is None:
            ctx.add((1, 1), "file is empty; a journey file starts with 'cxaudit: 1'", "")
        else:
            ctx.add(where, f"a journey file must be a mapping at the top level, not {what}", "")
        return None

    for key in root:
        if key not in spec.ROOT_FIELDS:
            hint = spec.did_you_mean(key, spec.ROOT_FIELDS)
            ctx.add(root.where_key(key), f"unknown top-level field '{key}'{hint}", key)

    version = root.get("cxaudit")
    if version is None:
        ctx.add(where, "missing 'cxaudit: 1' (the format version) at the top of the file", "cxaudit")
    elif version != kinds.FORMAT_VERSION or isinstance(version, bool):
        ctx.add(
            root.where("cxaudit"),
            f"unsupported format version {spec.show(version, root.text('cxaudit'))}; "
            f"this cxaudit reads version {kinds.FORMAT_VERSION}",
            "cxaudit",
        )

    info: dict[str, Any] = {}
    journey_map = spec.expect_map(root.get("journey"), ctx, root.where("journey"), "journey", "a mapping")
    if journey_map is not None:
        info = spec.check_object(journey_map, spec.JOURNEY, ctx, "journey", "journey", root.where_key("journey"))
    elif "journey" not in root or root["journey"] is None:
        ctx.add(where, "missing 'journey' (its id and name)", "journey")

    channels = _catalog(root, "channels", spec.CHANNEL, ctx)
    owners = _catalog(root, "owners", spec.OWNER, ctx)

    steps_map = spec.expect_map(root.get("steps"), ctx, root.where("steps"), "steps", "a mapping of step id to step")
    raw_steps: dict[str, tuple[dict[str, Any], tuple[int, int]]] = {}
    if steps_map is None:
        if root.get("steps") is None:
            ctx.add(where, "missing 'steps'; a journey needs at least one step", "steps")
    elif not steps_map:
        ctx.add(root.where("steps"), "'steps' is empty; a journey needs at least one step", "steps")
    elif len(steps_map) > limits.max_steps:
        ctx.add(
            root.where("steps"),
            f"journey has {len(steps_map):,} steps, over the limit of {limits.max_steps:,}",
            "steps",
        )
        steps_map = None
    if steps_map:
        for step_id, body in steps_map.items():
            step_path = f"steps.{step_id}"
            key_where = steps_map.where_key(step_id)
            spec.check_slug(step_id, ctx, key_where, step_path, "step")
            step_map = spec.expect_map(body, ctx, steps_map.where(step_id), step_path, "a mapping of step fields")
            if step_map is None:
                if body is None:
                    ctx.add(key_where, f"step '{step_id}' is empty; it needs at least a name", step_path)
                continue
            fields = spec.check_object(step_map, spec.STEP, ctx, step_path, f"step '{step_id}'", key_where)
            step_type = fields.get("type", "step")
            if step_type in kinds.OUTCOME_TYPES and step_map.get("next"):
                ctx.add(
                    step_map.where_key("next"),
                    f"'next' is not allowed on {step_type} step '{step_id}': outcomes end the journey",
                    f"{step_path}.next",
                )
            if step_type in kinds.OUTCOME_TYPES and step_map.get("after") is not None:
                ctx.add(
                    step_map.where_key("after"),
                    f"'after' is not allowed on {step_type} step '{step_id}': outcomes are not split by history",
                    f"{step_path}.after",
                )
            raw_steps[step_id] = (fields, key_where)
        _check_histories(raw_steps, steps_map, ctx)
        _check_evidence(raw_steps, steps_map, ctx)

    entry = None
    if "entry" in root and root["entry"] is not None:
        entry = spec.ENTRY.convert(root["entry"], root.text("entry"), ctx, root.where("entry"), "entry")
    else:
        ctx.add(where, "missing 'entry'; name the step where customers start", "entry")

    _check_references(raw_steps, entry, channels, owners, root, ctx)
    _check_variants(info.get("variants", ()), raw_steps, root, ctx)
    if ctx.problems:
        return None

    file = name
    steps: dict[str, Step] = {}
    no_ignores = frozen_map({})  # read-only: one for every step that ignores nothing
    for step_id, (fields, (line, column)) in raw_steps.items():
        get = fields.get
        transitions = tuple(
            [
                Transition(step_id, target, probability, SourceSpan(file, tline, tcol))
                for target, (probability, (tline, tcol)) in get("next", {}).items()
            ]
        )
        ignores = get("ignore")
        steps[step_id] = Step(  # by position, in the order of the fields: it runs for every step
            step_id,  # id
            fields["name"],  # name
            get("type", "step"),  # type
            get("channel"),  # channel
            get("owner"),  # owner
            get("effort"),  # effort
            get("duration"),  # duration_s
            get("sentiment"),  # sentiment
            transitions,  # next
            frozen_map(dict(ignores)) if ignores else no_ignores,  # type: ignore[arg-type]  # ignore
            get("notes"),  # notes
            SourceSpan(file, line, column),  # span
            None,  # origin
            get("logged", True),  # logged
            get("after", ()),  # after
            get("evidence"),  # evidence
        )
    entries = tuple(
        Entry(step_id, share, SourceSpan(file, eline, ecol)) for step_id, (share, (eline, ecol)) in entry.items()
    )
    return Journey(
        id=info["id"],
        name=info["name"],
        description=info.get("description"),
        volume=info.get("volume", 1.0),
        period=info.get("period", "period"),
        currency=info.get("currency"),
        value=info.get("value"),
        entry=entries,
        channels=frozen_map(channels or {}),  # type: ignore[arg-type]
        owners=frozen_map(owners or {}),  # type: ignore[arg-type]
        steps=frozen_map(steps),  # type: ignore[arg-type]
        file=file,
        span=SourceSpan(file, *root.where_key("journey")),
        cases=info.get("cases"),
        variants=info.get("variants", ()),
    )


def _catalog(root: YMap, key: str, object_spec: spec.ObjectSpec, ctx: spec.Context) -> dict[str, Any] | None:
    """Validate the channels or owners catalog; None when it is not given."""
    data = spec.expect_map(root.get(key), ctx, root.where(key), key, f"a mapping of {object_spec.what} id to fields")
    if data is None:
        return None
    file = ctx.name
    out: dict[str, Any] = {}
    for item_id, body in data.items():
        path = f"{key}.{item_id}"
        key_where = data.where_key(item_id)
        spec.check_slug(item_id, ctx, key_where, path, object_spec.what)
        body_map = body if body is not None else YMap(*key_where)
        body_map = spec.expect_map(body_map, ctx, data.where(item_id), path, f"a mapping of {object_spec.what} fields")
        if body_map is None:
            continue
        fields = spec.check_object(body_map, object_spec, ctx, path, f"{object_spec.what} '{item_id}'", key_where)
        span = SourceSpan(file, *key_where)
        if object_spec is spec.CHANNEL:
            out[item_id] = Channel(
                item_id, fields.get("name", item_id), fields.get("assisted", False), fields.get("cost"), span
            )
        else:
            out[item_id] = Owner(item_id, fields.get("name", item_id), span)
    return out


def _check_evidence(raw_steps: dict[str, Any], steps_map: Any, ctx: spec.Context) -> None:
    """Evidence counts transitions the step has: a count for a step it does not go to means nothing."""
    for step_id, (fields, _) in raw_steps.items():
        evidence = fields.get("evidence")
        if evidence is None:
            continue
        targets = fields.get("next", {})
        for target in evidence.next:
            if target not in targets:
                where = steps_map[step_id]["evidence"]["next"].where_key(target)
                ctx.add(
                    where,
                    f"evidence of step '{step_id}' counts customers going to '{target}', which is not in its "
                    "'next'; count only the steps it goes to",
                    f"steps.{step_id}.evidence.next.{target}",
                )


def _check_variants(variants: Any, raw_steps: dict[str, Any], root: YMap, ctx: spec.Context) -> None:
    """Each variant's steps are steps of the journey."""
    if not variants or not raw_steps:
        return
    written = root["journey"]["variants"]
    for number, variant in enumerate(variants):
        steps = written[number]["steps"]
        for position, step_id in enumerate(variant.steps):
            if step_id not in raw_steps:
                ctx.add(
                    steps.item_pos[position],
                    f"variant {number + 1} names unknown step '{step_id}'{spec.did_you_mean(step_id, raw_steps)}",
                    f"journey.variants[{number}].steps[{position}]",
                )


def _check_histories(raw_steps: dict[str, Any], steps_map: Any, ctx: spec.Context) -> None:
    """Two steps for the same activity after the same history: a visit could be either."""
    seen: dict[tuple[str, tuple[str, ...]], str] = {}
    for step_id, (fields, _) in raw_steps.items():
        after = fields.get("after")
        if not after or not isinstance(fields.get("name"), str):
            continue
        key = (fields["name"].casefold(), after)
        if key in seen:
            body = steps_map[step_id]
            ctx.add(
                body.where_key("after"),
                f"step '{step_id}' and step '{seen[key]}' are both '{fields['name']}' after the same history",
                f"steps.{step_id}.after",
            )
        else:
            seen[key] = step_id


def _check_references(
    raw_steps: dict[str, tuple[dict[str, Any], tuple[int, int]]],
    entry: dict[str, tuple[float, tuple[int, int]]] | None,
    channels: dict[str, Any] | None,
    owners: dict[str, Any] | None,
    root: YMap,
    ctx: spec.Context,
) -> None:
    step_ids = raw_steps.keys()
    if not step_ids:
        return
    if isinstance(entry, dict):
        for step_id, (_, where) in entry.items():
            if step_id not in step_ids:
                path = "entry" if len(entry) == 1 and where == root.where("entry") else f"entry.{step_id}"
                hint = spec.did_you_mean(step_id, step_ids)
                ctx.add(where, f"entry names unknown step '{step_id}'{hint}", path)
    steps_map = root["steps"]
    for step_id, (fields, _) in raw_steps.items():
        step_map = steps_map[step_id]
        for target, (_, where) in fields.get("next", {}).items():
            if target not in step_ids:
                hint = spec.did_you_mean(target, step_ids)
                ctx.add(where, f"'next' names unknown step '{target}'{hint}", f"steps.{step_id}.next.{target}")
        for key, catalog in (("channel", channels), ("owner", owners)):
            ref = fields.get(key)
            if ref is not None and catalog is not None and ref not in catalog:
                hint = spec.did_you_mean(ref, catalog)
                ctx.add(
                    step_map.where(key),
                    f"unknown {key} '{ref}' (not in '{key}s'){hint}",
                    f"steps.{step_id}.{key}",
                )
