import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dcgan_studio.core import convolution as cv
from dcgan_studio.errors import ConfigError


@pytest.fixture(scope="module")
def digit():
    return cv.load_digit(0)  # (28, 28) in [0, 1]


def _reference_correlation(image, weights, stride, padding):
    """Plain numpy cross-correlation, written independently of torch."""
    x = np.pad(image.astype(np.float64), padding)
    k = weights.shape[0]
    oh = (x.shape[0] - k) // stride + 1
    ow = (x.shape[1] - k) // stride + 1
    out = np.empty((oh, ow))
    for r, c in itertools.product(range(oh), range(ow)):
        out[r, c] = (x[r * stride : r * stride + k, c * stride : c * stride + k] * weights).sum()
    return out


def test_load_digit_is_a_28x28_image_in_unit_range(digit):
    assert digit.shape == (28, 28) and digit.dtype == np.float32
    assert digit.min() == 0.0 and digit.max() == 1.0


@pytest.mark.parametrize(
    "i,k,s,p", list(itertools.product((2, 5, 7, 8, 28), (1, 2, 3, 4, 5), (1, 2, 3), (0, 1, 2)))
)
def test_output_size_equals_formula_and_torch(i, k, s, p):
    if k > i + 2 * p:  # torch refuses too: so must we, with the fix in the message
        with pytest.raises(RuntimeError):
            F.conv2d(torch.zeros(1, 1, i, i), torch.zeros(1, 1, k, k), stride=s, padding=p)
        with pytest.raises(ConfigError, match="kernel size = .* use at most"):
            cv.output_size(i, k, s, p)
        return
    size, formula = cv.output_size(i, k, s, p)
    assert size == (i + 2 * p - k) // s + 1
    assert formula == f"o = floor((i + 2p - k)/s) + 1 = floor(({i} + 2*{p} - {k})/{s}) + 1 = {size}"
    out = F.conv2d(torch.zeros(1, 1, i, i), torch.zeros(1, 1, k, k), stride=s, padding=p)
    assert out.shape[-2:] == (size, size)
    assert cv.convolve(np.zeros((i, i)), np.zeros((k, k)), s, p).shape == (size, size)


@pytest.mark.parametrize(
    "i,k,s,p", list(itertools.product((1, 3, 4, 7), (1, 2, 3, 4, 5), (1, 2, 3), (0, 1, 2)))
)
def test_transposed_output_size_equals_formula_and_torch(i, k, s, p):
    if (i - 1) * s - 2 * p + k < 1:  # torch refuses or returns nothing; we name the fix
        try:
            empty = F.conv_transpose2d(
                torch.zeros(1, 1, i, i), torch.zeros(1, 1, k, k), stride=s, padding=p
            )
            assert empty.numel() == 0
        except RuntimeError:
            pass
        with pytest.raises(ConfigError, match="padding = .* use at most"):
            cv.transposed_output_size(i, k, s, p)
        return
    size, formula = cv.transposed_output_size(i, k, s, p)
    assert size == (i - 1) * s - 2 * p + k
    assert formula == f"o = (i - 1)s - 2p + k = ({i} - 1)*{s} - 2*{p} + {k} = {size}"
    out = F.conv_transpose2d(torch.zeros(1, 1, i, i), torch.zeros(1, 1, k, k), stride=s, padding=p)
    assert out.shape[-2:] == (size, size)


def test_formulas_match_the_issue_examples():
    assert cv.output_size(28, 3, 1, 1) == (
        28,
        "o = floor((i + 2p - k)/s) + 1 = floor((28 + 2*1 - 3)/1) + 1 = 28",
    )
    assert cv.transposed_output_size(7, 4, 2, 1) == (
        14,
        "o = (i - 1)s - 2p + k = (7 - 1)*2 - 2*1 + 4 = 14",
    )
    size, formula = cv.transposed_output_size(7, 3, 2, 1, output_padding=1)
    assert size == 14 and formula.endswith("(7 - 1)*2 - 2*1 + 3 + 1 = 14")


@pytest.mark.parametrize("name", cv.KERNEL_NAMES)
@pytest.mark.parametrize("stride,padding", [(1, 0), (1, 1), (2, 1), (3, 2)])
def test_convolve_equals_conv2d_and_a_plain_correlation(digit, name, stride, padding):
    for size in cv.kernel_sizes(name):
        w = cv.kernel(name, size)
        got = cv.convolve(digit, w, stride=stride, padding=padding)
        want = F.conv2d(
            torch.from_numpy(digit)[None, None],
            torch.from_numpy(w)[None, None],
            stride=stride,
            padding=padding,
        )[0, 0].numpy()
        np.testing.assert_array_equal(got, want)
        np.testing.assert_allclose(
            got, _reference_correlation(digit, w, stride, padding), atol=1e-5
        )


def test_convolution_is_correlation_not_flipped():
    image = np.zeros((5, 5))
    image[2, 2] = 1.0  # an impulse
    w = np.arange(9, dtype=np.float32).reshape(3, 3)
    # correlation of an impulse gives the kernel flipped; a true convolution would give it as is
    np.testing.assert_array_equal(cv.convolve(image, w, padding=1)[1:4, 1:4], w[::-1, ::-1])


def test_identity_and_blur_kernels_do_what_they_say(digit):
    for size in (3, 5):
        same = cv.same_padding(size)
        np.testing.assert_array_equal(
            cv.convolve(digit, cv.kernel("identity", size), 1, same), digit
        )
        blurred = cv.convolve(digit, cv.kernel("gaussian_blur", size), 1, same)
        assert blurred.shape == digit.shape
        # a blur keeps the ink (edges lose a little to the zero padding) and lowers the peaks
        assert blurred.sum() == pytest.approx(digit.sum(), rel=0.02)
        assert np.abs(np.diff(blurred, axis=1)).sum() < np.abs(np.diff(digit, axis=1)).sum()


def test_sobel_x_lights_up_vertical_edges():
    image = np.zeros((10, 10), dtype=np.float32)
    image[:, 5:] = 1.0  # dark left half, bright right half: one vertical edge between cols 4, 5
    gx = cv.convolve(image, cv.kernel("sobel_x"), padding=1)
    gy = cv.convolve(image, cv.kernel("sobel_y"), padding=1)
    inner = gx[1:-1]  # rows away from the zero-padded top and bottom
    assert set(np.flatnonzero(inner.max(axis=0) > 0)) == {4, 5}  # only the edge columns
    assert inner[:, 4:6].min() == 4.0  # 1 + 2 + 1, the full response
    assert np.abs(gy[1:-1, :-1]).max() == 0.0  # nothing horizontal to see


def test_sobel_x_finds_the_left_and_right_sides_of_a_digits_strokes(digit):
    gx = cv.convolve(digit, cv.kernel("sobel_x"), padding=1)  # (28, 28)
    gy = cv.convolve(digit, cv.kernel("sobel_y"), padding=1)
    across = np.zeros_like(digit)  # how much brighter the pixel to the right is than the left one
    across[:, 1:-1] = digit[:, 2:] - digit[:, :-2]
    # strongly positive on a stroke's left side (ink to the right), strongly negative on its right
    # side, and dark where the image is flat
    bright, dark = gx > 0.5 * gx.max(), gx < 0.5 * gx.min()
    assert bright.sum() >= 10 and dark.sum() >= 10
    assert (across[bright] > 0.2).all() and (across[dark] < -0.2).all()
    blank = cv.convolve(digit, np.ones((3, 3)), padding=1) == 0  # no ink in the 3x3 around
    assert blank.sum() > 100 and (gx[blank] == 0).all()
    # on vertical edges sobel_x answers and sobel_y hardly does; on horizontal edges the reverse
    down = np.zeros_like(digit)  # how much brighter the pixel below is than the one above
    down[1:-1] = digit[2:] - digit[:-2]
    vertical = (np.abs(across) > 0.5) & (np.abs(down) < 0.2)
    horizontal = (np.abs(down) > 0.5) & (np.abs(across) < 0.2)
    assert vertical.sum() >= 10 and horizontal.sum() >= 10
    assert np.abs(gx[vertical]).mean() > 5 * np.abs(gy[vertical]).mean()
    assert np.abs(gx[horizontal]).mean() < 0.5 * np.abs(gy[horizontal]).mean()


@pytest.mark.parametrize("shape", [(28, 28), (7, 7), (5, 8)])
def test_pooling_equals_torch(digit, shape):
    image = digit[: shape[0], : shape[1]] + 0.01 * np.arange(shape[1], dtype=np.float32)
    t = torch.from_numpy(image)[None, None]
    mx, avg = cv.max_pool(image, 2), cv.avg_pool(image, 2)
    np.testing.assert_array_equal(mx, F.max_pool2d(t, 2)[0, 0].numpy())
    np.testing.assert_array_equal(avg, F.avg_pool2d(t, 2)[0, 0].numpy())
    assert mx.shape == (shape[0] // 2, shape[1] // 2)  # odd sides drop the last row/column
    assert mx[0, 0] == image[:2, :2].max()
    assert avg[0, 0] == pytest.approx(image[:2, :2].mean())


def test_strided_conv_halves_the_digit_like_pooling(digit):
    out = cv.strided_conv(digit, cv.kernel("box_blur"), stride=2, padding=1)
    assert out.shape == (cv.output_size(28, 3, 2, 1).size,) * 2 == (14, 14)
    np.testing.assert_array_equal(out, cv.convolve(digit, cv.kernel("box_blur"), 2, 1))


@pytest.mark.parametrize("k,s,p,op", [(4, 2, 1, 0), (3, 2, 1, 1), (3, 1, 1, 0), (5, 3, 0, 2)])
def test_transposed_conv_equals_conv_transpose2d(k, s, p, op):
    small = np.random.default_rng(0).random((7, 7)).astype(np.float32)
    w = np.random.default_rng(1).standard_normal((k, k)).astype(np.float32)
    got = cv.transposed_conv(small, w, stride=s, padding=p, output_padding=op)
    want = F.conv_transpose2d(
        torch.from_numpy(small)[None, None],
        torch.from_numpy(w)[None, None],
        stride=s,
        padding=p,
        output_padding=op,
    )[0, 0].numpy()
    np.testing.assert_array_equal(got, want)
    assert got.shape == (cv.transposed_output_size(7, k, s, p, op).size,) * 2


def test_transposed_conv_stamps_the_kernel_for_each_pixel():
    small = np.zeros((2, 2), dtype=np.float32)
    small[1, 0] = 2.0
    w = np.arange(16, dtype=np.float32).reshape(4, 4)
    out = cv.transposed_conv(small, w, stride=2, padding=0)  # (2 - 1)*2 + 4 = 6
    assert out.shape == (6, 6)
    np.testing.assert_array_equal(out[2:6, 0:4], 2 * w)
    assert out.sum() == 2 * w.sum()


def test_named_kernels():
    assert cv.kernel("sobel_x").tolist() == [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]
    assert cv.kernel("sobel_y").tolist() == [[-1, -2, -1], [0, 0, 0], [1, 2, 1]]
    for name in cv.KERNEL_NAMES:
        for size in cv.kernel_sizes(name):
            w = cv.kernel(name, size)
            assert w.shape == (size, size) and w.dtype == np.float32
            # blurs, identity, sharpen and emboss keep brightness; edge detectors sum to zero
            assert w.sum() == pytest.approx(0.0 if name in ("edge", "sobel_x", "sobel_y") else 1.0)


@pytest.mark.parametrize(
    "call,message",
    [
        (
            lambda: cv.output_size(3, 5, 1, 0),
            "kernel size = 5 is not allowed: use at most 3 for an input of 3 with padding 0, or a "
            "padding of at least 1",
        ),
        (
            lambda: cv.output_size(28, 3, 0, 1),
            "stride = 0 is not allowed: use an integer of 1 or more",
        ),
        (lambda: cv.output_size(28, 3, 1, -1), "padding = -1 is not allowed"),
        (lambda: cv.output_size(28, 2.5, 1, 0), "kernel size = 2.5 is not allowed"),
        (
            lambda: cv.transposed_output_size(1, 1, 1, 1),
            "padding = 1 is not allowed: use at most 0: with input 1, kernel 1 and stride 1 the "
            "output "
            "would be -1 wide",
        ),
        (
            lambda: cv.transposed_output_size(7, 4, 2, 1, 2),
            "output padding = 2 is not allowed: use a value smaller than the stride (2)",
        ),
        (lambda: cv.same_padding(4), "kernel size = 4 is not allowed: use an odd size (3 or 5)"),
        (
            lambda: cv.kernel("emboss", 5),
            "size of the emboss kernel = 5 is not allowed: use 3 (3x3)",
        ),
        (lambda: cv.kernel("blur"), "kernel = 'blur' is not allowed: use one of identity, edge"),
        (
            lambda: cv.convolve(np.zeros(5), cv.kernel("edge")),
            "image shape = (5,) is not allowed: use a 2-D (height, width) array",
        ),
        (
            lambda: cv.convolve(np.full((5, 5), np.nan), cv.kernel("edge")),
            "image value = nan is not allowed: use finite numbers only",
        ),
        (
            lambda: cv.convolve(np.zeros((5, 5)), np.ones((3, 2))),
            "kernel shape = (3, 2) is not allowed: use a square (k, k) array",
        ),
        (
            lambda: cv.convolve(np.zeros((2, 9)), cv.kernel("edge", 5), padding=1),
            "kernel size = 5 is not allowed: use at most 4 for an input of 2 with padding 1",
        ),
        (lambda: cv.convolve(np.zeros((9, 9)), cv.kernel("edge"), stride=0), "stride = 0"),
        (
            lambda: cv.max_pool(np.zeros((1, 5)), 2),
            "pool size = 2 is not allowed: use an integer from 1 to 1 for a 1x5 image",
        ),
        (lambda: cv.avg_pool(np.zeros((4, 4)), 0), "pool size = 0 is not allowed"),
        (
            lambda: cv.transposed_conv(np.zeros((1, 1)), np.ones((1, 1)), stride=1, padding=1),
            "padding = 1 is not allowed: use at most 0",
        ),
    ],
)
def test_bad_input_names_the_problem_and_the_fix(call, message):
    with pytest.raises(ConfigError) as info:
        call()
    assert isinstance(info.value, ValueError)
    assert str(info.value).startswith(message)


def test_digits_are_read_once_and_labelled():
    assert cv.digit_count() == 10000
    assert cv.load_digit(5) is not cv.load_digit(5)  # a fresh array each time, from one read
    np.testing.assert_array_equal(cv.load_digit(5), cv.load_digit(5))
    assert cv.digit_label(0) in range(10)
    with pytest.raises(ConfigError, match="digit index = 10000 .* from 0 to 9999"):
        cv.digit_label(10000)
