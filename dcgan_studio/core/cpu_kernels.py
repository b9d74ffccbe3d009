"""The second ways of computing DCGAN's convolution products on the CPU: plain tensor functions
that compute what PyTorch's own do, up to rounding, which core.cpu_conv times against oneDNN's.

- the weight gradient (of a convolution or a transposed one): im2col as a strided view of the
  padded NHWC input, copied once, then one matrix product, ``(O, B*L) @ (B*L, k*k*C)``;
- a transposed convolution (G's forward pass, and D's input gradient, which is one): sub-pixel,
  a stride-1 convolution with the kernel split into its ``s*s`` phases, then a pixel shuffle;
- a convolution whose kernel covers the whole image (D's last layer) and a transposed convolution
  of one pixel (G's first): one matrix product each.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def layout_of(*tensors: torch.Tensor) -> torch.memory_format:
    """Channels-last when any of ``tensors`` is stored that way (and not also plainly contiguous,
    as a (B, C, 1, 1) tensor is both), as oneDNN decides for a convolution's output."""
    for t in tensors:
        if t.is_contiguous(memory_format=torch.channels_last) and not t.is_contiguous():
            return torch.channels_last
    return torch.contiguous_format


def weight_grad_matmul(
    x: torch.Tensor, grad: torch.Tensor, kernel: int, stride: int, padding: int
) -> torch.Tensor:
    """d(loss)/d(weight) of ``conv2d(x, weight, stride, padding)`` whose output gradient is
    ``grad``: x (B, C, H, W), grad (B, O, Ho, Wo) -> (O, C, k, k), stored channels-last."""
    batch, channels = x.shape[:2]
    out_channels, out_h, out_w = grad.shape[1:]
    padded = F.pad(x.permute(0, 2, 3, 1), (0, 0, padding, padding, padding, padding)).contiguous()
    sb, sh, sw, sc = padded.stride()  # (B, H + 2p, W + 2p, C)
    windows = padded.as_strided(
        (batch, out_h, out_w, kernel, kernel, channels), (sb, sh * stride, sw * stride, sh, sw, sc)
    )
    columns = windows.reshape(batch * out_h * out_w, kernel * kernel * channels)  # im2col, a copy
    rows = grad.permute(0, 2, 3, 1).reshape(batch * out_h * out_w, out_channels)
    return (rows.t() @ columns).view(out_channels, kernel, kernel, channels).permute(0, 3, 1, 2)


def conv_whole_image(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """A convolution whose kernel covers the whole (unpadded) image, as D's last layer does, is
    one matrix product: x (B, C, k, k), weight (O, C, k, k) -> (B, O, 1, 1)."""
    batch, out_channels = x.shape[0], weight.shape[0]
    rows = x.permute(0, 2, 3, 1).reshape(batch, -1)  # (B, k*k*C)
    return (rows @ weight.permute(0, 2, 3, 1).reshape(out_channels, -1).t()).view(
        batch, out_channels, 1, 1
    )


def conv_transpose_one_pixel(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Its transpose, G's first layer (one input pixel, no padding), is one matrix product too:
    x (B, Cin, 1, 1), weight (Cin, Cout, k, k) -> (B, Cout, k, k)."""
    batch, c_in = x.shape[:2]
    c_out, kernel = weight.shape[1], weight.shape[2]
    out = x.reshape(batch, c_in) @ weight.permute(0, 2, 3, 1).reshape(c_in, -1)  # (B, k*k*Cout)
    return out.view(batch, kernel, kernel, c_out).permute(0, 3, 1, 2)


def subpixel_fits(kernel: int, stride: int, padding: int, output_padding: int) -> bool:
    """Whether ``conv_transpose_subpixel`` computes this geometry (DCGAN's 4, 2, 1 does)."""
    return kernel % stride == 0 and output_padding <= padding


def _phase_rows(size: int, stride: int, padding: int, full: int) -> tuple[int, int] | None:
    """Where output row ``y = stride*q + r`` (``0 <= r < stride``) of a sub-pixel transposed
    convolution finds its value: row ``q + first + r*step`` of the stride-1 convolution's output
    (``full`` rows), in phase ``(r + padding) % stride``. Returns (first, step) when that holds
    for every row, so that the pixel shuffle and the crop are one strided view; else None."""
    if size % stride:
        return None
    offsets = [(r + padding) // stride for r in range(stride)]
    step = offsets[1] - offsets[0] if stride > 1 else 0
    if any(offset != offsets[0] + r * step for r, offset in enumerate(offsets)):
        return None
    if offsets[-1] + size // stride > full:
        return None
    return offsets[0], step


def conv_transpose_subpixel(
    x: torch.Tensor,
    weight: torch.Tensor,
    stride: int,
    padding: int,
    output_padding: int = 0,
    layout: torch.memory_format | None = None,
) -> torch.Tensor:
    """``conv_transpose2d(x, weight, stride, padding, output_padding)`` as one stride-1
    convolution and a pixel shuffle: output pixel ``s*q + t - p`` takes taps ``t, t + s, ...`` of
    the kernel, so each of the ``s*s`` phases ``t`` is an ``M x M`` kernel (``M = k / s``).
    x (B, Cin, H, W), weight (Cin, Cout, k, k) -> (B, Cout, (H-1)s - 2p + k + op, ...).

    Where the phases' rows line up (``_phase_rows``: DCGAN's k 4, s 2, p 1 does), the shuffle,
    the crop of the padding and the layout are a single strided copy of the convolution's output,
    where ``pixel_shuffle`` and a crop would take two."""
    c_in, c_out, kernel = weight.shape[0], weight.shape[1], weight.shape[2]
    m = kernel // stride
    height, width = x.shape[2:]
    batch = x.shape[0]
    out_h = (height - 1) * stride - 2 * padding + kernel + output_padding
    out_w = (width - 1) * stride - 2 * padding + kernel + output_padding
    layout = layout or layout_of(x, weight)
    taps = weight.reshape(c_in, c_out, m, stride, m, stride).flip(2, 4)
    rows = _phase_rows(out_h, stride, padding, height + m - 1)
    cols = _phase_rows(out_w, stride, padding, width + m - 1)
    if rows is None or cols is None:
        phases = taps.permute(1, 3, 5, 0, 2, 4).reshape(c_out * stride * stride, c_in, m, m)
        full = F.conv2d(x, phases.contiguous(memory_format=layout), None, 1, m - 1)
        if stride > 1:
            full = F.pixel_shuffle(full, stride)  # (B, Cout, s(H + M - 1), s(W + M - 1))
        return full[:, :, padding : padding + out_h, padding : padding + out_w].contiguous(
            memory_format=layout
        )
    # phases ordered by the output's row and column remainders r, then the output channel
    if padding % stride:  # then s is 2 (see _phase_rows) and remainder r is phase 1 - r
        taps = taps.flip(3, 5)
    phases = taps.permute(3, 5, 1, 0, 2, 4).reshape(stride * stride * c_out, c_in, m, m)
    full = F.conv2d(x, phases.contiguous(memory_format=layout), None, 1, m - 1)
    (first_row, step), first_col = rows, cols[0]
    s_b, s_c, s_h, s_w = full.stride()
    q_h, q_w = out_h // stride, out_w // stride
    shuffled = full.as_strided(  # [b, q, r, u, t, c] = full[b, (r*s + t)*Cout + c, q + ..., ...]
        (batch, q_h, stride, q_w, stride, c_out),
        (s_b, s_h, stride * c_out * s_c + step * s_h, s_w, c_out * s_c + step * s_w, s_c),
        full.storage_offset() + first_row * s_h + first_col * s_w,
    )
    out = torch.empty(
        (batch, c_out, out_h, out_w), dtype=full.dtype, device=full.device, memory_format=layout
    )
    if layout is torch.channels_last:
        target = out.permute(0, 2, 3, 1).view(batch, q_h, stride, q_w, stride, c_out)
    else:
        target = out.view(batch, c_out, q_h, stride, q_w, stride).permute(0, 2, 3, 4, 5, 1)
    target.copy_(shuffled)
    return out
