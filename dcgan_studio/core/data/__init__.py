"""Datasets: the registry of what can be trained on, loaded into memory as uint8 tensors.

Images are kept as uint8 (N, C, S, S) at the run's size and channels (a quarter of the memory of
float32) and scaled to [-1, 1] for tanh one batch at a time. The order of batches comes from a
seeded ``BatchSampler`` whose state is part of every checkpoint, so a resumed run sees the same
batches as one that never stopped.

What can be trained on (``cfg.data.dataset``):

    digits                       10,000 MNIST digits bundled with the app (``builtin``)
    shapes                       coloured shapes generated from a seed (``shapes``)
    mnist, fashion-mnist,        torchvision's datasets, read from ``cfg.data.data_root`` in
    cifar10, svhn, celeba        torchvision's own layout (``torchvision_sets``)
    folder:PATH                  the user's own images, flat or one sub-folder per class
                                 (``folder``; too many for memory: ``stream``)

Every loaded ``ImageDataset`` can describe itself for a preview panel: ``summary()`` (count,
size, channels, source, classes, the skipped-file report) and ``preview()`` (a few real images as
a numpy copy). Loading a folder or CelebA takes a ``progress(done, total)`` callback and a
``cancel()`` predicate, so the window can do it off the GUI thread with a progress bar.

The modules, bottom up: ``stream`` and ``base`` (the dataset, its summary, the data root), the
loaders built on them, ``sampler``, and ``registry`` (names -> loaders). This package re-exports
their public names.
"""

from dcgan_studio.core.data.base import (
    FOLDER_PREFIX,
    Cancel,
    DatasetSummary,
    ImageDataset,
    LoadCancelled,
    Progress,
    data_root,
    default_data_root,
    fit_images,
    is_folder_dataset,
    skipped_line,
    to_tanh_range,
)
from dcgan_studio.core.data.builtin import DIGITS_FILE, bundled_file, load_digits_raw
from dcgan_studio.core.data.registry import (
    Loader,
    check_batch_fits,
    dataset_names,
    describe_datasets,
    load_dataset,
    natural_channels,
)
from dcgan_studio.core.data.sampler import BatchSampler
from dcgan_studio.core.data.stream import StreamedImages

__all__ = [
    "DIGITS_FILE",
    "FOLDER_PREFIX",
    "BatchSampler",
    "Cancel",
    "DatasetSummary",
    "ImageDataset",
    "LoadCancelled",
    "Loader",
    "Progress",
    "StreamedImages",
    "bundled_file",
    "check_batch_fits",
    "data_root",
    "dataset_names",
    "default_data_root",
    "describe_datasets",
    "fit_images",
    "is_folder_dataset",
    "load_dataset",
    "load_digits_raw",
    "natural_channels",
    "skipped_line",
    "to_tanh_range",
]
