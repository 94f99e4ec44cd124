"""Confirmation of a destructive action: the safe button is the default (Enter) and Escape's choice."""

from __future__ import annotations

from PySide6.QtWidgets import QAbstractButton, QMessageBox, QWidget


def destructive_box(
    parent: QWidget | None,
    *,
    title: str,
    text: str,
    informative: str = "",
    destructive: str,
    safe: str = "Cancel",
) -> tuple[QMessageBox, QAbstractButton]:
    """A warning box with a destructive and a safe button; returns (box, the destructive button).

    Shown by the caller with ``open()`` (never ``exec()``). Pressing Enter or Escape picks ``safe``:
    only a deliberate click (or its mnemonic) destroys anything."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(title)
    box.setText(text)
    if informative:
        box.setInformativeText(informative)
    yes = box.addButton(destructive, QMessageBox.ButtonRole.DestructiveRole)
    no = box.addButton(safe, QMessageBox.ButtonRole.RejectRole)
    yes.setAutoDefault(False)
    box.setDefaultButton(no)
    box.setEscapeButton(no)
    return box, yes
