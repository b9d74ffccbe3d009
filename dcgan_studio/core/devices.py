"""Where and in what precision a run trains: CUDA, then Apple MPS, then the CPU; fp32 or bf16."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from dcgan_studio.config import is_device_name
from dcgan_studio.errors import DeviceError


def resolve_device(name: str) -> torch.device:
    """``auto`` picks CUDA, then MPS, then the CPU; a named device must exist."""
    if not is_device_name(name):
        raise DeviceError(
            f"--device {name}: not a device name; use auto, cpu, cuda, cuda:N "
            "(N = 0, 1, ...) or mps"
        )
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError(
                f"--device {name}: no CUDA GPU is usable here (torch {torch.__version__}); "
                "use --device cpu or auto"
            )
        index = int(name.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise DeviceError(
                f"--device {name}: this machine has {torch.cuda.device_count()} CUDA GPU(s), "
                f"numbered 0 to {torch.cuda.device_count() - 1}"
            )
        return torch.device("cuda", index)
    if name == "mps" and not _mps_available():
        raise DeviceError(
            "--device mps: Apple's Metal (MPS) is not available here; use cpu or auto"
        )
    return torch.device(name)


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend and backend.is_available())


def cpu_has_native_bf16() -> bool:
    """AMX or AVX512-BF16: the CPU multiplies bf16 in hardware (oneDNN reports it)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


@dataclass(frozen=True)
class Precision:
    name: str  # fp32 | bf16
    reason: str  # why, in words, for the status bar and the CLI
    channels_last: bool

    @property
    def autocast_dtype(self) -> torch.dtype | None:
        return torch.bfloat16 if self.name == "bf16" else None


def resolve_precision(requested: str, device: torch.device) -> Precision:
    # channels-last (NHWC) suits cuDNN and oneDNN in either precision (faster in fp32 too,
    # docs/benchmarks.md); MPS keeps NCHW
    channels_last = device.type in ("cpu", "cuda")
    if requested == "fp32":
        return Precision("fp32", "fp32 as asked", channels_last)
    native = _native_bf16(device)
    if requested == "bf16":
        if device.type == "cuda" and not native:
            raise DeviceError("--precision bf16: this GPU has no bf16 support; use fp32 or auto")
        reason = "bf16 as asked" + ("" if native else " (emulated on this CPU: slow)")
        return Precision("bf16", reason, channels_last)
    if native:
        where = "GPU" if device.type == "cuda" else "CPU (AMX / AVX512-BF16)"
        return Precision("bf16", f"auto: bf16 autocast, the {where} runs bf16 natively", True)
    return Precision("fp32", f"auto: fp32, {device.type} has no native bf16", channels_last)


def _native_bf16(device: torch.device) -> bool:
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return cpu_has_native_bf16()
    return False
