"""Which copy of G a view draws with: G as training has it now, or G (EMA), its weights averaged
over its last updates (``optim.ema_decay``). The sample grid and the latent space offer it."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QComboBox

TIP = (
    "G: the generator as training has it now. G (EMA): G's weights averaged over its last "
    "updates (the G (EMA) decay setting), which tends to draw cleaner images than G, whose "
    "weights jump with every step."
)


def generator_choice(on_chosen: Callable[[bool], None], words: str) -> QComboBox:
    """A box of G and G (EMA), each after ``words`` ("Draw with"); ``on_chosen(True)`` when
    G (EMA) is chosen, False for G."""
    box = QComboBox()
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    # narrower than its text where the window is: cut, it never holds a small window wide
    box.setMinimumWidth(box.fontMetrics().horizontalAdvance(words[:2]) + 30)
    box.setObjectName("generator-choice")
    box.addItem(f"{words} G", False)
    box.addItem(f"{words} G (EMA)", True)
    box.setToolTip(TIP)
    box.currentIndexChanged.connect(lambda _: on_chosen(bool(box.currentData())))
    return box
