"""What the inspection's views call a layer: its kind in words and its shapes."""

from __future__ import annotations

from dcgan_studio.core.architecture import LayerSpec

KIND_NAMES = {
    "conv": "conv",
    "conv_transpose": "transposed conv",
    "batchnorm": "BatchNorm",
    "relu": "ReLU",
    "leaky_relu": "LeakyReLU",
    "tanh": "tanh",
    "dropout": "dropout",
}


def kind_name(kind: str) -> str:
    """ "conv_transpose" -> "transposed conv" """
    return KIND_NAMES.get(kind, kind)


def type_text(layer: LayerSpec) -> str:
    """The kind with its setting: "LeakyReLU(0.2)", "dropout(0.3)", "BatchNorm"."""
    if layer.kind == "leaky_relu":
        return f"{kind_name(layer.kind)}({layer.negative_slope:g})"
    if layer.kind == "dropout":
        return f"{kind_name(layer.kind)}({layer.p:g})"
    return kind_name(layer.kind)


def shape_text(shape: tuple[int, int, int]) -> str:
    """(128, 8, 8) -> "128×8×8" """
    return "×".join(map(str, shape))


def layer_label(spec: LayerSpec) -> str:
    """ "convT2 · transposed conv → 128×8×8" """
    return f"{spec.name} · {kind_name(spec.kind)} → {shape_text(spec.out_shape)}"
