"""The words and numbers the convolution explorer shows: the kernels' names, output sizes with their
formulas, and the window of the input that one output pixel was computed from. Pure numpy and
strings (no Qt).

The formulas come from ``core.convolution`` ("o = floor((i + 2p - k)/s) + 1 = ... = 28") and are
only typeset here: a middle dot for times, a true minus sign, and a line break only after the
general formula. A non-square input gets a formula for its height and one for its width.
"""

from __future__ import annotations

import html

import numpy as np

from dcgan_studio.core import convolution as cv

CUSTOM = "custom"
KERNEL_PRESETS = {  # core name -> (shown name, what it does)
    "identity": ("identity", "Copies the centre pixel: the output is the input."),
    "edge": (
        "edge (outline)",
        "The centre against all its neighbours. The weights sum to 0, so "
        "flat areas give 0 and the outlines of the strokes light up.",
    ),
    "sobel_x": (
        "sobel x (vertical edges)",
        "Right minus left: positive where the image gets "
        "brighter to the right (a stroke's left side), negative where it gets darker.",
    ),
    "sobel_y": (
        "sobel y (horizontal edges)",
        "Below minus above: positive on the top side of a stroke, negative on its bottom side.",
    ),
    "box_blur": ("box blur", "The plain mean of the window (weights sum to 1): a blur."),
    "gaussian_blur": ("gaussian blur", "A mean weighted towards the centre: a softer blur."),
    "sharpen": (
        "sharpen",
        "The centre boosted against its neighbours. The weights sum to 1, so "
        "flat areas keep their value and edges gain contrast.",
    ),
    "emboss": ("emboss", "Bottom-right minus top-left: a relief lit from one side (3×3 only)."),
}
CUSTOM_TEXT = "Your own numbers. Try a row of −1 above a row of +1 for horizontal edges."

NBSP = "\u00a0"  # a space a label never breaks a line at
WORD_JOINER = "\u2060"  # keeps a label from breaking a line after "/"


def pretty(formula: str) -> str:
    """ "(28 + 2*1 - 3)" -> "(28 + 2·1 − 3)"."""
    return formula.replace("*", "·").replace(" - ", " − ")


def unbreakable(text: str) -> str:
    """No line break inside: no-break spaces, and a word joiner after each slash."""
    return text.replace(" ", NBSP).replace("/", "/" + WORD_JOINER)


def typeset(formula: str) -> str:
    """The formula for a QLabel, on two lines that never break inside: "o = floor(...) + 1" and
    "= floor((28 + 2·1 − 3)/1) + 1 = 28"."""
    head, general, numbers = pretty(formula).split(" = ", 2)
    return unbreakable(f"{head} = {general}") + "<br>" + unbreakable(f"= {numbers}")


def output_shape(
    shape: tuple[int, int], k: int, s: int, p: int, transposed: bool = False
) -> tuple[tuple[int, int], str]:
    """The (height, width) of a (transposed) convolution of a ``shape`` input, and the formula
    text with the numbers in; raises ``ConfigError`` (naming the fix) when there is none."""
    size = cv.transposed_output_size if transposed else cv.output_size
    h, w = shape
    rows = size(h, k, s, p)
    cols = rows if w == h else size(w, k, s, p)
    result = f"{NBSP}→{NBSP}{rows.size}×{cols.size}"
    if w == h:
        text = f"Output size:<br>{typeset(rows.formula)}{result}"
    else:
        text = (
            f"Output height: {typeset(rows.formula)}<br>"
            f"Output width: {typeset(cols.formula)}{result}"
        )
    return (rows.size, cols.size), text


def input_caption(height: int, width: int) -> str:
    """The input size i under a map: one number for a square, else both."""
    return "i = " + (f"{height}" if height == width else f"{height} (height), {width} (width)")


def format_weight(value: float) -> str:
    """A kernel weight to 3 significant digits, with a true minus sign."""
    return f"{value:.3g}".replace("-", "−")


def weights_sum_text(weights: np.ndarray) -> str:
    """The sum of a kernel's weights and what it does to a flat area."""
    total = float(weights.sum(dtype=np.float64))
    if abs(total) < 1e-6:
        effect = "flat areas become 0"
    elif abs(total - 1) < 1e-6:
        effect = "flat areas keep their value"
    else:
        effect = f"flat areas are multiplied by {total:.3g}"
    return f"sum of the weights = {format_weight(total)}: {effect}"


def problem_text(action: str, error: Exception) -> str:
    """One line for a setting with no output: what is wrong and what to change."""
    return f"No {action}: {error}."


def receptive_window(image: np.ndarray, k: int, s: int, p: int, row: int, col: int) -> np.ndarray:
    """The k x k patch of the zero-padded input that output pixel (row, col) comes from."""
    padded = np.pad(np.asarray(image, dtype=np.float32), p)
    return padded[row * s : row * s + k, col * s : col * s + k]


def window_html(
    image: np.ndarray, weights: np.ndarray, s: int, p: int, row: int, col: int, value: float
) -> str:
    """Output pixel (row, col) written out: each input value times its weight, and the sum."""
    k = weights.shape[0]
    window = receptive_window(image, k, s, p, row, col)
    top, left = row * s - p, col * s - p  # the window's top-left pixel in the input
    cells = []
    for r in range(k):
        tds = []
        for c in range(k):
            y, x = top + r, left + c
            inside = 0 <= y < image.shape[0] and 0 <= x < image.shape[1]
            term = f"{window[r, c]:.2f}×{weights[r, c]:.3g}".replace("-", "−")
            style = "" if inside else " style='color:#999'"  # a zero of the padding
            tds.append(f"<td align='right'{style}>{html.escape(term)}</td>")
        cells.append("<tr>" + "".join(tds) + "</tr>")
    total = float((window.astype(np.float64) * weights).sum())
    return (
        f"<b>Output pixel (row {row}, column {col})</b> = the {k}×{k} window of the input at "
        f"rows {top}…{top + k - 1}, columns {left}…{left + k - 1} (grey: padding zeros), "
        f"times the kernel, summed:"
        f"<table cellspacing='6'>{''.join(cells)}</table>"
        f"sum = <b>{number(total)}</b> (the map shows {number(value)})"
    )


def number(value: float) -> str:
    """Three decimals, and never "-0.000"."""
    text = f"{value:.3f}"
    return text[1:] if text == "-0.000" else text
