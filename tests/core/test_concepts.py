import pytest

from dcgan_studio.config import SUPPORTED_IMAGE_SIZES, ModelConfig
from dcgan_studio.core.architecture import (
    conv_output_size,
    conv_transpose_output_size,
    discriminator_plan,
    generator_plan,
)
from dcgan_studio.core.concepts import KINDS, TOPICS, Concept, explain, topic


@pytest.mark.parametrize("size", SUPPORTED_IMAGE_SIZES)
def test_every_layer_of_every_plan_has_a_concept(size):
    cfg = ModelConfig(image_size=size, channels=3, d_dropout=0.3)
    seen = set()
    for network, plan in (("g", generator_plan(cfg)), ("d", discriminator_plan(cfg))):
        for layer in plan.layers:
            for which in (network, None):
                concept = explain(layer.kind, which)
                assert isinstance(concept, Concept)
                assert concept.title.strip() and concept.short.strip() and concept.long.strip()
                assert len(concept.short) < 200, (layer.kind, "a tooltip, not an essay")
            seen.add(layer.kind)
    assert seen == set(KINDS)


def test_topics_have_text():
    assert set(TOPICS) == {"d_outputs", "feature_maps", "filters", "gradients"}
    for name in TOPICS:
        concept = topic(name)
        assert concept.title.strip() and concept.short.strip() and concept.long.count("<p>") >= 2


def test_unknown_kind_names_the_known_ones():
    with pytest.raises(ValueError) as info:
        explain("maxpool")
    message = str(info.value)
    assert "maxpool" in message
    assert all(kind in message for kind in KINDS)
    with pytest.raises(ValueError, match="d_outputs"):
        topic("losses")


def test_formulas_in_the_text_match_the_code():
    assert "o = (i - 1)s - 2p + k" in explain("conv_transpose", "g").long
    assert "o = (i - 1)s - 2p + k" in explain("conv_transpose").short
    assert "o = floor((i + 2p - k)/s) + 1" in explain("conv", "d").long
    # the claims "doubles" / "halves" with the 4x4, stride 2, padding 1 blocks
    assert "doubles" in explain("conv_transpose", "g").short
    assert all(conv_transpose_output_size(i, 4, 2, 1) == 2 * i for i in (4, 7, 8, 64))
    assert "halve" in explain("conv", "d").short
    assert all(conv_output_size(i, 4, 2, 1) == i // 2 for i in (8, 14, 28, 128))


def test_text_tells_the_dcgan_choices():
    assert "[-1, 1]" in explain("tanh").short and "[-1, 1]" in explain("tanh", "g").long
    assert "0.2" in explain("leaky_relu", "d").title
    assert "pooling" in explain("conv", "d").short
    assert "logit" in explain("conv", "d").long and "sigmoid" in explain("conv", "d").long
    assert "output layer" in explain("batchnorm", "g").short
    assert "input layer" in explain("batchnorm", "d").short
    assert "evaluation" in explain("dropout", "d").short
    assert "1/2" in topic("d_outputs").long


def test_network_tailors_the_text_and_rejects_unknown_networks():
    assert explain("conv", "d") != explain("conv")
    assert explain("relu", "g") == explain("relu")  # falls back to the general text
    with pytest.raises(ValueError, match="'g', 'd'"):
        explain("conv", "x")
