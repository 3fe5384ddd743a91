"""What the llama.cpp build can run a model on, and how many layers the `gpu_layers` setting offloads.

llama.cpp's own answer, `llama_supports_gpu_offload()`, is true only once a GPU backend found a
device: a CUDA build on a machine whose driver is missing answers False, as a CPU build does. ggml's
backend registry tells the two apart (a GPU backend registered with no device), so the doctor can
say which fix applies: rebuild for a GPU, or make the GPU visible.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass

from engine.config import GpuLayers
from engine.models import ModelError

GIB = 1024**3

# Registered backends that are not a GPU even when they list no device: the CPU, CPU-side
# accelerators, and RPC (offload to llama.cpp servers on other machines, not a local GPU).
_NOT_GPU_BACKENDS = frozenset({"CPU", "BLAS", "RPC"})

# enum ggml_backend_dev_type of the pinned llama.cpp: CPU 0, GPU 1, integrated GPU 2, accelerator 3, meta 4.
_GPU_DEVICE_TYPES = frozenset({1, 2})


@dataclass(frozen=True)
class Device:
    name: str
    """ggml's device name, e.g. CUDA0."""
    description: str
    """What the driver calls it, e.g. NVIDIA L4."""
    free_bytes: int
    total_bytes: int

    def describe(self) -> str:
        return f"{self.name} ({self.description}, {self.free_bytes / GIB:.1f} of {self.total_bytes / GIB:.1f} GiB free)"


@dataclass(frozen=True)
class GpuSupport:
    offload: bool
    """`llama_supports_gpu_offload()`: a GPU backend is built in and found a device."""
    backends: tuple[str, ...] = ()
    """GPU backends built in (CUDA, Metal, Vulkan, ...), whether or not they found a device."""
    devices: tuple[Device, ...] = ()
    """The GPUs found."""
    listed: bool = True
    """False when the bindings do not reach ggml's registry: then `backends` and `devices` are unknown."""

    @property
    def gpu_build(self) -> bool:
        return self.offload or bool(self.backends)

    @property
    def has_gpu(self) -> bool:
        """A local GPU takes layers. `offload` alone also counts an RPC backend, which may have no server."""
        return bool(self.devices) if self.listed else self.offload


def gpu_support() -> GpuSupport:
    """Asks the loaded llama.cpp library; cheap, and the same answer for the life of the process."""
    import llama_cpp

    llama_cpp.llama_backend_init()
    offload = bool(llama_cpp.llama_supports_gpu_offload())
    try:
        ggml = _ggml()
    except (ImportError, AttributeError, OSError):
        return GpuSupport(offload, listed=False)
    backends = []
    for index in range(ggml.ggml_backend_reg_count()):
        registry = ggml.ggml_backend_reg_get(index)
        name = ggml.ggml_backend_reg_name(registry).decode(errors="replace")
        types = {
            ggml.ggml_backend_dev_type(ggml.ggml_backend_reg_dev_get(registry, device))
            for device in range(ggml.ggml_backend_reg_dev_count(registry))
        }
        if name not in _NOT_GPU_BACKENDS and (not types or types & _GPU_DEVICE_TYPES):
            backends.append(name)
    devices = []
    for index in range(ggml.ggml_backend_dev_count()):
        device = ggml.ggml_backend_dev_get(index)
        if ggml.ggml_backend_dev_type(device) not in _GPU_DEVICE_TYPES:
            continue
        free, total = ctypes.c_size_t(), ctypes.c_size_t()
        ggml.ggml_backend_dev_memory(device, ctypes.byref(free), ctypes.byref(total))
        devices.append(
            Device(
                ggml.ggml_backend_dev_name(device).decode(errors="replace"),
                ggml.ggml_backend_dev_description(device).decode(errors="replace"),
                free.value,
                total.value,
            )
        )
    return GpuSupport(offload, tuple(backends), tuple(devices))


def resolve_gpu_layers(setting: GpuLayers, support: GpuSupport) -> int:
    """The `n_gpu_layers` llama.cpp is given: `auto` is every layer (-1) when it can offload, else 0."""
    if setting == "auto":
        return -1 if support.offload else 0
    return setting


def offloaded_layers(n_gpu_layers: int, model_layers: int, support: GpuSupport) -> int:
    """How many layers `n_gpu_layers` puts on a GPU. llama.cpp offloads the output layer as one more:
    a 24-layer model has 25."""
    if not support.has_gpu:
        return 0
    offloadable = model_layers + 1
    return offloadable if n_gpu_layers < 0 else min(n_gpu_layers, offloadable)


def offload_failure(
    what: str, n_gpu_layers: int, support: GpuSupport, reason: str | None, offloadable: int | None = None
) -> ModelError:
    """The error for a model or context that llama.cpp could not place with layers on the GPU.

    Too little free GPU memory is by far the usual cause, and fewer layers the fix, so the message
    names the setting in both spellings (editor and command line). `offloadable`: the model's layer
    count when known (the model loaded and its context failed)."""
    layers = "every layer" if n_gpu_layers < 0 else f"{n_gpu_layers} layers"
    device = ", ".join(device.describe() for device in support.devices) or "the GPU"
    because = f" (llama.cpp: {reason})" if reason else ""
    placed = offloadable if n_gpu_layers < 0 else n_gpu_layers
    if placed is None:
        fewer = "start from about half of the model's layers; "
    elif placed // 2:
        fewer = f"for example {placed // 2}; "
    else:
        fewer = ""
    return ModelError(
        f"llama.cpp could not {what} with {layers} on {device}{because}: the GPU most likely has too "
        "little free memory for them.",
        f"lower the `gpuLayers` setting (`--gpu-layers` on the command line) so fewer layers go to the GPU: "
        f"{fewer}0 keeps the whole model on the CPU.",
    )


def _ggml() -> ctypes.CDLL:
    """ggml's backend registry, through the library llama-cpp-python already loaded.

    llama-cpp-python declares none of these functions: they are declared here from ggml-backend.h of
    the pinned release. `llama_cpp._ggml` is internal, so its absence means "unknown", not an error."""
    from llama_cpp._ggml import libggml

    ggml: ctypes.CDLL = libggml

    pointer, size = ctypes.c_void_p, ctypes.c_size_t
    text = ctypes.c_char_p
    for name, result, arguments in (
        ("ggml_backend_reg_count", size, []),
        ("ggml_backend_reg_get", pointer, [size]),
        ("ggml_backend_reg_name", text, [pointer]),
        ("ggml_backend_reg_dev_count", size, [pointer]),
        ("ggml_backend_reg_dev_get", pointer, [pointer, size]),
        ("ggml_backend_dev_count", size, []),
        ("ggml_backend_dev_get", pointer, [size]),
        ("ggml_backend_dev_name", text, [pointer]),
        ("ggml_backend_dev_description", text, [pointer]),
        ("ggml_backend_dev_type", ctypes.c_int, [pointer]),
        ("ggml_backend_dev_memory", None, [pointer, ctypes.POINTER(size), ctypes.POINTER(size)]),
    ):
        function = getattr(ggml, name)
        function.restype, function.argtypes = result, arguments
    return ggml
