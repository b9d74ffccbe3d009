"""The latent space: vectors, paths between them, arithmetic, principal directions, and a
generator of one's own to render them with.

Vectors are float32 numpy arrays of shape (nz,). ``LatentRenderer`` is a CPU, fp32, eval-mode
copy of G built from a weights snapshot published by the engine or from a checkpoint file; it is
never the training model, so an explorer can render while training goes on. Rendering is
deterministic: the same weights and the same batch of vectors give the same bytes, which is what
lets a saved image's sidecar reproduce it (``recipes``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch

from dcgan_studio.config import ModelConfig, RunConfig
from dcgan_studio.core.models import Generator
from dcgan_studio.core.runs import Checkpoint
from dcgan_studio.core.sampling import latent_vectors, load_generator
from dcgan_studio.core.snapshots import GeneratorWeightsSnapshot, to_uint8_images
from dcgan_studio.errors import CheckpointError

METHODS = ("linear", "spherical")


# ---- vectors ------------------------------------------------------------------------------------
def random_vector(seed: int, nz: int) -> np.ndarray:
    """The z that ``sample --seed seed --n 1`` draws first: (nz,) float32."""
    return latent_vectors(1, nz, seed)[0, :, 0, 0].numpy().copy()


def lerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    return ((1.0 - t) * a + t * b).astype(np.float32)


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation: along the great circle between a and b, with the norm moving
    linearly between theirs. In high dimensions random z lie near a sphere of radius sqrt(nz);
    a straight line between two of them dips towards the centre, where G has seen few vectors,
    so slerp keeps the images sharper midway."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    na, nb = np.linalg.norm(a64), np.linalg.norm(b64)
    if na == 0.0 or nb == 0.0:
        return lerp(a, b, t)
    cos = np.clip(np.dot(a64 / na, b64 / nb), -1.0, 1.0)
    omega = np.arccos(cos)
    if omega < 1e-6:  # (nearly) the same direction: the line is the arc
        return lerp(a, b, t)
    if np.pi - omega < 1e-6:  # opposite: no unique great circle; go via a perpendicular
        return lerp(a, b, t)
    direction = (np.sin((1 - t) * omega) * a64 / na + np.sin(t * omega) * b64 / nb) / np.sin(omega)
    return (direction * ((1 - t) * na + t * nb)).astype(np.float32)


def path(vectors: Sequence[np.ndarray], frames: int, method: str = "spherical") -> np.ndarray:
    """``frames`` vectors (frames, nz) from the first vector through each in turn to the last,
    evenly spaced in t per segment; both ends included."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if len(vectors) < 2:
        raise ValueError("interpolation needs two or more vectors")
    if frames < 2:
        raise ValueError("interpolation needs two or more frames")
    step = slerp if method == "spherical" else lerp
    segments = len(vectors) - 1
    out = []
    for position in np.linspace(0.0, segments, frames):
        segment = min(int(position), segments - 1)
        out.append(step(vectors[segment], vectors[segment + 1], position - segment))
    return np.stack(out).astype(np.float32)


def mean_vector(vectors: Sequence[np.ndarray]) -> np.ndarray:
    if not len(vectors):
        raise ValueError("a slot of the arithmetic is empty: pin at least one vector to it")
    return np.mean(np.stack(vectors), axis=0).astype(np.float32)


def arithmetic(
    a: Sequence[np.ndarray], b: Sequence[np.ndarray], c: Sequence[np.ndarray]
) -> np.ndarray:
    """mean(A) - mean(B) + mean(C), as in the DCGAN paper (which averages three per slot)."""
    return (mean_vector(a) - mean_vector(b) + mean_vector(c)).astype(np.float32)


# ---- a generator of one's own -------------------------------------------------------------------
@dataclass(frozen=True)
class Directions:
    """Principal directions of G, in z space: unit vectors (k, nz), best first."""

    vectors: np.ndarray  # (k, nz), unit length
    explained: np.ndarray  # (k,) share of the layer's variance along each component
    layer: str


class LatentRenderer:
    """A CPU fp32 copy of G in eval mode. Use it from one thread at a time."""

    def __init__(
        self,
        model: ModelConfig,
        state: Mapping[str, torch.Tensor | np.ndarray],
        step: int,
        source: str | None = None,
        run_config: RunConfig | None = None,
        ema: bool = False,
    ) -> None:
        self.model, self.step, self.source = model, step, source  # source: a checkpoint path
        self.ema = ema  # the weights are G (EMA)'s, not G's
        self.run_config = run_config  # the run the weights come from, when known (sidecars)
        with torch.device("meta"):  # no init: it would draw from the RNG training shares
            self.generator = Generator(model)
        self.generator.to_empty(device="cpu")
        tensors = {
            k: torch.as_tensor(np.array(v)) if isinstance(v, np.ndarray) else v
            for k, v in state.items()
        }
        try:
            self.generator.load_state_dict(tensors)  # every weight and buffer, or it raises
        except RuntimeError as exc:
            raise CheckpointError(
                f"these weights do not fit the generator their config "
                f"describes ({str(exc).splitlines()[0]})"
            ) from exc
        self.generator.eval()

    @classmethod
    def from_weights(cls, snapshot: GeneratorWeightsSnapshot, ema: bool = False) -> LatentRenderer:
        """Training's G, or its G (EMA) (``ema``, where the snapshot carries one)."""
        ema = ema and snapshot.ema_state is not None
        state = snapshot.ema_state if ema else snapshot.state
        return cls(ModelConfig(**snapshot.model_config), state, snapshot.step, ema=ema)

    @classmethod
    def from_checkpoint(cls, checkpoint: Checkpoint, ema: bool = False) -> LatentRenderer:
        """A checkpoint's G, or its G (EMA) (``ema``, where it has one)."""
        ema = ema and checkpoint.has_ema
        generator = load_generator(checkpoint, torch.device("cpu"), ema=ema)
        return cls(
            checkpoint.config.model,
            generator.state_dict(),
            checkpoint.step,
            str(checkpoint.path),
            checkpoint.config,
            ema,
        )

    @property
    def nz(self) -> int:
        return self.model.nz

    @torch.no_grad()
    def render(self, z: np.ndarray) -> np.ndarray:
        """uint8 (N, H, W, C) for vectors (N, nz) or one vector (nz,), all in one batch."""
        z = np.asarray(z, np.float32).reshape(-1, self.nz)
        return to_uint8_images(self.generator(torch.from_numpy(z.copy())))

    @torch.no_grad()
    def principal_directions(
        self, count: int = 10, samples: int = 2000, seed: int = 0, layer: str = "relu1"
    ) -> Directions:
        """GANSpace-style: PCA of an early layer's activations over random z, each component
        mapped back to z by least squares (the z direction whose change best moves the layer
        along that component)."""
        z = latent_vectors(samples, self.nz, seed)[:, :, 0, 0]  # (N, nz)
        captured: list[torch.Tensor] = []
        handle = self.generator.layer(layer).register_forward_hook(
            lambda _m, _i, out: captured.append(out.flatten(1).clone())
        )
        try:
            for start in range(0, samples, 500):
                self.generator(z[start : start + 500])
        finally:
            handle.remove()
        acts = torch.cat(captured).double()  # (N, D)
        acts -= acts.mean(0)
        count = min(count, samples - 1, acts.shape[1])
        # exact PCA through the smaller of the Gram and covariance matrices: deterministic, and
        # no draw from torch's global random stream, which training's dropout uses
        if acts.shape[0] <= acts.shape[1]:
            values, vectors = torch.linalg.eigh(acts @ acts.T)  # ascending
            values, vectors = values.flip(0), vectors.flip(1)
            coords = vectors[:, :count] * values[:count].clamp_min(0).sqrt()  # (N, k)
        else:
            values, vectors = torch.linalg.eigh(acts.T @ acts)
            values, vectors = values.flip(0), vectors.flip(1)
            coords = acts @ vectors[:, :count]  # (N, k): each sample along each component
        # z ~ coords @ W: the z direction of each component, by least squares
        w = torch.linalg.lstsq(coords, z.double() - z.double().mean(0)).solution  # (k, nz)
        directions = w / w.norm(dim=1, keepdim=True).clamp_min(1e-12)
        signs = directions.gather(1, directions.abs().argmax(1, keepdim=True)).sign()
        directions = directions * signs  # a component's sign is arbitrary: fix it
        explained = (values[:count].clamp_min(0) / values.clamp_min(0).sum()).numpy()
        return Directions(directions.float().numpy(), explained.astype(np.float32), layer)
