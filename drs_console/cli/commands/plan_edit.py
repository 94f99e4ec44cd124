"""`drs-console plan new|add-wave|add-servers|move|remove|set-wave|set-server|set-rto|import|export|delete`: build plans
without the desktop, for runbooks and CI pipelines.

Every edit is one of the domain operations the desktop editor's undo commands wrap
(``domain.plan.Plan.add_wave``, ``move_servers``, ...), so the checks are the same; every save
goes through the plan library (``store.plans``): atomic, the previous version kept as ``.bak``.

PLAN is a plan file, or a plan of the library by ID (or its first characters), name or file
name. WAVE is a wave number (1 is the first), a wave name or a wave ID.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ...domain.errors import BadInput
from ...domain.plan import (
    DEFAULT_WAVE_TIMEOUT_MINUTES,
    MAX_RTO_TARGET_MINUTES,
    MIN_RTO_TARGET_MINUTES,
    Plan,
    ServerRef,
    Wave,
)
from ...domain.selector import TagSelector
from ...domain.validation import summarize
from ...domain.wording import noun, plural
from ...store.plan_io import LoadedPlan, PlanFileError, read_plan_file
from ...store.plans import PlanLibrary
from ..context import CliContext
from .plan import _context_for, library_for

EXIT_OK, EXIT_USAGE = 0, 2
MAX_DELAY_MINUTES = 24 * 60  # a day of WAIT steps (the native mapping splits them into 120-minute steps)
SERVER_ID = re.compile(r"^s-[0-9a-zA-Z]{17}$")  # DRS's SourceServerID pattern


PLAN_HELP = "plan file, or a library plan's ID (or its start), name or file name"
WAVE_HELP = "wave number (1 is the first), name or ID"


def _command(actions, name: str, func: Callable[..., int], help: str, description: str = "", *,
             plan: bool = True, wave: bool = False, ids: str = "") -> argparse.ArgumentParser:
    """One editing sub-command: PLAN (and WAVE, and ID... described by ``ids``), --json, its handler."""
    p = actions.add_parser(name, help=help, description=description or f"{help[:1].upper()}{help[1:]}.")
    if plan:
        p.add_argument("plan", metavar="PLAN", help=PLAN_HELP)
    if wave:
        p.add_argument("wave", metavar="WAVE", help=WAVE_HELP)
    if ids:
        p.add_argument("server_ids", nargs="*", metavar="ID", help=ids)
    p.add_argument("--json", action="store_true", help="print the result (and the plan) as JSON")
    p.set_defaults(func=func)
    return p


def _critical_args(p: argparse.ArgumentParser, what: str) -> None:
    level = p.add_mutually_exclusive_group()
    level.add_argument("--critical", dest="critical", action="store_const", const=True,
                       help=f"{what} CRITICAL: its failure fails the step (the DRS native plan's impact level)")
    level.add_argument("--optional", dest="critical", action="store_const", const=False,
                       help=f"{what} OPTIONAL: its failure is reported but does not fail the step")
    p.set_defaults(critical=None)


def register_actions(actions) -> None:
    """Add the editing actions to the `plan` sub-parsers."""
    n = _command(actions, "new", plan_new, "create a plan in the library",
                 "Create a plan in the plan library (or in --file) and print where it is.", plan=False)
    n.add_argument("name", metavar="NAME", help="the plan's name")
    n.add_argument("--target-account", metavar="ACCOUNT_ID", default="", help="the account the plan recovers into")
    n.add_argument("--target-region", metavar="REGION", default="", help="the region the plan recovers into")
    n.add_argument("--description", default="", help="free text")
    n.add_argument("--wave", dest="waves", action="append", default=[], metavar="NAME",
                   help="add a wave of this name (repeatable, in order)")
    n.add_argument("--file", metavar="PATH", help="write the plan to PATH instead of the library")

    aw = _command(actions, "add-wave", plan_add_wave, "add a wave to a plan")
    aw.add_argument("name", metavar="NAME", help="the wave's name")
    aw.add_argument("--position", type=int, metavar="N", help="insert it as wave N (default: last)")
    aw.add_argument("--pause-before", action="store_true", help="pause for a go-ahead before the wave starts")
    aw.add_argument("--timeout", type=int, metavar="MINUTES", default=DEFAULT_WAVE_TIMEOUT_MINUTES,
                    help="minutes the wave may take (default %(default)s)")
    aw.add_argument("--selector", metavar="EXPR", help="tag selector, e.g. 'Application=payments AND Tier=web'")

    asv = _command(actions, "add-servers", plan_add_servers, "add source servers (or a tag selector) to a wave",
                   "Add source servers by ID to a wave (their names come from the cached inventory when "
                   "there is one), and/or set the wave's tag selector: the wave then also recovers every server whose "
                   "tags match it when it runs. Servers already in the wave are skipped.",
                   wave=True, ids="source server IDs (s-...)")
    asv.add_argument("--selector", metavar="EXPR", help="set the wave's tag selector (replaces the one it has)")

    mv = _command(actions, "move", plan_move, "move a wave, or servers to another wave",
                  "With --to N: move WAVE so that it becomes wave N. With --to-wave: move the servers "
                  "ID... of WAVE to another wave (at its end, or before its server --position N).",
                  wave=True, ids="with --to-wave: the servers to move")
    where = mv.add_mutually_exclusive_group(required=True)
    where.add_argument("--to", type=int, metavar="N", help="the wave's new number")
    where.add_argument("--to-wave", metavar="WAVE", help="the wave the servers go to")
    mv.add_argument("--position", type=int, metavar="N", help="with --to-wave: before its Nth server (default: last)")

    rm = _command(actions, "remove", plan_remove, "remove a wave, servers of a wave, or a wave's selector",
                  "Without ID: remove WAVE (and its servers) from the plan. With IDs: remove those servers "
                  "from WAVE. With --selector: clear WAVE's tag selector.", wave=True, ids="the servers to remove")
    rm.add_argument("--selector", action="store_true", help="clear the wave's tag selector")

    sw = _command(actions, "set-wave", plan_set_wave, "set a wave's impact level or its wait before it",
                  "Set WAVE's default impact level for its servers (--critical or --optional: on the DRS native "
                  "engine an OPTIONAL server's failure does not fail the step) and/or the timed wait before it "
                  f"(--delay MINUTES, 0 to {MAX_DELAY_MINUTES}, or none: the native plan's WAIT steps; the Step "
                  "Functions backend does not wait).", wave=True)
    _critical_args(sw, "the wave's servers")
    sw.add_argument("--delay", metavar="MINUTES|none", help="minutes to wait before the wave starts, or none")

    ss = _command(actions, "set-server", plan_set_server, "set the impact level of servers of a wave",
                  "Set servers of WAVE CRITICAL (--critical) or OPTIONAL (--optional), or back to the wave's "
                  "level (--wave-default).", wave=True, ids="the servers (s-...)")
    _critical_args(ss, "the servers")
    ss.add_argument("--wave-default", action="store_true", help="the servers follow the wave's level again")

    rto = _command(actions, "set-rto", plan_set_rto, "set or clear the plan's RTO target",
                   "Set the plan's recovery time objective (RTO target): the minutes a whole recovery may "
                   f"take, {MIN_RTO_TARGET_MINUTES} to {MAX_RTO_TARGET_MINUTES}; 'none' clears it. 'plan readiness' "
                   "compares the last drill's achieved recovery time with it.")
    rto.add_argument("minutes", metavar="MINUTES|none", help="whole minutes, or none")

    im = _command(actions, "import", plan_import, "copy plan files into the library",
                  "Copy plan files into the library (converted to the current format; a plan whose ID "
                  "is already there gets a new ID). Exit code 2 when a file cannot be imported.", plan=False)
    im.add_argument("files", nargs="+", metavar="FILE", help="plan files (JSON)")

    ex = _command(actions, "export", plan_export, "write a copy of a plan to a file",
                  "Write a copy of a plan to FILE (or into a folder), atomically.")
    ex.add_argument("dest", metavar="FILE", help="file (replaced if it exists) or folder")

    de = _command(actions, "delete", plan_delete, "move library plans to the library's trash",
                  "Move plans of the library (and their .bak) to its .trash folder.", plan=False)
    de.add_argument("plans", nargs="+", metavar="PLAN", help="a library plan's ID (or its start), name or file name")


# --- finding plans, waves and servers -----------------------------------------------------


def resolve_plan(library: PlanLibrary, ref: str) -> Path:
    """The file a PLAN argument names: a file, else one plan of the library."""
    path = Path(ref)
    if path.is_file():
        return path
    key = ref.strip().casefold()
    matches: dict[Path, str] = {}
    entries = library.list_entries(lambda _plan: [])
    for e in entries:
        if e.error is not None:
            if key in (e.path.name.casefold(), e.path.stem.casefold()):
                return e.path  # reading it reports why it is unusable
            continue
        if key == e.plan_id or key in (e.name.casefold(), e.path.name.casefold(), e.path.stem.casefold()):
            matches[e.path] = e.name
    if not matches:  # the start of a name, file name or (4 characters or more) ID
        matches = {
            e.path: e.name for e in entries if e.error is None and (
                e.name.casefold().startswith(key) or e.path.name.casefold().startswith(key)
                or (len(key) >= 4 and e.plan_id.startswith(key))
            )
        }
    if len(matches) == 1:
        return next(iter(matches))
    if not matches and ("/" in ref or os.sep in ref or ref.endswith(".json")):
        return path  # meant as a file: reading it says what is wrong (no such file, a folder, ...)
    if matches:
        names = "; ".join(f"{n!r} ({p.name})" for p, n in sorted(matches.items()))
        raise BadInput(f"{ref!r} names {len(matches)} plans of the library: {names}.", "Give the plan's ID or file.")
    raise BadInput(
        f"No plan {ref!r}: it is neither a plan file nor a plan of the library {library.folder} "
        f"({plural(sum(1 for e in entries if e.ok), 'plan')}).",
        "See 'drs-console plan list', or give the path of a plan file.",
    )


def _open_for_edit(ctx: CliContext, ref: str) -> tuple[PlanLibrary, LoadedPlan, Path]:
    library = library_for(ctx)
    path = resolve_plan(library, ref)
    loaded = read_plan_file(path)
    if loaded.read_only:
        raise PlanFileError(path, "was written by a newer DRS Console and is read-only here; update DRS Console")
    return library, loaded, path


def resolve_wave(plan: Plan, ref: str) -> int:
    """The index of the wave a WAVE argument names."""
    text = ref.strip()
    if text.isdigit():
        number = int(text)
        if 1 <= number <= len(plan.waves):
            return number - 1
        raise BadInput(f"Plan {plan.name!r} has no wave {number}: {_waves_text(plan)}.", "Give a wave number, name or ID.")
    key = text.casefold()
    hits = [i for i, w in enumerate(plan.waves) if w.id == text or w.name.strip().casefold() == key]
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise BadInput(
            f"Plan {plan.name!r} has {len(hits)} waves named {ref!r} (waves {', '.join(str(i + 1) for i in hits)}).",
            "Give the wave's number instead.",
        )
    raise BadInput(f"Plan {plan.name!r} has no wave {ref!r}: {_waves_text(plan)}.", "Give a wave number, name or ID.")


def _waves_text(plan: Plan) -> str:
    if not plan.waves:
        return "it has no waves yet (add one with 'drs-console plan add-wave')"
    return "its waves are " + ", ".join(f'{i + 1} "{w.name}"' for i, w in enumerate(plan.waves))


def _server_ids(ids: list[str]) -> list[str]:
    bad = [i for i in ids if not SERVER_ID.match(i)]
    if bad:
        raise BadInput(
            f"{', '.join(repr(b[:40]) for b in bad[:5])} {noun(len(bad), 'is')} not {noun(len(bad), 'a source server ID', 'source server IDs')} "
            "(s- and 17 letters or digits).",
            "Copy the IDs from 'drs-console inventory'.",
        )
    return list(dict.fromkeys(ids))


def _held_ids(plan: Plan, index: int, args: argparse.Namespace) -> list[str]:
    """``args.server_ids``, checked: source server IDs that wave ``index`` holds."""
    ids = _server_ids(args.server_ids)
    wave = plan.wave(index)
    missing = [i for i in ids if i not in set(wave.server_ids())]
    if missing:
        raise BadInput(f"Wave {index + 1} \"{wave.name}\" does not hold {', '.join(missing)}.",
                       f"See 'drs-console plan show {args.plan}'.")
    return ids


def _refs(plan: Plan, ids: list[str], endpoint: str = "") -> list[ServerRef]:
    """ServerRefs with the display details (and the holding account) of the cached inventory of the plan's target, if any."""
    snapshot = None
    if plan.target_account_id and plan.target_region:
        try:
            from ...store.inventory_cache import InventoryCache

            # the cache of this connection's endpoint (an --endpoint-url or sandbox run keeps its own)
            snapshot = InventoryCache().load(plan.target_account_id, plan.target_region, endpoint)
        except (OSError, ValueError):
            snapshot = None
    by_id = {s.source_server_id: s for s in snapshot.servers} if snapshot else {}
    # a server a known account holds records that account, as the editor's picker does
    return [ServerRef.from_inventory(by_id[i], snapshot.account_id) if i in by_id else ServerRef(i) for i in ids]


def _check_selector(text: str) -> str:
    TagSelector.parse(text)  # SelectorSyntaxError (a BadInput) says where it is wrong
    return text


def _position(value: int | None, limit: int, what: str) -> int | None:
    """A 1-based --position/--to value -> an index (None stays None)."""
    if value is None:
        return None
    if not 1 <= value <= limit:
        raise BadInput(f"{what} must be 1..{limit}, not {value}.", "")
    return value - 1


def _edit(fn: Callable[[], Any]) -> Any:
    """Run a domain edit; its ValueError/TypeError/IndexError (a limit of the format) is bad input."""
    try:
        return fn()
    except (ValueError, TypeError, IndexError) as exc:
        raise BadInput(f"{str(exc)[:1].upper()}{str(exc)[1:]}.", "Nothing was saved.") from exc


# --- output -------------------------------------------------------------------------------


def _save_and_report(ctx: CliContext, args: argparse.Namespace, library: PlanLibrary, plan: Plan, path: Path | None,
                     action: str, text: str, **details: Any) -> int:
    saved = library.save(plan, path)
    summary = summarize(_context_for(ctx, plan).validate(plan))
    if args.json:
        ctx.print_json({
            "action": action,
            "path": str(saved),
            **details,
            "validation": {"valid": summary.ok, "errors": summary.errors, "warnings": summary.warnings},
            "plan": plan.to_dict(),
        })
    else:
        ctx.print(text)
        ctx.print(f"Saved {saved} (validation: {summary.text()}"
                  + (f"; details: drs-console plan validate {saved})" if not summary.ok or summary.warnings else ")"))
    return EXIT_OK


# --- commands -----------------------------------------------------------------------------


def plan_new(args: argparse.Namespace, ctx: CliContext) -> int:
    if not args.name.strip():
        raise BadInput("The plan's name is empty.", "Give it a name, e.g. drs-console plan new \"Payments failover\".")
    plan = Plan.new("")
    _edit(lambda: plan.rename(args.name))
    _edit(lambda: plan.set_attribute("target_account_id", args.target_account.strip()))
    _edit(lambda: plan.set_attribute("target_region", args.target_region.strip()))
    _edit(lambda: plan.set_attribute("description", args.description))
    for name in args.waves:
        _edit(lambda name=name: plan.add_wave(None, Wave(name=name)))
    library = library_for(ctx)
    path = Path(args.file) if args.file else library.path_for_new(plan)
    if args.file and path.exists():
        raise BadInput(f"{path} already exists.", "Choose another file, or edit that plan.")
    return _save_and_report(ctx, args, library, plan, path, "new",
                            f"Created plan {plan.name!r} ({plan.id}) with {plural(len(plan.waves), 'wave')}.",
                            planId=plan.id)


def plan_add_wave(args: argparse.Namespace, ctx: CliContext) -> int:
    library, loaded, path = _open_for_edit(ctx, args.plan)
    plan = loaded.plan
    selector = _check_selector(args.selector) if args.selector else None
    index = _position(args.position, len(plan.waves) + 1, "--position")
    wave = _edit(lambda: Wave(name=args.name, selector=selector, pause_before=bool(args.pause_before)))
    index = _edit(lambda: plan.add_wave(index, wave))
    _edit(lambda: plan.set_wave_option(index, "name", args.name))  # the format's limits, as the editor sets it
    _edit(lambda: plan.set_wave_option(index, "timeout_minutes", args.timeout))
    return _save_and_report(ctx, args, library, plan, path, "add-wave",
                            f'Added wave {index + 1} "{wave.name}" to plan {plan.name!r}.',
                            waveIndex=index, waveId=wave.id)


def plan_add_servers(args: argparse.Namespace, ctx: CliContext) -> int:
    if not args.server_ids and args.selector is None:
        raise BadInput("Nothing to add.", "Give source server IDs, and/or --selector EXPR.")
    library, loaded, path = _open_for_edit(ctx, args.plan)
    plan = loaded.plan
    index = resolve_wave(plan, args.wave)
    ids = _server_ids(args.server_ids)
    selector = _check_selector(args.selector) if args.selector else None
    from ...store.inventory_cache import cache_endpoint

    endpoint = cache_endpoint(ctx.endpoint_url, ctx.sandbox)
    positions = _edit(lambda: plan.add_servers(index, _refs(plan, ids, endpoint)))
    wave = plan.wave(index)
    added = [wave.servers[p].source_server_id for p in positions]
    skipped = [i for i in ids if i not in frozenset(added)]
    parts = []
    if ids:
        parts.append(f"Added {plural(len(added), 'server')} to wave {index + 1} \"{wave.name}\""
                     + (f" ({len(skipped)} already in it)" if skipped else "") + ".")
    if args.selector is not None:
        _edit(lambda: plan.set_selector(index, selector))
        parts.append(f"Wave {index + 1} \"{wave.name}\" selector: {wave.selector}.")
    elsewhere = {i: plan.waves_containing(i) for i in added}
    for sid, waves in elsewhere.items():
        others = [w + 1 for w in waves if w != index]
        if others:
            parts.append(f"Note: {sid} is also in wave {', '.join(map(str, others))}; a server may be in one wave only.")
    return _save_and_report(ctx, args, library, plan, path, "add-servers", "\n".join(parts),
                            waveIndex=index, added=added, skipped=skipped, selector=wave.selector)


def plan_move(args: argparse.Namespace, ctx: CliContext) -> int:
    library, loaded, path = _open_for_edit(ctx, args.plan)
    plan = loaded.plan
    src = resolve_wave(plan, args.wave)
    if args.to is not None:
        if args.server_ids or args.position is not None:
            raise BadInput("--to moves a whole wave; it takes no server IDs and no --position.",
                           "To move servers, use --to-wave WAVE.")
        dst = _position(args.to, len(plan.waves), "--to")
        name = plan.wave(src).name
        _edit(lambda: plan.move_wave(src, dst))
        return _save_and_report(ctx, args, library, plan, path, "move",
                                f'Moved wave "{name}" from {src + 1} to {dst + 1}.', fromIndex=src, toIndex=dst)
    if not args.server_ids:
        raise BadInput("--to-wave needs the IDs of the servers to move.", f"Add them after WAVE ({args.wave}).")
    ids = _held_ids(plan, src, args)
    wave = plan.wave(src)
    dst = resolve_wave(plan, args.to_wave)
    position = _position(args.position, len(plan.wave(dst).servers) + 1, "--position")
    _edit(lambda: plan.move_servers(src, ids, dst, position))
    what = plural(len(ids), "server")
    text = (f"Reordered {what} in wave {src + 1}." if src == dst
            else f'Moved {what} from wave {src + 1} "{wave.name}" to wave {dst + 1} "{plan.wave(dst).name}".')
    return _save_and_report(ctx, args, library, plan, path, "move", text, fromIndex=src, toIndex=dst, moved=ids)


def plan_remove(args: argparse.Namespace, ctx: CliContext) -> int:
    library, loaded, path = _open_for_edit(ctx, args.plan)
    plan = loaded.plan
    index = resolve_wave(plan, args.wave)
    wave = plan.wave(index)
    parts: list[str] = []
    details: dict[str, Any] = {"waveIndex": index}
    if args.server_ids:
        ids = _held_ids(plan, index, args)
        _edit(lambda: plan.remove_servers(index, ids))
        parts.append(f'Removed {plural(len(ids), "server")} from wave {index + 1} "{wave.name}".')
        details["removed"] = ids
    if args.selector:
        if wave.selector is None:
            raise BadInput(f"Wave {index + 1} \"{wave.name}\" has no selector.", "Nothing was changed.")
        _edit(lambda: plan.set_selector(index, None))
        parts.append(f'Cleared the selector of wave {index + 1} "{wave.name}".')
        details["selectorCleared"] = True
    if not parts:
        _edit(lambda: plan.remove_wave(index))
        parts.append(f'Removed wave {index + 1} "{wave.name}" ({plural(len(wave.servers), "server")}) '
                     f"from plan {plan.name!r}.")
        details["removedWave"] = wave.id
    return _save_and_report(ctx, args, library, plan, path, "remove", "\n".join(parts), **details)


def parse_rto_minutes(text: str) -> int | None:
    """MINUTES|none -> the RTO target (None clears it); BadInput says the range."""
    value = text.strip()
    if value.casefold() in ("none", "off", "-"):
        return None
    hint = f"Give whole minutes from {MIN_RTO_TARGET_MINUTES} to {MAX_RTO_TARGET_MINUTES}, or none to clear it."
    if not re.fullmatch(r"\d{1,9}", value):
        raise BadInput(f"{text!r} is not a number of minutes.", hint)
    return int(value)


def plan_set_rto(args: argparse.Namespace, ctx: CliContext) -> int:
    library, loaded, path = _open_for_edit(ctx, args.plan)
    plan = loaded.plan
    minutes = parse_rto_minutes(args.minutes)
    old = _edit(lambda: plan.set_rto_target(minutes))
    text = (f"Cleared the RTO target of {plan.name!r}." if minutes is None
            else f"Set the RTO target of {plan.name!r} to {minutes} min.")
    return _save_and_report(ctx, args, library, plan, path, "set-rto", text,
                            rtoTargetMinutes=minutes, previousRtoTargetMinutes=old)


def parse_delay_minutes(text: str) -> int:
    """MINUTES|none -> the wave's delay (none: 0); BadInput says the range."""
    value = text.strip()
    if value.casefold() in ("none", "off", "-", "0"):
        return 0
    hint = f"Give whole minutes from 0 to {MAX_DELAY_MINUTES}, or none for no wait."
    if not re.fullmatch(r"\d{1,9}", value) or int(value) > MAX_DELAY_MINUTES:
        raise BadInput(f"--delay {text!r} is not a number of minutes from 0 to {MAX_DELAY_MINUTES}.", hint)
    return int(value)


def _level(critical: bool | None) -> str:
    return "the wave's" if critical is None else ("CRITICAL" if critical else "OPTIONAL")


def plan_set_wave(args: argparse.Namespace, ctx: CliContext) -> int:
    if args.critical is None and args.delay is None:
        raise BadInput("Nothing to set.", "Give --critical or --optional, and/or --delay MINUTES|none.")
    delay = parse_delay_minutes(args.delay) if args.delay is not None else None
    library, loaded, path = _open_for_edit(ctx, args.plan)
    plan = loaded.plan
    index = resolve_wave(plan, args.wave)
    wave = plan.wave(index)
    parts = []
    if args.critical is not None:
        _edit(lambda: plan.set_wave_option(index, "critical", args.critical))
        parts.append(f'Wave {index + 1} "{wave.name}": its servers are {_level(args.critical)} by default.')
    if delay is not None:
        _edit(lambda: plan.set_wave_option(index, "delay_minutes", delay))
        parts.append(f'Wave {index + 1} "{wave.name}": ' + (f"waits {delay} min before it starts." if delay
                                                              else "starts without a wait."))
    return _save_and_report(ctx, args, library, plan, path, "set-wave", "\n".join(parts), waveIndex=index,
                            critical=wave.critical, delayMinutes=wave.delay_minutes)


def plan_set_server(args: argparse.Namespace, ctx: CliContext) -> int:
    if (args.critical is None) == (not args.wave_default):
        raise BadInput("Say what to set: one of --critical, --optional or --wave-default.", "")
    if not args.server_ids:
        raise BadInput("Give the IDs of the servers to set.", f"Add them after WAVE ({args.wave}).")
    library, loaded, path = _open_for_edit(ctx, args.plan)
    plan = loaded.plan
    index = resolve_wave(plan, args.wave)
    ids = _held_ids(plan, index, args)
    wave = plan.wave(index)
    critical = None if args.wave_default else args.critical
    _edit(lambda: plan.set_server_critical(index, ids, critical))
    text = (f'Set {plural(len(ids), "server")} of wave {index + 1} "{wave.name}" to {_level(critical)} '
            "impact level.")
    return _save_and_report(ctx, args, library, plan, path, "set-server", text, waveIndex=index, serverIds=ids,
                            critical=critical)


def plan_import(args: argparse.Namespace, ctx: CliContext) -> int:
    library = library_for(ctx)
    results: list[dict[str, Any]] = []
    failed = 0
    for name in args.files:
        try:
            loaded = library.import_file(name)
        except PlanFileError as exc:
            failed += 1
            results.append({"file": name, "imported": False, "error": exc.one_line()})
            if not args.json:
                ctx.fail(exc.one_line())
            continue
        plan = loaded.plan
        results.append({"file": name, "imported": True, "path": str(loaded.path), "planId": plan.id,
                        "name": plan.name, "notice": loaded.notice})
        if not args.json:
            ctx.print(f"Imported {name} as {plan.name!r} ({plan.id}): {loaded.path}")
            if loaded.notice:
                ctx.print(f"  Note: {loaded.notice}")
    if args.json:
        ctx.print_json({"library": str(library.folder), "files": results})
    return EXIT_OK if failed == 0 else EXIT_USAGE


def plan_export(args: argparse.Namespace, ctx: CliContext) -> int:
    library = library_for(ctx)
    source = resolve_plan(library, args.plan)
    loaded = read_plan_file(source)
    dest = Path(args.dest)
    if dest.is_dir():
        dest = dest / source.name
    if dest.resolve() == source.resolve():
        raise BadInput(f"{dest} is the plan's own file.", "Export to another file or folder.")
    try:
        library.export(loaded.plan, dest)
    except OSError as exc:
        raise BadInput(f"Cannot write {dest}: {exc.strerror or exc}.", "Choose a writable path.") from exc
    if args.json:
        ctx.print_json({"action": "export", "source": str(source), "path": str(dest), "planId": loaded.plan.id})
    else:
        ctx.print(f"Exported {loaded.plan.name!r} to {dest}")
    return EXIT_OK


def plan_delete(args: argparse.Namespace, ctx: CliContext) -> int:
    library = library_for(ctx)
    folder = library.folder.resolve()
    paths: list[Path] = []
    for ref in args.plans:
        path = resolve_plan(library, ref)
        if path.resolve().parent != folder:
            raise BadInput(f"{path} is not a plan of the library {library.folder}; nothing was deleted.",
                           "Only library plans are deleted (to its trash); remove other files yourself.")
        if not path.exists():
            raise BadInput(f"No plan file {path}; nothing was deleted.", "See 'drs-console plan list'.")
        paths.append(path)
    moved = [(p, library.delete(p)) for p in dict.fromkeys(paths)]
    if args.json:
        ctx.print_json({"action": "delete", "library": str(library.folder),
                        "deleted": [{"path": str(p), "trash": str(t)} for p, t in moved]})
    else:
        for p, t in moved:
            ctx.print(f"Moved {p.name} to the trash: {t}")
    return EXIT_OK
