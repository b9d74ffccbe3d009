import pytest
import torch
from PySide6.QtCore import Qt

from dcgan_studio.config import SUPPORTED_IMAGE_SIZES, ModelConfig
from dcgan_studio.core.concepts import explain
from dcgan_studio.core.models import Discriminator, Generator
from dcgan_studio.gui.inspect.architecture_panel import COLUMNS, ArchitecturePanel
from dcgan_studio.gui.inspect.model import InspectionTarget

COL = {name: COLUMNS.index(name) for name in ("Layer", "Type", "k, s, p", "In", "Out", "Params")}
FORMULA = COLUMNS.index("Size formula")


@pytest.fixture
def model():
    target = InspectionTarget()
    target.set_model_config(ModelConfig())
    return target


@pytest.fixture
def panel(qtbot, model):
    widget = ArchitecturePanel(model)
    qtbot.addWidget(widget)
    widget.resize(600, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def cell(panel, network, row, column):
    return panel.table(network).item(row, column).text()


def shape(text):
    return tuple(int(n) for n in text.split("×"))


@torch.no_grad()
def real_shapes(model, x):
    """name -> (input shape, output shape) of each child of model.main, for one sample."""
    shapes, hooks = {}, []
    for name, module in model.main.named_children():

        def hook(_, inputs, output, name=name):
            shapes[name] = (tuple(inputs[0].shape[1:]), tuple(output.shape[1:]))

        hooks.append(module.register_forward_hook(hook))
    model.eval()(x)
    for handle in hooks:
        handle.remove()
    return shapes


@pytest.mark.parametrize("channels", (1, 3))
@pytest.mark.parametrize("size", SUPPORTED_IMAGE_SIZES)
def test_rows_show_the_real_networks(panel, model, size, channels):
    cfg = ModelConfig(
        image_size=size,
        channels=channels,
        nz=20,
        ngf=16,
        ndf=16,
        d_dropout=0.3 if channels == 3 else 0.0,
    )
    model.set_model_config(cfg)
    torch.manual_seed(0)
    g, d = Generator(cfg), Discriminator(cfg)
    expected = {
        "g": real_shapes(g, torch.randn(2, cfg.nz, 1, 1)),
        "d": real_shapes(d, torch.randn(2, channels, size, size)),
    }
    for network, model in (("g", g), ("d", d)):
        table = panel.table(network)
        names = list(expected[network])
        assert table.rowCount() == len(names) + 1  # one row per module, then the totals
        header = table.horizontalHeaderItem(FORMULA).text()
        for row, name in enumerate(names):
            assert cell(panel, network, row, COL["Layer"]) == name
            in_shape, out_shape = expected[network][name]
            assert shape(cell(panel, network, row, COL["In"])) == in_shape, name
            assert shape(cell(panel, network, row, COL["Out"])) == out_shape, name
            params = sum(p.numel() for p in model.layer(name).parameters())
            assert cell(panel, network, row, COL["Params"]) == f"{params:,}"
            formula = cell(panel, network, row, FORMULA)
            kind = model.plan.layers[row].kind
            if kind in ("conv", "conv_transpose"):
                assert int(formula.rpartition(" = ")[2]) == out_shape[1], formula
                assert f"{header} = {formula}" == model.plan.layers[row].formula()
                module = model.layer(name)
                assert cell(panel, network, row, COL["k, s, p"]) == (
                    f"{module.kernel_size[0]}, {module.stride[0]}, {module.padding[0]}"
                )
            else:
                assert formula == "" and cell(panel, network, row, COL["k, s, p"]) == ""
            short = explain(kind, network).short
            assert all(short in table.item(row, c).toolTip() for c in range(len(COLUMNS)))
        total = len(names)
        assert cell(panel, network, total, COL["Layer"]) == "Total"
        assert cell(panel, network, total, COL["Params"]) == (
            f"{sum(p.numel() for p in model.parameters()):,}"
        )
        assert shape(cell(panel, network, total, COL["In"])) == expected[network][names[0]][0]
        assert shape(cell(panel, network, total, COL["Out"])) == expected[network][names[-1]][1]
    d_types = {cell(panel, "d", r, COL["Type"]) for r in range(len(expected["d"]))}
    assert ("dropout(0.3)" in d_types) == (channels == 3)


def test_default_config_flow_lines_types_and_totals(panel, model):
    model.set_model_config(ModelConfig())  # 32x32, ngf = ndf = 32
    assert panel.summary("g") == "z 100×1×1 → 128×4×4 → 64×8×8 → 32×16×16 → 1×32×32"
    assert panel.summary("d") == "x 1×32×32 → 32×16×16 → 64×8×8 → 128×4×4 → 1×1×1 logit"
    types = [cell(panel, "g", r, COL["Type"]) for r in range(3)]
    assert types == ["transposed conv", "BatchNorm", "ReLU"]
    assert cell(panel, "d", 1, COL["Type"]) == "LeakyReLU(0.2)"
    assert cell(panel, "g", 3, FORMULA) == "(4 - 1)*2 - 2*1 + 4 = 8"
    assert panel.table("g").horizontalHeaderItem(FORMULA).text() == "o = (i - 1)s - 2p + k"
    real = sum(p.numel() for p in Generator(ModelConfig()).parameters())
    assert cell(panel, "g", panel.table("g").rowCount() - 1, COL["Params"]) == f"{real:,}"


def test_changing_the_config_updates_the_rows(panel, model):
    model.set_model_config(ModelConfig(image_size=32, ngf=64))
    rows = panel.table("g").rowCount()
    assert cell(panel, "g", 0, COL["Out"]) == "256×4×4"
    model.set_model_config(ModelConfig(image_size=64, ngf=32))
    assert panel.table("g").rowCount() == rows + 3  # one more transposed conv, BN, ReLU
    assert cell(panel, "g", 0, COL["Out"]) == "256×4×4"  # 32 * 2^3
    assert cell(panel, "g", panel.table("g").rowCount() - 2, COL["Out"]) == "1×64×64"
    assert panel.summary("d").startswith("x 1×64×64 → 32×32×32")  # ndf 32, the default


def click_row(qtbot, panel, network, row):
    table = panel.table(network)
    table.scrollToItem(table.item(row, 0))
    rect = table.visualRect(table.model().index(row, 1))
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=rect.center())


def test_clicking_a_row_emits_and_explains(qtbot, panel, model):
    model.set_model_config(ModelConfig())
    assert "Select a layer" in panel.info.toPlainText()
    with qtbot.waitSignal(panel.layer_selected) as blocker:
        click_row(qtbot, panel, "g", 3)
    assert blocker.args == ["g", "convT2"]
    text = panel.info.toPlainText()
    assert "convT2" in text and explain("conv_transpose", "g").title in text
    assert "(4 - 1)*2 - 2*1 + 4 = 8" in text
    with qtbot.waitSignal(panel.layer_selected) as blocker:
        click_row(qtbot, panel, "d", 1)
    assert blocker.args == ["d", "lrelu1"]
    assert explain("leaky_relu", "d").title in panel.info.toPlainText()
    assert not panel.table("g").selectedItems()  # one layer selected across both networks
    with qtbot.assertNotEmitted(panel.layer_selected):
        click_row(qtbot, panel, "d", panel.table("d").rowCount() - 1)  # the totals row


def test_unsupported_size_shows_a_message_and_recovers(panel, model):
    model.set_model_config(ModelConfig(image_size=30))
    assert panel.stack.currentWidget() is panel.error and panel.error.isVisible()
    assert "image_size = 30" in panel.error.text() and "16, 28, 32" in panel.error.text()
    assert not panel.table("g").isVisible()
    model.set_model_config(ModelConfig(image_size=16))
    assert panel.table("g").isVisible() and not panel.error.isVisible()
    assert cell(panel, "g", panel.table("g").rowCount() - 2, COL["Out"]) == "1×16×16"
