"""Every architecture built by Paddle matches its catalog entry: the forward shape the pure core inferred,
the per-block shapes and parameter counts of the summary, and what each freeze mode leaves trainable."""
from __future__ import annotations

import numpy as np
import paddle
import pytest
from paddle import nn

from backbone_graphs import backbone_graph
from dragdl_core import backbones
from dragdl_core.compiler import summary
from dragdl_core.runtime.backbones import count_parameters, feature_extractor
from dragdl_core.runtime.summary import model_summary

ARCHS = sorted(backbones.builtin())
pytestmark = pytest.mark.filterwarnings("ignore:When training, we now always track")  # Paddle, per BatchNorm


def trainable_by_block(extractor) -> dict[str, int]:
    return {block.name: sum(count_parameters(layer)[1] for layer in extractor.block_layers(block))
            for block in extractor.arch.blocks}


@pytest.mark.parametrize("arch", ARCHS)
def test_arch_builds_and_matches_the_inferred_shapes(arch):
    extractor = feature_extractor(arch, weights="none", freeze="none")
    head = nn.Linear(extractor.arch.channels, 4)
    for size in (32, 45):  # the minimum, and an odd size that tests each rounding rule
        pure = summary.summarize(backbone_graph(arch, image_size=size, freeze="none"))
        measured = model_summary(nn.Sequential(extractor, head), [3, size, size])
        assert [(r["layer"], r["output_shape"], r["parameters"]) for r in measured["rows"][:-1]] == \
               [(r["layer"], r["output_shape"], r["parameters"]) for r in pure["rows"][:-1]]
        assert (measured["parameters"], measured["trainable"]) == (pure["parameters"], pure["trainable"])
    extractor.eval()
    with paddle.no_grad():
        features = extractor(paddle.rand([2, 3, 64, 64]))
    inferred = summary.summarize(backbone_graph(arch, image_size=64))["rows"][-2]["output_shape"]
    assert [int(d) for d in features.shape] == [2, *inferred]


@pytest.mark.parametrize("arch", ARCHS)
def test_each_freeze_mode_leaves_the_right_parameters_trainable(arch):
    spec = backbones.get(arch)
    learnable = {b.name: b.parameters for b in spec.blocks}
    everything = feature_extractor(arch, weights="none", freeze="none")
    assert trainable_by_block(everything) == learnable
    last_two = feature_extractor(arch, weights="none", freeze="partial", trainable_blocks=2)
    expected = {name: (n if i >= len(spec.blocks) - 2 else 0) for i, (name, n) in enumerate(learnable.items())}
    assert trainable_by_block(last_two) == expected
    head_only = feature_extractor(arch, weights="none", freeze="features")
    assert count_parameters(head_only)[1] == 0


def test_frozen_batchnorm_stays_in_evaluation_mode_after_model_train():
    extractor = feature_extractor("resnet18", weights="none", freeze="partial", trainable_blocks=1)
    model = nn.Sequential(extractor, nn.Linear(512, 4))
    frozen_bn, learning_bn = extractor.net.layer3[0].bn1, extractor.net.layer4[0].bn1
    before = {bn: bn._mean.numpy().copy() for bn in (frozen_bn, learning_bn)}
    images = paddle.rand([4, 3, 32, 32]) * 3 + 1
    model.train()
    model(images)
    assert np.array_equal(frozen_bn._mean.numpy(), before[frozen_bn])        # no statistics updated
    assert not np.array_equal(learning_bn._mean.numpy(), before[learning_bn])  # the learning block's are

    head_only = nn.Sequential(feature_extractor("resnet18", weights="none", freeze="features"))
    head_only.eval()
    expected = head_only(images).numpy()
    head_only.train()
    np.testing.assert_allclose(head_only(images).numpy(), expected, rtol=1e-5, atol=1e-5)


def test_a_partial_fine_tune_step_changes_only_the_last_blocks_and_the_head():
    paddle.seed(0)
    extractor = feature_extractor("shufflenet_v2_x0_25", weights="none", freeze="partial", trainable_blocks=1)
    model = nn.Sequential(extractor, nn.Linear(512, 4))
    optimizer = paddle.optimizer.Adam(learning_rate=0.01, parameters=model.parameters())
    before = {name: p.numpy().copy() for name, p in model.named_parameters()}
    model.train()
    loss = nn.functional.cross_entropy(model(paddle.rand([2, 3, 32, 32])), paddle.to_tensor([0, 1]))
    loss.backward()
    optimizer.step()
    changed = {name for name, p in model.named_parameters() if not np.array_equal(p.numpy(), before[name])}
    assert changed, "nothing learned"
    assert all(name.startswith(("0.net._last_conv.", "1.")) for name in changed), sorted(changed)[:5]
    assert any(name.startswith("1.") for name in changed)
    assert any(name.startswith("0.net._last_conv.") for name in changed)
