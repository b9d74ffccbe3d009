"""The two sets of sliders that move the vector on screen: one per number of z, and one per
principal direction of G. Views of ``LatentSelection``: a slider moved changes the model, and the
sliders follow the model when another vector is chosen."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget

from dcgan_studio.gui.latent.model import DIRECTION_SAMPLES, LatentSelection
from dcgan_studio.gui.widgets.image_view import SliderBank

DIRECTIONS_TIP = (
    f"GANSpace-style: run G on {DIRECTION_SAMPLES} random z, find the principal components of an "
    "early layer's activations (the ways it varies most), and map each back to a direction in "
    "z. Moving along one tends to change one visible property of the image at a time."
)
NOT_FOUND_YET = "Not found yet: press Find directions."


class _SliderTab(QWidget):
    """A row of controls (the last ones at the right), an optional line under it, and a bank of
    sliders over [low, high] filling the rest."""

    def __init__(
        self,
        row: list[QWidget | None],
        low: float,
        high: float,
        note: QWidget | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        line = QHBoxLayout()
        for widget in row:  # None: the stretch
            if widget is None:
                line.addStretch(1)
            else:
                line.addWidget(widget, 1 if isinstance(widget, QLabel) else 0)
        layout.addLayout(line)
        if note is not None:
            layout.addWidget(note)  # under the buttons: a sentence or two
        self.sliders = SliderBank(low, high)
        layout.addWidget(self.sliders, 1)


def _button(text: str, tooltip: str, clicked: Callable[[], None]) -> QPushButton:
    button = QPushButton(text)
    button.setToolTip(tooltip)
    button.clicked.connect(clicked)
    return button


class DimensionsPanel(_SliderTab):
    def __init__(self, model: LatentSelection, parent: QWidget | None = None) -> None:
        hint = QLabel("A slider per number of z")
        hint.setToolTip(
            "One slider per number of z, from −3 to 3: a standard normal rarely goes further."
        )
        hint.setWordWrap(True)
        reset = _button(
            "Reset", "Back to the chosen vector, undoing every slider.", model.reset_sliders
        )
        randomise = _button("Randomise", "A new random vector (a new seed).", model.random_vector)
        super().__init__([hint, reset, randomise], -3.0, 3.0, None, parent)
        self.model = model
        self.reset_button, self.randomise_button = reset, randomise
        self.sliders.moved.connect(model.set_dimension)
        model.generator_changed.connect(self._on_model_generator_changed)
        model.chosen.connect(self._on_model_chosen)

    def _on_model_generator_changed(self) -> None:
        self.sliders.set_rows([f"z{i}" for i in range(self.model.generator.nz)])
        self._on_model_chosen()

    def _on_model_chosen(self) -> None:
        if self.model.edited is not None:
            self.sliders.set_values(self.model.edited)


class DirectionsPanel(_SliderTab):
    def __init__(
        self,
        model: LatentSelection,
        find_directions: Callable[[], None],
        parent: QWidget | None = None,
    ) -> None:
        find = _button("Find directions", DIRECTIONS_TIP, find_directions)
        busy = QProgressBar()
        busy.setRange(0, 0)  # indeterminate: a busy indicator
        busy.setMaximumWidth(120)
        busy.setVisible(False)
        reset = _button("Reset", "Every direction back to 0.", model.reset_directions)
        label = QLabel(NOT_FOUND_YET)
        label.setWordWrap(True)
        label.setToolTip(DIRECTIONS_TIP)
        super().__init__([find, busy, None, reset], -5.0, 5.0, label, parent)
        self.model = model
        self.find_button, self.busy, self.reset_button, self.label = find, busy, reset, label
        self.sliders.moved.connect(model.set_alpha)
        model.directions_changed.connect(self._on_model_directions_changed)
        model.chosen.connect(lambda: self.sliders.set_values(model.alphas))

    def _on_model_directions_changed(self) -> None:
        """A slider per direction found; the search's state in the label."""
        model, directions = self.model, self.model.directions
        self.find_button.setEnabled(model.search != "searching")
        self.busy.setVisible(model.search == "searching")
        shares = [] if directions is None else [100 * share for share in directions.explained]
        self.sliders.set_rows(
            [f"PC{i + 1} · {share:.1f} %" for i, share in enumerate(shares)],
            [
                f"Adds α × direction {i + 1} to z; this component holds {share:.1f} % "
                f"of the variance of {directions.layer}."
                for i, share in enumerate(shares)
            ],
        )
        self.sliders.set_values(model.alphas)
        self.label.setText(self._state_text())

    def _state_text(self) -> str:
        model = self.model
        if model.search == "searching":
            return f"Sampling G {DIRECTION_SAMPLES} times…"
        if model.search == "failed":
            return "Not found."
        if model.directions is None:
            return NOT_FOUND_YET
        step = model.generator.step if model.generator is not None else "?"
        return (
            f"Top {len(model.directions.vectors)} directions of {model.directions.layer} "
            f"(G at step {step}). Each slider adds α × direction."
        )
