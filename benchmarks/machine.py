"""Which CPU a figure came from, in the words `lscpu` uses, for the benchmarks to print."""

from __future__ import annotations

import os
import platform

# the instruction sets that decide which kernels and precision the studio uses on a CPU
FEATURES = ("avx2", "avx512f", "avx512_bf16", "amx_bf16")


def cpu_description() -> str:
    """'AMD EPYC, 2 cores, avx2 avx512f avx512_bf16' (model name and flags of /proc/cpuinfo)."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and value.strip():
                    model = value.strip()
                elif key == "flags":
                    flags = set(value.split())
                    break
    except OSError:
        pass
    have = [name for name in FEATURES if name in flags]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{model}, {cores} cores" + (f", {' '.join(have)}" if have else "")
