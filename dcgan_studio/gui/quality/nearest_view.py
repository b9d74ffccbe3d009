"""The memorisation check: an image G made, beside the five real training images nearest to it
in the feature space and in pixels, each with its distance. A view; the jobs do the search."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QGridLayout, QLabel, QProgressBar, QVBoxLayout, QWidget

from dcgan_studio.core.quality.nearest import NearestReal

THUMB = 56  # pixels a side
HINT = (
    "Click a tile of the sample grid, or a latent image's Nearest real button, to see the "
    "training images nearest to it: a G that copies its data shows near-zero distances."
)
TIP = (
    "In features: nearest in the feature space of the scores (what the image looks like to "
    "the classifier or network). In pixels: nearest by the root-mean-square difference of "
    "their pixels, in [0, 1]. Tiny distances in both mean G reproduces a training image."
)


def pixmap(image: np.ndarray, side: int = THUMB) -> QPixmap:
    """uint8 (S, S, C) -> a square pixmap ``side`` pixels wide, pixels kept sharp."""
    rgb = np.ascontiguousarray(np.repeat(image, 3, 2) if image.shape[2] == 1 else image)
    h, w = rgb.shape[:2]
    qimage = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()
    return QPixmap.fromImage(qimage).scaled(side, side, Qt.KeepAspectRatio, Qt.FastTransformation)


class NearestView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setToolTip(TIP)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel("Nearest real images")
        self.title.setStyleSheet("font-weight: bold;")
        layout.addWidget(self.title)
        self.hint = QLabel(HINT)
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #888;")
        layout.addWidget(self.hint)
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        layout.addWidget(self.progress)
        grid = QGridLayout()
        grid.setSpacing(3)
        self.query = QLabel()
        grid.addWidget(self.query, 1, 0, 3, 1, Qt.AlignTop)
        self.rows: dict[str, list[tuple[QLabel, QLabel]]] = {}
        for row, name in enumerate(("features", "pixels")):
            grid.addWidget(QLabel(f"in {name}"), 2 * row, 1, 1, 5)
            cells = []
            for k in range(5):
                image, distance = QLabel(), QLabel()
                distance.setStyleSheet("color: #666; font-size: 9pt;")
                box = QVBoxLayout()
                box.setSpacing(0)
                box.addWidget(image)
                box.addWidget(distance)
                grid.addLayout(box, 2 * row + 1, 1 + k)
                cells.append((image, distance))
            self.rows[name] = cells
        layout.addLayout(grid)
        layout.addStretch(1)
        self.found: NearestReal | None = None

    def show_indexing(self, done: int, total: int) -> None:
        self.progress.setVisible(True)
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.progress.setFormat(f"indexing the training images: {done:,} of {total:,}")

    def show_found(self, what: str, image: np.ndarray, found: NearestReal, note: str) -> None:
        """``found``: the neighbours of ``image`` (``what`` says which image it is)."""
        self.found = found
        self.progress.setVisible(False)
        self.hint.setText(note)
        self.title.setText(f"Nearest real images to {what}")
        self.query.setPixmap(pixmap(image, THUMB + 16))
        for name, neighbours in (("features", found.by_features), ("pixels", found.by_pixels)):
            for (picture, distance), real, d, index in zip(
                self.rows[name], neighbours.images, neighbours.distances, neighbours.indices
            ):
                picture.setPixmap(pixmap(real))
                picture.setToolTip(f"training image {index}")
                distance.setText(f"{d:.3g}")

    def show_error(self, text: str) -> None:
        self.progress.setVisible(False)
        self.hint.setText(text)
