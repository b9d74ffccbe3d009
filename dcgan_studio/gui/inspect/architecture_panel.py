"""G and D as data flow: one row per layer with its shapes, size formula and parameters.

The rows come from the ``InspectionTarget``'s plans (``core.architecture``'s, which the models are
built from), so they show the real shapes. Hovering a row explains its layer kind; selecting it
fills the info pane and emits ``layer_selected``.
"""

from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from dcgan_studio.core.architecture import LayerSpec, NetworkPlan
from dcgan_studio.core.concepts import explain
from dcgan_studio.gui.inspect.layer_names import shape_text, type_text
from dcgan_studio.gui.inspect.model import InspectionTarget

NETWORKS = {"g": "Generator (G)", "d": "Discriminator (D)"}
# the size formula before the parameter count, and k, s and p in one column: in the dock's
# usual width (about 540 px on a 1920 px screen) the formula is in sight without scrolling
COLUMNS = ("Layer", "Type", "k, s, p", "In", "Out", "Size formula", "Params")
COLUMN_TIPS = (
    "Name of the module in the network",
    "What the layer does",
    "Kernel size k, stride s and padding p",
    "Input shape: channels × height × width",
    "Output shape: channels × height × width",
    "Output height o from input height i, with this layer's numbers",
    "Trainable parameters (weights, BatchNorm scale and shift)",
)
FORMULA = COLUMNS.index("Size formula")
PARAMS = COLUMNS.index("Params")
INFO_HINT = "<p><i>Select a layer to read what it does.</i></p>"


def formula_parts(layer: LayerSpec) -> tuple[str, str]:
    """``o = (i - 1)s - 2p + k = (8 - 1)*2 - 2*1 + 4 = 16`` -> the general rule (the column's
    header) and the same with this layer's numbers (its cell)."""
    parts = layer.formula().split(" = ")
    return " = ".join(parts[:2]), " = ".join(parts[2:])


def flow_text(network: str, plan: NetworkPlan) -> str:
    """``z 100×1×1 → 256×4×4 → ... → 1×32×32``: the input, then every shape change."""
    steps = [("z " if network == "g" else "x ") + shape_text(plan.in_shape)]
    steps += [
        shape_text(layer.out_shape) for layer in plan.layers if layer.out_shape != layer.in_shape
    ]
    if network == "d":
        steps[-1] += " logit"
    return " → ".join(steps)


class ArchitecturePanel(QWidget):
    layer_selected = Signal(str, str)  # ("g" | "d", layer name)

    def __init__(self, model: InspectionTarget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self._tables: dict[str, QTableWidget] = {}
        self._summaries: dict[str, QLabel] = {}

        self.splitter = splitter = QSplitter(Qt.Vertical)
        splitter.setChildrenCollapsible(False)
        for network in NETWORKS:
            splitter.addWidget(self._network_section(network))
        self.info = QTextBrowser()
        self.info.setObjectName("architecture-info")
        self.info.setOpenLinks(False)
        self.info.setHtml(INFO_HINT)
        self.info.setMinimumHeight(7 * self.info.fontMetrics().lineSpacing())
        splitter.addWidget(self.info)
        splitter.setStretchFactor(2, 1)  # the tables keep their heights, the info pane resizes

        self.error = QLabel()
        self.error.setObjectName("architecture-error")
        self.error.setWordWrap(True)
        self.error.setAlignment(Qt.AlignCenter)
        self.error.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.stack = QStackedWidget()
        self.stack.addWidget(splitter)
        self.stack.addWidget(self.error)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)
        model.plans_changed.connect(self._on_model_plans_changed)
        self._on_model_plans_changed()

    def _network_section(self, network: str) -> QWidget:
        section = QWidget()
        layout = QVBoxLayout(section)
        layout.setContentsMargins(4, 4, 4, 0)
        layout.setSpacing(2)
        summary = QLabel()  # "<b>Generator (G)</b>  z 100×1×1 → ...", wraps in a narrow dock
        summary.setObjectName(f"architecture-{network}-flow")
        summary.setWordWrap(True)
        summary.setTextInteractionFlags(Qt.TextSelectableByMouse)
        table = QTableWidget(0, len(COLUMNS))
        table.setObjectName(f"architecture-{network}")
        for column, (name, tip) in enumerate(zip(COLUMNS, COLUMN_TIPS)):
            header = QTableWidgetItem(name)
            header.setToolTip(tip)
            table.setHorizontalHeaderItem(column, header)
        table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectRows)
        table.setSelectionMode(QAbstractItemView.SingleSelection)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.setHorizontalScrollMode(QAbstractItemView.ScrollPerPixel)
        table.verticalHeader().hide()
        table.verticalHeader().setDefaultSectionSize(table.fontMetrics().height() + 6)
        table.horizontalHeader().setHighlightSections(False)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(False)  # a wide table scrolls, never elides
        table.itemSelectionChanged.connect(lambda: self._on_table_selection_changed(network))
        layout.addWidget(summary)
        layout.addWidget(table, 1)
        self._tables[network], self._summaries[network] = table, summary
        return section

    # ---- public -----------------------------------------------------------------------------
    def table(self, network: str) -> QTableWidget:
        """The read-only table of "g" or "d"; row i is plan layer i, the last row the totals."""
        return self._tables[network]

    def summary(self, network: str) -> str:
        """The data-flow line of "g" or "d": the input shape, then every shape change."""
        return flow_text(network, self.model.plans[network])

    def select_layer(self, network: str, name: str) -> None:
        """Select a layer's row as if clicked (emits ``layer_selected``)."""
        plans = self._plans()
        if network not in plans:  # no plan: the panel shows an error
            return
        names = [layer.name for layer in plans[network].layers]
        self._tables[network].selectRow(names.index(name))

    def _plans(self) -> dict[str, NetworkPlan]:
        """The plans on screen: none while the settings give no networks."""
        return {} if self.model.plan_error is not None else self.model.plans

    def _on_model_plans_changed(self) -> None:
        if self.model.plan_error is not None:
            error = self.model.plan_error
            self.error.setText(f"The networks cannot be built for this setting.\n\n{error}")
            self.stack.setCurrentWidget(self.error)
            return
        before = tuple(table.rowCount() for table in self._tables.values())
        for network, plan in self.model.plans.items():
            self._summaries[network].setText(
                f"<b>{NETWORKS[network]}</b>&nbsp;&nbsp; {flow_text(network, plan)}"
            )
            self._fill(network, plan)
        self.info.setHtml(INFO_HINT)
        self.stack.setCurrentIndex(0)
        if tuple(table.rowCount() for table in self._tables.values()) != before:
            # each table as tall as its rows, the info pane about 8 lines
            info = 8 * self.info.fontMetrics().lineSpacing() + 12
            self.splitter.setSizes([self._section_height("g"), self._section_height("d"), info])

    def _section_height(self, network: str) -> int:
        table = self._tables[network]
        return (
            self._summaries[network].fontMetrics().lineSpacing()
            + 12  # the flow line
            + table.horizontalHeader().sizeHint().height()
            + table.rowCount() * table.verticalHeader().defaultSectionSize()
            + table.horizontalScrollBar().sizeHint().height()
            + 2 * table.frameWidth()
        )

    # ---- rows -------------------------------------------------------------------------------
    def _fill(self, network: str, plan: NetworkPlan) -> None:
        table = self._tables[network]
        with QSignalBlocker(table):  # clearing the rows is not a selection by the person
            table.clearSelection()
            table.clearContents()
            table.setRowCount(len(plan.layers) + 1)
        for row, layer in enumerate(plan.layers):
            conv = layer.is_convolution
            general, numbers = formula_parts(layer) if conv else ("", "")
            cells = (
                layer.name,
                type_text(layer),
                f"{layer.kernel}, {layer.stride}, {layer.padding}" if conv else "",
                shape_text(layer.in_shape),
                shape_text(layer.out_shape),
                numbers,
                f"{layer.params:,}",
            )
            tip = explain(layer.kind, network).short
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(
                    f"{general} = {text}\n\n{tip}" if column == FORMULA and text else tip
                )
                if column == PARAMS:
                    item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
                table.setItem(row, column, item)
        rules = dict.fromkeys(
            formula_parts(layer)[0] for layer in plan.layers if layer.is_convolution
        )
        header = table.horizontalHeaderItem(FORMULA)
        header.setText("; ".join(rules) or COLUMNS[FORMULA])
        header.setToolTip(COLUMN_TIPS[FORMULA] + ": i input, k kernel, s stride, p padding")
        total = (
            "Total",
            "",
            "",
            shape_text(plan.in_shape),
            shape_text(plan.out_shape),
            "",
            f"{plan.params:,}",
        )
        bold = QFont(table.font())
        bold.setBold(True)
        for column, text in enumerate(total):
            item = QTableWidgetItem(text)
            item.setFlags(Qt.ItemIsEnabled)  # not selectable: it is no layer
            item.setFont(bold)
            item.setToolTip(f"{NETWORKS[network]}: {plan.params:,} trainable parameters")
            if column == PARAMS:
                item.setTextAlignment(Qt.AlignRight | Qt.AlignVCenter)
            table.setItem(len(plan.layers), column, item)

    def _on_table_selection_changed(self, network: str) -> None:
        rows = {index.row() for index in self._tables[network].selectionModel().selectedRows()}
        layers = self._plans().get(network, NetworkPlan(network, ())).layers
        if len(rows) != 1 or min(rows) >= len(layers):
            return
        layer = layers[min(rows)]
        for other, table in self._tables.items():
            if other != network:
                with QSignalBlocker(table):  # one selected layer across both tables
                    table.clearSelection()
        self.info.setHtml(self._info_html(network, layer))
        self.layer_selected.emit(network, layer.name)

    @staticmethod
    def _info_html(network: str, layer: LayerSpec) -> str:
        concept = explain(layer.kind, network)
        facts = [
            f"<b>{network.upper()} · {layer.name}</b>",
            type_text(layer),
            f"{shape_text(layer.in_shape)} → {shape_text(layer.out_shape)}",
        ]
        if layer.is_convolution:
            facts.append(f"kernel {layer.kernel}, stride {layer.stride}, padding {layer.padding}")
        facts.append(f"{layer.params:,} parameters")
        formula = f"<br><tt>{layer.formula()}</tt>" if layer.is_convolution else ""
        return f"<p>{' · '.join(facts)}{formula}</p><p><b>{concept.title}</b></p>{concept.long}"
