"""Every plan edit is a QUndoCommand that changes the domain Plan (never widgets).

Widgets follow the plan through its change notifications, so undo and redo update every view.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtGui import QUndoCommand

from ..domain.plan import Plan, ServerMove, ServerRef, Wave


class PlanCommand(QUndoCommand):
    def __init__(self, plan: Plan, text: str):
        super().__init__(text)
        self.plan = plan


class SetPlanAttribute(PlanCommand):
    def __init__(self, plan: Plan, attribute: str, value: Any, label: str | None = None):
        super().__init__(plan, f"Change {label or attribute.replace('_', ' ')}")
        self.attribute, self.value = attribute, value
        self.old: Any = getattr(plan, attribute)

    def redo(self) -> None:
        self.old = self.plan.set_attribute(self.attribute, self.value)

    def undo(self) -> None:
        self.plan.set_attribute(self.attribute, self.old)


class AddWave(PlanCommand):
    def __init__(self, plan: Plan, index: int | None, wave: Wave):
        super().__init__(plan, f'Add wave "{wave.name}"')
        self.index, self.wave = index, wave

    def redo(self) -> None:
        self.index = self.plan.add_wave(self.index, self.wave)

    def undo(self) -> None:
        self.plan.remove_wave(self.index)


class RemoveWave(PlanCommand):
    def __init__(self, plan: Plan, index: int):
        super().__init__(plan, f'Delete wave "{plan.wave(index).name}"')
        self.index = index
        self.wave: Wave | None = None

    def redo(self) -> None:
        self.wave = self.plan.remove_wave(self.index)

    def undo(self) -> None:
        assert self.wave is not None
        self.plan.add_wave(self.index, self.wave)


class MoveWave(PlanCommand):
    def __init__(self, plan: Plan, src: int, dst: int):
        super().__init__(plan, f'Move wave "{plan.wave(src).name}" to position {dst + 1}')
        self.src, self.dst = src, dst

    def redo(self) -> None:
        self.plan.move_wave(self.src, self.dst)

    def undo(self) -> None:
        self.plan.move_wave(self.dst, self.src)


class SetWaveOption(PlanCommand):
    def __init__(self, plan: Plan, index: int, option: str, value: Any, label: str | None = None):
        super().__init__(plan, f"Change wave {index + 1} {label or option.replace('_', ' ')}")
        self.index, self.option, self.value = index, option, value
        self.old: Any = getattr(plan.wave(index), option)

    def redo(self) -> None:
        self.old = self.plan.set_wave_option(self.index, self.option, self.value)

    def undo(self) -> None:
        self.plan.set_wave_option(self.index, self.option, self.old)


class AddServers(PlanCommand):
    def __init__(self, plan: Plan, wave_index: int, refs: Sequence[ServerRef], position: int | None = None):
        super().__init__(plan, f"Add {len(refs)} server{'s' if len(refs) != 1 else ''} to wave {wave_index + 1}")
        self.wave_index, self.refs, self.position = wave_index, list(refs), position
        self.added: list[str] = []

    def redo(self) -> None:
        positions = self.plan.add_servers(self.wave_index, self.refs, self.position)
        wave = self.plan.wave(self.wave_index)
        self.added = [wave.servers[p].source_server_id for p in positions]

    def undo(self) -> None:
        self.plan.remove_servers(self.wave_index, self.added)


class RemoveServers(PlanCommand):
    def __init__(self, plan: Plan, wave_index: int, server_ids: Sequence[str]):
        n = len(server_ids)
        super().__init__(plan, f"Remove {n} server{'s' if n != 1 else ''} from wave {wave_index + 1}")
        self.wave_index, self.server_ids = wave_index, list(server_ids)
        self.removed: list[tuple[int, ServerRef]] = []

    def redo(self) -> None:
        self.removed = self.plan.remove_servers(self.wave_index, self.server_ids)

    def undo(self) -> None:
        self.plan.insert_servers_at(self.wave_index, self.removed)


class MoveServers(PlanCommand):
    def __init__(
        self, plan: Plan, src_wave: int, server_ids: Sequence[str], dst_wave: int, position: int | None = None
    ):
        n = len(server_ids)
        what = f"{n} server{'s' if n != 1 else ''}"
        text = (
            f"Reorder {what} in wave {src_wave + 1}"
            if src_wave == dst_wave
            else f"Move {what} from wave {src_wave + 1} to wave {dst_wave + 1}"
        )
        super().__init__(plan, text)
        self.src_wave, self.server_ids, self.dst_wave, self.position = src_wave, list(server_ids), dst_wave, position
        self.move: ServerMove | None = None

    def redo(self) -> None:
        self.move = self.plan.move_servers(self.src_wave, self.server_ids, self.dst_wave, self.position)

    def undo(self) -> None:
        assert self.move is not None
        self.plan.undo_move_servers(self.move)


class SetServerCritical(PlanCommand):
    """Servers' impact level: True CRITICAL, False OPTIONAL, None the wave's (undo: each its old one)."""

    def __init__(self, plan: Plan, wave_index: int, server_ids: Sequence[str], critical: bool | None):
        n = len(server_ids)
        level = "the wave's impact" if critical is None else ("critical" if critical else "optional")
        super().__init__(plan, f"Set {n} server{'s' if n != 1 else ''} of wave {wave_index + 1} {level}")
        self.wave_index, self.server_ids, self.critical = wave_index, list(server_ids), critical
        self.old: dict[str, bool | None] = {}

    def redo(self) -> None:
        self.old = self.plan.set_server_critical(self.wave_index, self.server_ids, self.critical)

    def undo(self) -> None:
        for value in dict.fromkeys(self.old.values()):
            self.plan.set_server_critical(self.wave_index, [s for s, v in self.old.items() if v is value], value)
