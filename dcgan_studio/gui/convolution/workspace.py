"""The convolution explorer as the window's workspace tab: the input and kernel models, the
picture reader and the view, put together."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from dcgan_studio.gui.convolution.explorer import ConvolutionExplorer
from dcgan_studio.gui.convolution.jobs import PictureReader
from dcgan_studio.gui.convolution.model import ExplorerInput, Kernel


def make_convolution_explorer(parent: QWidget | None = None, digit: int = 0) -> ConvolutionExplorer:
    """An explorer showing built-in digit ``digit`` through the edge kernel; ``shutdown()``
    stops its picture reader."""
    reader = PictureReader()
    source = ExplorerInput(reader)
    explorer = ConvolutionExplorer(source, Kernel(), reader, parent)
    source.select_digit(digit)
    return explorer
