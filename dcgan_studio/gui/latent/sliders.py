"""The explorer's two sets of sliders: one per number of z, and the principal directions of G.

Views only: they show values and say what moved; the explorer keeps the vector and renders.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from dcgan_studio.gui.widgets.image_view import SliderBank

DIRECTIONS_TIP = (
    "GANSpace-style: run G on 2000 random z, find the principal components of an early "
    "layer's activations (the ways it varies most), and map each back to a direction in z. "
    "Moving along one tends to change one visible property of the image at a time."
)


class DimensionsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        hint = QLabel("A slider per number of z")
        hint.setToolTip(
            "One slider per number of z, from −3 to 3: a standard normal rarely goes further."
        )
        hint.setWordWrap(True)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Back to the chosen vector, undoing every slider.")
        self.randomise_button = QPushButton("Randomise")
        self.randomise_button.setToolTip("A new random vector (a new seed).")
        row.addWidget(hint, 1)
        row.addWidget(self.reset_button)
        row.addWidget(self.randomise_button)
        layout.addLayout(row)
        self.sliders = SliderBank(-3.0, 3.0)
        layout.addWidget(self.sliders, 1)


class DirectionsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        row = QHBoxLayout()
        self.find_button = QPushButton("Find directions")
        self.find_button.setToolTip(DIRECTIONS_TIP)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)  # indeterminate: a busy indicator
        self.busy.setMaximumWidth(120)
        self.busy.setVisible(False)
        self.label = QLabel("Not found yet: press Find directions.")
        self.label.setWordWrap(True)
        self.label.setToolTip(DIRECTIONS_TIP)
        self.reset_button = QPushButton("Reset")
        self.reset_button.setToolTip("Every direction back to 0.")
        row.addWidget(self.find_button)
        row.addWidget(self.busy)
        row.addStretch(1)
        row.addWidget(self.reset_button)
        layout.addLayout(row)
        layout.addWidget(self.label)  # under the buttons: it is a sentence or two
        self.sliders = SliderBank(-5.0, 5.0)
        layout.addWidget(self.sliders, 1)
