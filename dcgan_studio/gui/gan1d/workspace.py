"""The 1-D GAN playground as the window's workspace tab: the training loop, its worker, the model
and the view, put together."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from dcgan_studio.core.gan1d import Gan1dConfig
from dcgan_studio.core.gan1d_runner import Gan1dRunner
from dcgan_studio.gui.gan1d.jobs import Gan1dService
from dcgan_studio.gui.gan1d.model import PlaygroundModel
from dcgan_studio.gui.gan1d.playground import Gan1dPlayground


def make_playground(parent: QWidget | None = None) -> Gan1dPlayground:
    """A playground with the default settings, its training loop running (paused) on the
    ``dcgan-gan1d`` worker; ``shutdown()`` ends it."""
    config = Gan1dConfig().validate()
    runner = Gan1dRunner(config)
    model = PlaygroundModel(runner, config)
    service = Gan1dService(runner)
    service.reconfigured.connect(model.applied)
    service.failed.connect(model.failed)
    playground = Gan1dPlayground(model, service, parent)
    service.setParent(playground)  # goes with the widget, and ends the loop if not stopped
    service.start()
    return playground
