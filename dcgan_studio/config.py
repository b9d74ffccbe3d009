"""What a run is: frozen dataclasses, validated, with a JSON round trip.

A ``RunConfig`` is passed into everything that needs it (no globals). ``validate()`` raises
``ConfigError`` naming the field, the bad value and what is allowed; ``from_dict`` refuses unknown
fields, so a typo in a saved ``config.json`` is reported, not silently ignored.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

from dcgan_studio.errors import ConfigError

SUPPORTED_IMAGE_SIZES = (16, 28, 32, 56, 64, 128)
DEVICES = ("auto", "cpu", "cuda", "mps")
PRECISIONS = ("auto", "fp32", "bf16")
# G and D together at most this many weights (1.6 GB in fp32, about 4x that to train), far above
# the paper's 64 px networks (6.3 million): a config beyond it, or a forged checkpoint header, is
# refused before any network is built
MAX_PARAMETERS = 400_000_000


@dataclass(frozen=True)
class ModelConfig:
    image_size: int = 32  # H = W of the images G makes and D judges
    channels: int = 1  # 1 = grayscale, 3 = RGB
    nz: int = 100  # length of the latent vector z
    # widths 32 and batch 32 (the paper: 64 and 128) learn digits soonest on a small CPU
    ngf: int = 32  # width of G's last hidden layer; earlier layers are multiples of it
    ndf: int = 32  # width of D's first layer
    d_dropout: float = 0.0  # dropout after each LeakyReLU in D (the TensorFlow tutorial uses 0.3)


@dataclass(frozen=True)
class DataConfig:
    dataset: str = "digits"
    data_root: str | None = None  # folder of downloaded datasets (torchvision layout)
    # decoded images kept in memory up to this many MB; a larger image folder or CelebA is read
    # from its files batch by batch (core/data/stream.py); None: half the machine's free memory
    memory_limit_mb: int | None = None


@dataclass(frozen=True)
class OptimConfig:
    batch_size: int = 32
    # the paper's 2e-4 is for batch 128; at batch 32, 1.2e-3 learns digits sooner and is stable
    lr_g: float = 1.2e-3
    lr_d: float = 1.2e-3
    beta1: float = 0.5
    beta2: float = 0.999
    d_steps: int = 1  # D updates per G update
    label_smoothing: float = 0.0  # one-sided: D's target for real images is 1 - this
    # G (EMA): G's weights averaged over its last updates, each step's weight 1 - this; at the
    # defaults' learning rate a short average (about 10 steps) draws better digits than G
    # (benchmarks/bench_learning.py --try optim.ema_decay=...); 0 makes it G itself
    ema_decay: float = 0.9


@dataclass(frozen=True)
class ScheduleConfig:
    # G updates in the whole run (or set epochs instead): a bound, not a goal; Start in the window
    # trains until Stop or this, about 10 to 20 minutes on a 2-core CPU at the defaults
    iterations: int | None = 20_000
    epochs: int | None = None  # passes over the real data; replaces iterations when set
    seed: int = 1
    log_every: int = 10  # scalars (losses, D outputs, gradient norms) every N iterations
    sample_every: int = 50  # fixed-noise grid saved to samples/ every N iterations
    checkpoint_every: int = 200  # full checkpoint every N iterations (and always at the end)
    keep_checkpoints: int = 3  # newest N checkpoints kept; 0 keeps all
    sample_count: int = 64  # tiles in the fixed-noise grid


@dataclass(frozen=True)
class RuntimeConfig:
    device: str = "auto"  # auto = CUDA, then Apple MPS, then CPU; or cpu, cuda, cuda:N, mps
    precision: str = "auto"  # fp32, bf16, or auto (bf16 where the hardware runs it natively)
    # bit-identical runs for one seed on one CPU, thread count and torch: the CPU's convolution
    # kernels chosen by a fixed rule, not by timing them in each process (core/cpu_conv)
    deterministic: bool = False
    # also write TensorBoard event files (scalars, quality scores, the grid) into RUN/tensorboard
    tensorboard: bool = False


# Named starting points for the settings that decide how fast a run learns: the window's Preset
# box and `train --preset`. "quick" is the defaults: the DCGAN rules (architecture, init, Adam with
# beta1 0.5) at the batch, widths and rates that learn digits fastest per second on a small CPU
# (benchmarks/bench_learning.py measures it). "paper" is Radford et al.'s: batch 128, widths 64,
# lr 2e-4.
PRESETS: dict[str, dict[str, Any]] = {
    "quick": {
        "optim.batch_size": 32,
        "model.ngf": 32,
        "model.ndf": 32,
        "optim.lr_g": 1.2e-3,
        "optim.lr_d": 1.2e-3,
        "optim.beta1": 0.5,
        "optim.beta2": 0.999,
        "optim.d_steps": 1,
    },
    "paper": {
        "optim.batch_size": 128,
        "model.ngf": 64,
        "model.ndf": 64,
        "optim.lr_g": 2e-4,
        "optim.lr_d": 2e-4,
        "optim.beta1": 0.5,
        "optim.beta2": 0.999,
        "optim.d_steps": 1,
    },
}


@dataclass(frozen=True)
class RunConfig:
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    schedule: ScheduleConfig = field(default_factory=ScheduleConfig)
    runtime: RuntimeConfig = field(default_factory=RuntimeConfig)

    # ---- validation -------------------------------------------------------------------------
    def validate(self) -> RunConfig:
        m, o, s, r = self.model, self.optim, self.schedule, self.runtime
        _choice("model.image_size", m.image_size, SUPPORTED_IMAGE_SIZES)
        _choice("model.channels", m.channels, (1, 3))
        _int_range("model.nz", m.nz, 1, 4096)
        _int_range("model.ngf", m.ngf, 1, 1024)
        _int_range("model.ndf", m.ndf, 1, 1024)
        _float_range("model.d_dropout", m.d_dropout, 0.0, 0.9)
        _parameters_fit(m)
        if not isinstance(self.data.dataset, str) or not self.data.dataset.strip():
            raise ConfigError("data.dataset", self.data.dataset, "a dataset name such as 'digits'")
        if self.data.data_root is not None and not isinstance(self.data.data_root, str):
            raise ConfigError("data.data_root", self.data.data_root, "a folder path, or null")
        if self.data.memory_limit_mb is not None:
            _int_range("data.memory_limit_mb", self.data.memory_limit_mb, 1, 2**40)
        _int_range("optim.batch_size", o.batch_size, 2, 65536)
        _float_range("optim.lr_g", o.lr_g, 0.0, 1.0, low_open=True)
        _float_range("optim.lr_d", o.lr_d, 0.0, 1.0, low_open=True)
        _float_range("optim.beta1", o.beta1, 0.0, 1.0, high_open=True)
        _float_range("optim.beta2", o.beta2, 0.0, 1.0, high_open=True)
        _int_range("optim.d_steps", o.d_steps, 1, 100)
        _float_range("optim.label_smoothing", o.label_smoothing, 0.0, 0.5)
        _float_range("optim.ema_decay", o.ema_decay, 0.0, 1.0, high_open=True)
        if (s.iterations is None) == (s.epochs is None):
            raise ConfigError(
                "schedule.iterations", s.iterations, "exactly one of iterations or epochs set"
            )
        if s.iterations is not None:
            _int_range("schedule.iterations", s.iterations, 1, 10**9)
        if s.epochs is not None:
            _int_range("schedule.epochs", s.epochs, 1, 10**6)
        _int_range("schedule.seed", s.seed, 0, 2**63 - 1)
        for name in ("log_every", "sample_every", "checkpoint_every"):
            _int_range(f"schedule.{name}", getattr(s, name), 1, 10**9)
        _int_range("schedule.keep_checkpoints", s.keep_checkpoints, 0, 10**6)
        _int_range("schedule.sample_count", s.sample_count, 1, 1024)
        if not is_device_name(r.device):
            raise ConfigError("runtime.device", r.device, "one of auto, cpu, cuda, cuda:N, mps")
        _choice("runtime.precision", r.precision, PRECISIONS)
        if not isinstance(r.deterministic, bool):
            raise ConfigError("runtime.deterministic", r.deterministic, "true or false")
        if not isinstance(r.tensorboard, bool):
            raise ConfigError("runtime.tensorboard", r.tensorboard, "true or false")
        return self

    # ---- JSON -------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_dict(cls, data: Any) -> RunConfig:
        if not isinstance(data, dict):
            raise ConfigError("config", type(data).__name__, "a JSON object of sections")
        sections = {}
        for f in dataclasses.fields(cls):
            section = data.get(f.name, {})
            sections[f.name] = _section_from_dict(f.name, f.default_factory, section)  # type: ignore[arg-type]
        unknown = sorted(set(data) - set(sections))
        if unknown:
            raise ConfigError(unknown[0], data[unknown[0]], f"one of {', '.join(sections)}")
        return cls(**sections).validate()

    @classmethod
    def from_json(cls, text: str | bytes) -> RunConfig:
        try:
            data = parse_json(text)
        except ValueError as exc:
            raise ConfigError("config", str(exc), "valid JSON in UTF-8") from exc
        return cls.from_dict(data)

    def replace(self, **sections: Any) -> RunConfig:
        """A copy with whole sections replaced: ``cfg.replace(optim=...)``."""
        return dataclasses.replace(self, **sections)

    def value(self, dotted: str) -> Any:
        """One field by its dotted name: ``cfg.value("optim.lr_g")``."""
        section, _, name = dotted.partition(".")
        return getattr(getattr(self, section), name)

    def with_values(self, values: dict[str, Any]) -> RunConfig:
        """A copy with dotted fields set: ``cfg.with_values({"optim.lr_g": 1e-3})``."""
        sections = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for dotted, value in values.items():
            section, _, name = dotted.partition(".")
            if section not in sections or name not in _field_names(type(sections[section])):
                raise ConfigError(dotted, value, "a known config field")
            sections[section] = dataclasses.replace(sections[section], **{name: value})
        return RunConfig(**sections)


def parse_json(text: str | bytes) -> Any:
    """``json.loads`` for files a person or a crash may have damaged: every way it can fail
    (bad syntax, non-UTF-8 bytes, a number of more than 4300 digits, nesting deeper than the
    interpreter's recursion limit) is a ``ValueError`` with a short reason."""
    try:
        if isinstance(text, (bytes, bytearray)):
            text = bytes(text).decode("utf-8")  # not json's guess at UTF-16 or UTF-32
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{exc.msg} at line {exc.lineno}, column {exc.colno}") from exc
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte {exc.start})") from exc
    except RecursionError as exc:
        raise ValueError("nested too deeply") from exc
    except (ValueError, TypeError) as exc:  # "Exceeds the limit (4300 digits)...", not text
        raise ValueError(str(exc).split(";")[0]) from exc


def field_names() -> list[str]:
    """Every config field as ``section.name``, in declaration order."""
    return [
        f"{section.name}.{name}"
        for section in dataclasses.fields(RunConfig)
        for name in _field_names(section.default_factory)  # type: ignore[arg-type]
    ]


def _field_names(section_type: type) -> list[str]:
    return [f.name for f in dataclasses.fields(section_type)]


def _section_from_dict(section_name: str, section_type: type, data: Any) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(section_name, data, "a JSON object")
    names = _field_names(section_type)
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ConfigError(
            f"{section_name}.{unknown[0]}", data[unknown[0]], f"one of {', '.join(names)}"
        )
    return section_type(**data)


def is_device_name(device: Any) -> bool:
    """auto, cpu, cuda, mps or cuda:N (ASCII digits: "cuda:²" is isdigit() but no index)."""
    if not isinstance(device, str):
        return False
    if device in DEVICES:
        return True
    return device.startswith("cuda:") and device[5:].isascii() and device[5:].isdigit()


def _parameters_fit(m: ModelConfig) -> None:
    # the plans count the weights (architecture imports this module: imported here, not above)
    from dcgan_studio.core.architecture import discriminator_plan, generator_plan

    g, d = generator_plan(m).params, discriminator_plan(m).params
    if g + d > MAX_PARAMETERS:
        name, value = ("model.ngf", m.ngf) if g >= d else ("model.ndf", m.ndf)
        raise ConfigError(
            name,
            value,
            f"narrower networks: G and D would have {g + d:,} "
            f"weights at image size {m.image_size}, more than the {MAX_PARAMETERS:,} "
            "this app builds (lower the widths or the image size)",
        )


def _choice(name: str, value: Any, allowed: tuple) -> None:
    # the same type too: 16.0 in (16, 32) is True, but a float image size breaks range()
    if isinstance(value, bool) or not any(type(value) is type(a) and value == a for a in allowed):
        raise ConfigError(name, value, "one of " + ", ".join(str(a) for a in allowed))


def _int_range(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ConfigError(name, value, f"a whole number from {low} to {high}")


def _float_range(
    name: str,
    value: Any,
    low: float,
    high: float,
    low_open: bool = False,
    high_open: bool = False,
) -> None:
    ok = isinstance(value, (int, float)) and not isinstance(value, bool)
    if ok:
        v = float(value)
        ok = (
            v == v
            and (v > low if low_open else v >= low)
            and (v < high if high_open else v <= high)
        )
    if not ok:
        lo, hi = ("(" if low_open else "["), (")" if high_open else "]")
        raise ConfigError(name, value, f"a number in {lo}{low:g}, {high:g}{hi}")
