"""Short explanations of the layers and plots, for tooltips and the info pane.

``explain(kind, network)`` covers every ``LayerSpec.kind``; ``topic(name)`` the plots. ``short``
is a tooltip (one or two sentences, plain text); ``long`` a few paragraphs of simple HTML that
QLabel and QTextBrowser render. The numbers match ``architecture``: 4x4 blocks of stride 2 and
padding 1, a first G layer and a last D layer with kernel = the base size (4, or 7 for 28, 56).
"""

from __future__ import annotations

from dataclasses import dataclass

from dcgan_studio.core.architecture import KERNEL


@dataclass(frozen=True)
class Concept:
    title: str
    short: str  # tooltip: one or two sentences
    long: str  # info pane: a few <p> paragraphs


K = KERNEL
CONV_FORMULA = "o = floor((i + 2p - k)/s) + 1"
CONV_TRANSPOSE_FORMULA = "o = (i - 1)s - 2p + k"

_BN_COMMON = (
    "<p>Batch normalisation rescales each channel to zero mean and unit variance over the batch "
    "and every pixel, then applies a learned scale and shift per channel (2 parameters a "
    "channel). It keeps activations in a steady range while both networks change, which "
    "stabilises training and lets gradients flow through deep stacks.</p>"
    "<p>In training it uses the statistics of the current batch; in evaluation (the sample grid "
    "and feature maps are drawn in <i>eval</i> mode) it uses running averages collected "
    "during training.</p>"
)

_LAYERS: dict[str, dict[str | None, Concept]] = {
    "conv": {
        None: Concept(
            "Strided convolution",
            f"Slides learned {K}×{K} filters over the input; stride 2 halves the height and "
            f"width. {CONV_FORMULA}.",
            f"<p>Each output channel is one learned filter: at every position it takes the "
            f"weighted sum of a k×k patch across all input channels. With stride s it moves s "
            f"pixels at a time, and padding p adds p zero pixels around the border.</p>"
            f"<p><b>{CONV_FORMULA}</b>. The {K}×{K}, stride 2, padding 1 blocks give "
            f"o = floor((i - 2)/2) + 1 = i/2 for an even i.</p>"
            f"<p>The convolutions have no bias, as in the reference code: where BatchNorm "
            f"follows, its shift would cancel a bias anyway.</p>",
        ),
        "d": Concept(
            "Strided convolution (D)",
            f"Learned {K}×{K} filters with stride 2 halve the map: D learns its own downsampling "
            f"instead of using pooling. {CONV_FORMULA}.",
            f"<p>Each output channel is one learned filter: at every position it takes the "
            f"weighted sum of a k×k patch across all input channels. With stride 2 it moves two "
            f"pixels at a time, so the map shrinks by half.</p>"
            f"<p><b>{CONV_FORMULA}</b>. The {K}×{K}, stride 2, padding 1 blocks give "
            f"o = floor((i - 2)/2) + 1 = i/2 for an even i.</p>"
            f"<p>DCGAN replaces pooling with these strided convolutions, so D learns how to "
            f"downsample instead of using a fixed max or average. Channels double while the map "
            f"halves.</p>"
            f"<p>D's last convolution has kernel = the base size (4, or 7 for 28 and 56), stride "
            f"1 and padding 0: on the base×base map it gives one number per image, a "
            f"<i>logit</i>. The loss applies the sigmoid, turning it into D's probability that "
            f"the image is real.</p>",
        ),
    },
    "conv_transpose": {
        None: Concept(
            "Transposed convolution",
            f"Each input pixel scatters a learned kernel into a larger output; stride 2 doubles "
            f"the height and width. {CONV_TRANSPOSE_FORMULA}.",
            f"<p>Each input pixel multiplies a learned k×k kernel (one per pair of input and "
            f"output channels) and adds it into the output at positions s pixels apart; where "
            f"the stamps overlap they sum. Padding p crops p pixels from each border. It is the "
            f"gradient of a convolution, not its inverse (sometimes called a fractionally "
            f"strided convolution, or wrongly a deconvolution).</p>"
            f"<p><b>{CONV_TRANSPOSE_FORMULA}</b>. The {K}×{K}, stride 2, padding 1 blocks give "
            f"o = 2i - 2 - 2 + 4 = 2i: each block doubles the map and halves the channels.</p>",
        ),
        "g": Concept(
            "Transposed convolution (G)",
            f"Each input pixel scatters a learned kernel into a larger output; stride 2 doubles "
            f"the height and width. {CONV_TRANSPOSE_FORMULA}.",
            f"<p>Each input pixel multiplies a learned k×k kernel (one per pair of input and "
            f"output channels) and adds it into the output at positions s pixels apart; where "
            f"the stamps overlap they sum. Padding p crops p pixels from each border. It is the "
            f"gradient of a convolution, not its inverse.</p>"
            f"<p><b>{CONV_TRANSPOSE_FORMULA}</b>. The {K}×{K}, stride 2, padding 1 blocks give "
            f"o = 2i - 2 - 2 + 4 = 2i: each block doubles the map and halves the channels. As "
            f"the kernel size {K} is a multiple of the stride 2, every output pixel gets the "
            f"same number of stamps, which reduces (not removes) checkerboard artefacts.</p>"
            f"<p>G's first layer takes z as a 1×1 map with kernel = the base size (4, or 7 for "
            f"28 and 56), stride 1 and padding 0: o = (1 - 1)·1 - 0 + k = k. Each entry of z "
            f"scales one k×k stamp per channel, so this layer is a fully connected projection "
            f"of z, reshaped into the base map.</p>",
        ),
    },
    "batchnorm": {
        None: Concept(
            "Batch normalisation",
            "Normalises each channel over the batch, then applies a learned scale and shift; "
            "it stabilises training.",
            _BN_COMMON + "<p>DCGAN leaves it out of G's output layer and D's input layer: the "
            "paper found that BatchNorm on every layer caused sample oscillation and "
            "instability.</p>",
        ),
        "g": Concept(
            "Batch normalisation (G)",
            "Normalises each channel over the batch, then applies a learned scale and shift; "
            "it stabilises training. G's output layer has none.",
            _BN_COMMON + "<p>G's output layer has no BatchNorm (nor D's input layer): the DCGAN "
            "paper found that BatchNorm on every layer caused sample oscillation and "
            "instability. The paper also notes that BatchNorm helps a deep G start learning "
            "instead of collapsing all samples to one point.</p>",
        ),
        "d": Concept(
            "Batch normalisation (D)",
            "Normalises each channel over the batch, then applies a learned scale and shift; "
            "it stabilises training. D's input layer has none.",
            _BN_COMMON + "<p>D's first convolution has no BatchNorm after it (nor G's output "
            "layer): the DCGAN paper found that BatchNorm on every layer caused sample "
            "oscillation and instability. Real and fake images go through D in separate "
            "batches, so each is normalised with its own statistics.</p>",
        ),
    },
    "relu": {
        None: Concept(
            "ReLU",
            "max(0, x): passes positive values, zeroes negative ones. G uses it in every hidden "
            "layer.",
            "<p>ReLU(x) = max(0, x). It is cheap and does not saturate for positive inputs, so "
            "gradients pass through unchanged where a unit is active.</p>"
            "<p>DCGAN uses ReLU in all of G's hidden layers and tanh on its output. D uses "
            "LeakyReLU(0.2) instead, so that gradients also flow for negative inputs, all the "
            "way back to G. A channel whose input is always negative outputs zeros everywhere: "
            "a dark tile in the feature maps.</p>",
        ),
    },
    "leaky_relu": {
        None: Concept(
            "LeakyReLU(0.2)",
            "x for positive x, 0.2·x for negative x: unlike ReLU it keeps a gradient for "
            "negative inputs. D uses it after every hidden convolution.",
            "<p>LeakyReLU(x) = x if x &gt; 0, else 0.2·x. The slope 0.2 for negative inputs "
            "means no unit is ever completely switched off.</p>"
            "<p>G learns only through D: its gradient is D's gradient with respect to the fake "
            "image. With plain ReLU, every unit of D that is off would block that signal; the "
            "leak lets gradients flow for negative inputs back through D to G. DCGAN uses "
            "LeakyReLU(0.2) in all of D's layers and ReLU in G.</p>",
        ),
    },
    "tanh": {
        None: Concept(
            "tanh",
            "Squashes G's output into [-1, 1], the same range as the real images, which are "
            "scaled to [-1, 1].",
            "<p>tanh maps any number into [-1, 1]. It is G's last layer, so every pixel G makes "
            "lies in [-1, 1], the same range as the training images, which are scaled from "
            "[0, 255] to [-1, 1] before D sees them. Shown on screen, -1 is black and 1 white.</p>"
            "<p>The DCGAN paper found that this bounded output let G learn more quickly to "
            "saturate and cover the colour space of the training data.</p>",
        ),
    },
    "dropout": {
        None: Concept(
            "Dropout",
            "In training, zeroes each of D's activations with probability p; in evaluation it "
            "does nothing.",
            "<p>In training, dropout zeroes each activation at random with probability p and "
            "scales the rest by 1/(1 - p), so the expected value stays the same. In evaluation "
            "(<i>eval</i> mode) it passes everything through unchanged.</p>"
            "<p>Here it follows each LeakyReLU in D (the TensorFlow DCGAN tutorial uses p = "
            "0.3). It makes D's job a little harder and keeps it from relying on a few "
            "features, so D overpowers G less quickly. p = 0 removes these layers.</p>",
        ),
    },
}

KINDS = tuple(_LAYERS)

_TOPICS: dict[str, Concept] = {
    "d_outputs": Concept(
        "D(x) and D(G(z))",
        "D's mean probability of \"real\" for real images, D(x), and for G's images, D(G(z)). "
        "At the theoretical equilibrium both are 1/2.",
        "<p>D(x) is D's average probability that a real image is real; D(G(z)) the same for "
        "G's images. Both start near 1/2 with the random initial weights. In the first "
        "iterations D quickly learns to tell G's noise from real images: D(x) rises towards 1 "
        "and D(G(z)) falls towards 0.</p>"
        "<p>As G improves, its images fool D more often: D(G(z)) rises, D(x) falls, and the "
        "two move towards each other. At the theoretical equilibrium G's images are "
        "indistinguishable from the data and the best D outputs 1/2 everywhere. In practice "
        "they wander around it rather than settle.</p>"
        "<p>D(x) near 1 with D(G(z)) near 0 for a long stretch means D is winning: G's "
        "learning signal becomes weak and erratic (with the original minimax loss G's gradient "
        "vanishes; the non-saturating loss used here softens that but does not cure it). "
        "With label smoothing, D aims at 1 - smoothing for real images, not 1.</p>",
    ),
    "feature_maps": Concept(
        "Feature maps",
        "Each tile is one channel of a layer's output: where in the image that channel's "
        "filter responds. Bright means a strong response.",
        "<p>A layer's output has C channels of H×W values. Each channel, a <i>feature map</i>, "
        "is what one learned filter found at every position; the mosaic shows one tile per "
        "channel, brighter for larger values. The maps shrink through D and grow through "
        "G.</p>"
        "<p>Early layers of D respond to edges and strokes of the input; later, smaller maps "
        "to larger parts. In G it runs the other way: the first small maps hold the coarse "
        "layout, and the late large maps paint parts of the digit, its strokes and their "
        "edges.</p>"
        "<p>After a ReLU, values are never negative; a tile that is dark everywhere belongs to "
        "a channel that is switched off for this input. After BatchNorm, values are roughly "
        "centred on each channel's learned shift, often near 0.</p>",
    ),
    "filters": Concept(
        "Filters",
        "The learned kernels drawn as small images: D's first layer, and the stamps G's last "
        "layer paints the image with.",
        f"<p>D's first convolution has one {K}×{K} filter per output channel, with a slice for "
        f"each input colour channel, so for RGB it is drawn in colour. Each is the pattern "
        f"that its channel responds to most: trained filters often look like edge or stroke "
        f"detectors.</p>"
        f"<p>G's last transposed convolution has one {K}×{K} kernel per input channel that the "
        f"channel stamps into the image, scaled by its activation; the image is the sum of "
        f"those stamps, then tanh.</p>"
        f"<p>All kernels start as noise drawn from N(0, 0.02) (the DCGAN initialisation). "
        f"At {K}×{K} they are small: look for structure, not pictures.</p>",
    ),
    "gradients": Concept(
        "Gradient norms",
        "How large the loss gradient is at each layer, as an L2 norm. Tiny norms mean a layer "
        "barely learns (vanishing); huge or growing ones mean instability (exploding).",
        "<p>After each backward pass, the L2 norm of the gradient of a layer's parameters "
        "says how strongly the loss pulls on that layer.</p>"
        "<p><b>Vanishing</b>: norms far smaller in the layers farthest from the loss (D's "
        "first layers; all of G, whose gradient arrives through D) mean those layers hardly "
        "change. G's norms fall or swing when D becomes too confident. <b>Exploding</b>: norms "
        "that grow by orders of magnitude, or spike, often come before the losses diverge.</p>"
        "<p>Adam, used here, divides each parameter's step by its recent gradient size, so a "
        "small norm means a weak or noisy signal more than a small step. BatchNorm (in both "
        "networks) and D's LeakyReLU help keep the norms in range.</p>",
    ),
}

TOPICS = tuple(_TOPICS)


def explain(kind: str, network: str | None = None) -> Concept:
    """The concept of a layer kind, tailored to network "g" (generator) or "d" where it helps."""
    if kind not in _LAYERS:
        raise ValueError(f"unknown layer kind {kind!r}: use one of {', '.join(KINDS)}")
    if network not in (None, "g", "d"):
        raise ValueError(f"unknown network {network!r}: use 'g', 'd' or None")
    variants = _LAYERS[kind]
    return variants.get(network, variants[None])


def topic(name: str) -> Concept:
    if name not in _TOPICS:
        raise ValueError(f"unknown topic {name!r}: use one of {', '.join(TOPICS)}")
    return _TOPICS[name]
