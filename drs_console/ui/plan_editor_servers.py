"""The plan editor's actions on the selected wave's servers: add from the inventory, remove, move
(to another wave, or reorder), and set their impact level; each one undoable edit (a
``QUndoCommand`` of ``plan_commands``) pushed through the editor's ``push``. A mixin of
``PlanEditor``, which owns the widgets it uses."""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel

from ..domain.plan import ServerRef
from ..domain.text import printable
from .inventory_picker import InventoryPicker
from .plan_commands import AddServers, MoveServers, RemoveServers, SetServerCritical


class ServerEditing:
    # -- servers -------------------------------------------------------------------------------
    def open_picker(self) -> InventoryPicker | None:
        idx = self.selected_wave_index()
        if idx is None:
            return None
        picker = InventoryPicker(
            self.inventory, f"wave {idx + 1} ({self.plan.wave(idx).name})", set(self.plan.explicit_server_ids()), self
        )
        picker.chosen.connect(lambda servers, i=idx: self.add_servers(i, servers))
        picker.finished.connect(lambda _r, p=picker: self._pickers.remove(p) if p in self._pickers else None)
        self._pickers.append(picker)
        picker.open()
        return picker

    def add_servers(self, wave_index: int, servers) -> None:
        refs = [s if isinstance(s, ServerRef) else ServerRef.from_server(s) for s in servers]
        self.push(AddServers(self.plan, wave_index, refs))

    def remove_selected_servers(self) -> None:
        idx = self.selected_wave_index()
        ids = self.selected_server_ids()
        if idx is not None and ids:
            self.push(RemoveServers(self.plan, idx, ids))

    def set_selected_servers_critical(self, critical: bool | None) -> bool:
        """The selected servers' impact level (None: the wave's), one undoable edit."""
        idx = self.selected_wave_index()
        ids = self.selected_server_ids()
        if idx is None or not ids:
            return False
        ok = self.push(SetServerCritical(self.plan, idx, ids, critical))
        if ok:
            self._select_servers(ids)
        return ok

    def move_servers(self, src: int, ids: list[str], dst: int, position: int | None) -> bool:
        ok = self.push(MoveServers(self.plan, src, ids, dst, position))
        if ok and src == dst:
            self._select_servers(ids)
        return ok

    def _select_servers(self, ids: list[str]) -> None:
        sel = self.server_table.selectionModel()
        sel.clearSelection()
        wanted = set(ids)
        for row in range(self.server_model.rowCount()):
            ref = self.server_model.ref_at(row)
            if ref and ref.source_server_id in wanted:
                sel.select(self.server_model.index(row, 0),
                           QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)

    def _reorder_selected_servers(self, delta: int) -> None:
        idx = self.selected_wave_index()
        ids = self.selected_server_ids()
        if idx is None or not ids:
            return
        rows = sorted(i.row() for i in self.server_table.selectionModel().selectedRows())
        if delta < 0:
            position = rows[0] - 1
            if position < 0:
                return
        else:
            position = rows[-1] + 2
            if position > self.server_model.rowCount():
                return
        self.move_servers(idx, ids, idx, position)

    def _move_selected_servers_to_wave(self, delta: int) -> None:
        idx = self.selected_wave_index()
        ids = self.selected_server_ids()
        if idx is None or not ids:
            return
        dst = idx + delta
        if 0 <= dst < len(self.plan.waves):
            self.move_servers(idx, ids, dst, None)

    def _fill_move_menu(self) -> None:
        menu = self.move_to_button.menu()
        menu.clear()
        idx = self.selected_wave_index()
        for i, wave in enumerate(self.plan.waves):
            if i == idx:
                continue
            menu.addAction(f"{i + 1}. {printable(wave.name)}", lambda d=i: self._move_selected_servers_to(d))

    def _move_selected_servers_to(self, dst: int) -> None:
        idx = self.selected_wave_index()
        ids = self.selected_server_ids()
        if idx is not None and ids:
            self.move_servers(idx, ids, dst, None)
