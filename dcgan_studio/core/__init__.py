"""The Qt-free core: architecture, models, data, engine, snapshots, run directories, export.

Nothing under ``dcgan_studio.core`` imports PySide6, pyqtgraph or ``dcgan_studio.gui``; a test
checks it.
"""
