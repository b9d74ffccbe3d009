import numpy as np
import pytest
import torch

from dcgan_studio.core.data import BatchSampler, fit_images, load_dataset, load_digits_raw
from dcgan_studio.errors import ConfigError, DatasetError
from tests.conftest import tiny_config


def test_bundled_digits_are_real_mnist_of_all_ten_classes():
    images, labels = load_digits_raw()
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    # MNIST: white ink on black, the border of every image background, the centre inked
    assert images[:, 0, :].max() == 0 or images[:, 0, :].mean() < 1
    assert images.max() == 255 and images[:, 10:18, 10:18].mean() > 60
    assert 30 < images.mean() < 40  # MNIST's mean grey level is about 33


@pytest.mark.parametrize("size, channels", [(16, 1), (28, 1), (32, 3), (64, 1)])
def test_digits_load_at_the_run_size_and_scale_to_tanh_range(size, channels):
    ds = load_dataset(tiny_config(**{"model.image_size": size, "model.channels": channels}))
    assert len(ds) == 10000 and ds.image_shape == (channels, size, size)
    batch = ds.batch(torch.arange(16))
    assert batch.dtype == torch.float32
    assert batch.min().item() == -1.0 and batch.max().item() <= 1.0 and batch.max() > 0.9


def test_resize_keeps_the_digit():
    images, _ = load_digits_raw()
    big = fit_images(torch.from_numpy(images[:4])[:, None], 56, 1)
    assert big.shape == (4, 1, 56, 56)
    # the 2x upscaled image, pooled back, is close to the original
    back = torch.nn.functional.avg_pool2d(big.float(), 2)
    assert (back[:, 0] - torch.from_numpy(images[:4]).float()).abs().mean() < 12


def test_unknown_dataset_and_oversized_batch_are_refused_with_the_fix():
    with pytest.raises(DatasetError, match="unknown dataset 'cifar': use one of digits"):
        load_dataset(tiny_config(**{"data.dataset": "cifar"}))
    with pytest.raises(ConfigError, match="batch_size = 20000 is not allowed: use at most 10000"):
        load_dataset(tiny_config(**{"optim.batch_size": 20000}))


def test_sampler_covers_each_epoch_once_and_resumes_exactly():
    a = BatchSampler(100, 30, seed=3)
    first_epoch = torch.cat([a.next_indices() for _ in range(3)])
    assert len(set(first_epoch.tolist())) == 90  # drop-last: 3 whole batches, no repeats
    a.next_indices()
    assert a.epoch == 1
    state = a.state_dict()
    b = BatchSampler(100, 30, seed=999)
    b.load_state_dict(state)
    for _ in range(7):
        assert torch.equal(a.next_indices(), b.next_indices())
    with pytest.raises(DatasetError, match="dataset of 100 images"):
        BatchSampler(50, 10, 0).load_state_dict(state)


def test_the_preview_is_in_the_order_drawn_not_sorted_by_class():
    """Issue 18: the Data panel said "as training will see them" over digits sorted 0 to 9 (the
    bundled file is stored class by class, and the preview sorted its indices)."""
    dataset = load_dataset(tiny_config())
    order = torch.randperm(len(dataset), generator=torch.Generator().manual_seed(0))[:64]
    np.testing.assert_array_equal(dataset.preview(64, seed=0), dataset.images[order].numpy())
    labels = dataset.labels[order.numpy()].astype(int)
    assert (np.diff(labels) < 0).any()  # a shuffled batch: the classes mixed
