"""The CNN trainer's CUDA path, pinned where the sampled mutation run of sim/ found it unchecked
(docs/mutation.md).  A CPU machine can still check the determinism flags that ``--device cuda`` sets; a
dropout network trained twice on CUDA needs a GPU (``gpu`` marker)."""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sim._cnn_train import configure  # noqa: E402
from sim.cnn import CNNRun, train_cnn  # noqa: E402

from ._cnn_images import synthetic_images  # noqa: E402


@pytest.fixture
def restored_flags():
    """The global flags ``configure`` sets, put back after the test (and the thread count)."""
    names = [(torch.backends.cudnn, "deterministic"), (torch.backends.cudnn, "benchmark"),
             (torch.backends.cudnn, "allow_tf32"), (torch.backends.cuda.matmul, "allow_tf32")]
    saved = [(owner, name, getattr(owner, name)) for owner, name in names]
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    yield
    for owner, name, value in saved:
        setattr(owner, name, value)
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(deterministic)


def test_cuda_device_gets_deterministic_kernels_and_no_tf32(monkeypatch, restored_flags):
    """``--device cuda`` asks cuDNN for deterministic kernels, no autotuning and no TF32 (float32 stays
    float32 in convolutions and matrix products), so one seed gives one result.  Checked with CUDA reported
    present (the flags are plain settings; nothing runs on a device).  Kills ``cudnn.allow_tf32 = False`` made
    ``None``."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.benchmark = True
    device = configure("cuda")
    assert device == torch.device("cuda")
    assert torch.backends.cudnn.deterministic is True and torch.backends.cudnn.benchmark is False
    assert torch.backends.cudnn.allow_tf32 is False and torch.backends.cuda.matmul.allow_tf32 is False


@pytest.mark.parametrize("device", ["cpu", "cuda"])
def test_every_device_gets_deterministic_algorithms(monkeypatch, restored_flags, device):
    """On either device PyTorch is told to use deterministic algorithms only (an operation without one raises
    instead of silently varying), so one seed gives one result.  Kills ``use_deterministic_algorithms(True)``
    made ``False``."""
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    torch.use_deterministic_algorithms(False)
    configure(device)
    assert torch.are_deterministic_algorithms_enabled()


@pytest.mark.gpu
def test_dropout_masks_come_from_a_generator_on_the_device():
    """BN + dropout trained twice on CUDA gives the same numbers: the masks come from the run's own generator,
    which lives on the device (a CPU generator cannot draw a CUDA mask).  Kills the dropout generator made on
    the default device."""
    if not torch.cuda.is_available():
        pytest.skip("PyTorch sees no CUDA device")
    data = synthetic_images()
    run = CNNRun("bn_dropout", 32, 0, epochs=1, eval_train=64, device="cuda")
    (a, _), (b, _) = train_cnn(run, data), train_cnn(run, data)
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
