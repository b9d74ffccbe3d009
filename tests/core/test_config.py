import dataclasses
import json

import pytest

from dcgan_studio.config import PRESETS, SUPPORTED_IMAGE_SIZES, RunConfig, field_names
from dcgan_studio.errors import ConfigError


def test_defaults_are_the_quick_preset_and_the_paper_preset_is_radfords():
    cfg = RunConfig().validate()
    assert (cfg.optim.lr_g, cfg.optim.lr_d, cfg.optim.beta1) == (1.2e-3, 1.2e-3, 0.5)
    assert cfg.model.nz == 100 and cfg.data.dataset == "digits"
    assert RunConfig().with_values(PRESETS["quick"]) == RunConfig()
    paper = RunConfig().with_values(PRESETS["paper"]).validate()
    assert (paper.optim.batch_size, paper.model.ngf, paper.model.ndf) == (128, 64, 64)
    assert (paper.optim.lr_g, paper.optim.lr_d, paper.optim.beta1) == (2e-4, 2e-4, 0.5)
    assert set(PRESETS["quick"]) == set(PRESETS["paper"])  # each sets every field of the other


def test_json_round_trip_keeps_every_field():
    cfg = RunConfig().with_values(
        {
            "model.image_size": 64,
            "model.channels": 3,
            "model.d_dropout": 0.3,
            "optim.label_smoothing": 0.1,
            "optim.d_steps": 2,
            "schedule.iterations": None,
            "schedule.epochs": 5,
            "runtime.device": "cuda:1",
            "runtime.precision": "bf16",
            "data.data_root": "/data",
        }
    )
    again = RunConfig.from_json(cfg.to_json())
    assert again == cfg
    assert json.loads(cfg.to_json())["schedule"]["epochs"] == 5


def test_config_is_frozen():
    cfg = RunConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.model.nz = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    "field, value, allowed",
    [
        ("model.image_size", 30, "16, 28, 32, 56, 64, 128"),
        ("model.channels", 2, "1, 3"),
        ("model.d_dropout", 0.95, "[0, 0.9]"),
        ("optim.batch_size", 1, "from 2 to 65536"),
        ("optim.lr_g", 0.0, "(0, 1]"),
        ("optim.lr_d", float("nan"), "(0, 1]"),
        ("optim.beta1", 1.0, "[0, 1)"),
        ("optim.d_steps", 0, "from 1 to 100"),
        ("optim.label_smoothing", 0.6, "[0, 0.5]"),
        ("schedule.iterations", -5, "from 1 to"),
        ("schedule.seed", -1, "from 0 to"),
        ("runtime.device", "tpu", "auto, cpu, cuda, cuda:N, mps"),
        ("runtime.precision", "fp16", "auto, fp32, bf16"),
        ("model.nz", True, "whole number"),
    ],
)
def test_a_bad_value_names_the_field_the_value_and_the_range(field, value, allowed):
    with pytest.raises(ConfigError) as info:
        RunConfig().with_values({field: value}).validate()
    message = str(info.value)
    assert info.value.field == field
    assert field in message and repr(value) in message and allowed in message


def test_iterations_and_epochs_exclude_each_other():
    with pytest.raises(ConfigError, match="exactly one of iterations or epochs"):
        RunConfig().with_values({"schedule.epochs": 3}).validate()
    cfg = RunConfig().with_values({"schedule.epochs": 3, "schedule.iterations": None}).validate()
    assert cfg.schedule.epochs == 3


def test_unknown_fields_in_json_are_named():
    data = RunConfig().to_dict()
    data["optim"]["learning_rate"] = 1
    with pytest.raises(ConfigError, match="optim.learning_rate"):
        RunConfig.from_dict(data)
    with pytest.raises(ConfigError, match="valid JSON"):
        RunConfig.from_json("{not json")
    with pytest.raises(ConfigError, match="model.image_size"):
        RunConfig().with_values({"model.image_size": 30}).validate()


def test_field_names_cover_every_section():
    names = field_names()
    assert "model.image_size" in names and "runtime.tensorboard" in names
    assert len(names) == len(set(names)) == 29
    assert SUPPORTED_IMAGE_SIZES == (16, 28, 32, 56, 64, 128)


def test_value_reads_every_field_by_its_dotted_name():
    cfg = RunConfig().with_values({"optim.lr_g": 3e-4, "model.image_size": 64})
    assert cfg.value("optim.lr_g") == 3e-4 and cfg.value("model.image_size") == 64
    assert [cfg.value(name) for name in field_names()] == [
        value for section in cfg.to_dict().values() for value in section.values()
    ]


def test_deterministic_is_true_or_false_and_a_run_saved_before_it_existed_is_not():
    with pytest.raises(ConfigError, match="runtime.deterministic"):
        RunConfig().with_values({"runtime.deterministic": "yes"}).validate()
    older = RunConfig().to_dict()
    del older["runtime"]["deterministic"]
    assert RunConfig.from_dict(older).runtime.deterministic is False
