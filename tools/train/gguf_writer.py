"""A minimal GGUF v3 writer (little-endian), enough for an F32/F16 Llama model.

File layout:
    u32 magic 0x46554747 ("GGUF" as bytes)   u32 version = 3
    u64 tensor count                         u64 key/value count
    key/values, each:  string key, u32 value type, value
    tensor infos, each: string name, u32 n_dims, u64 ne[n_dims] (fastest dim first),
                        u32 ggml type, u64 offset into the data section
    zero padding to ALIGNMENT
    data section: each tensor's bytes at its offset (a multiple of ALIGNMENT), zero padded
A string is u64 byte length + UTF-8 bytes (no NUL). An array value is u32 element type +
u64 count + the elements. Without a general.alignment key readers assume 32.

Tensor shapes: GGUF lists dims fastest-first, so a row-major numpy array of shape
(rows, cols) is stored as ne = [cols, rows] with its bytes unchanged.
"""
import struct

import numpy as np

MAGIC = 0x46554747
VERSION = 3
ALIGNMENT = 32

# GGUF metadata value types
UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64 = range(13)
_SCALAR_FMT = {UINT8: "<B", INT8: "<b", UINT16: "<H", INT16: "<h", UINT32: "<I", INT32: "<i",
               FLOAT32: "<f", BOOL: "<?", UINT64: "<Q", INT64: "<q", FLOAT64: "<d"}

# GGML tensor types used here
GGML_F32, GGML_F16 = 0, 1
_NUMPY_OF_GGML = {GGML_F32: np.dtype("<f4"), GGML_F16: np.dtype("<f2")}


def _string(s):
    b = s.encode("utf-8")
    return struct.pack("<Q", len(b)) + b


def _pad(n):
    return (-n) % ALIGNMENT


class GGUFWriter:
    def __init__(self):
        self._kv = {}       # key -> encoded (type + value) bytes; dict keeps insertion order
        self._tensors = []  # (name, ne list, ggml type, bytes)

    def _set(self, key, vtype, payload):
        self._kv[key] = struct.pack("<I", vtype) + payload

    def set_scalar(self, key, vtype, value):
        self._set(key, vtype, struct.pack(_SCALAR_FMT[vtype], value))

    def set_u32(self, key, v): self.set_scalar(key, UINT32, v)
    def set_f32(self, key, v): self.set_scalar(key, FLOAT32, v)
    def set_bool(self, key, v): self.set_scalar(key, BOOL, v)

    def set_string(self, key, s):
        self._set(key, STRING, _string(s))

    def set_array(self, key, elem_type, values):
        values = list(values)
        head = struct.pack("<IQ", elem_type, len(values))
        if elem_type == STRING:
            body = b"".join(_string(v) for v in values)
        else:
            body = b"".join(struct.pack(_SCALAR_FMT[elem_type], v) for v in values)
        self._set(key, ARRAY, head + body)

    def add_tensor(self, name, array, ggml_type):
        """array: numpy, row-major, any float dtype; converted to ggml_type (F16 rounds to
        nearest even). Its shape is reversed into GGUF's fastest-first ne."""
        a = np.ascontiguousarray(np.asarray(array, dtype=np.float32))
        if not np.all(np.isfinite(a)):
            raise ValueError(f"tensor {name} has non-finite values")
        conv = a.astype(_NUMPY_OF_GGML[ggml_type])
        if not np.all(np.isfinite(conv)):
            raise ValueError(f"tensor {name} overflows {ggml_type}")
        self._tensors.append((name, list(reversed(a.shape)), ggml_type, conv.tobytes()))

    def to_bytes(self):
        out = bytearray(struct.pack("<IIQQ", MAGIC, VERSION, len(self._tensors), len(self._kv)))
        for key, val in self._kv.items():
            out += _string(key) + val
        offset = 0
        for name, ne, gtype, data in self._tensors:
            out += _string(name) + struct.pack("<I", len(ne))
            out += b"".join(struct.pack("<Q", n) for n in ne)
            out += struct.pack("<IQ", gtype, offset)
            offset += len(data) + _pad(len(data))
        out += bytes(_pad(len(out)))
        for _, _, _, data in self._tensors:
            out += data + bytes(_pad(len(data)))
        return bytes(out)

    def write(self, path):
        with open(path, "wb") as f:
            f.write(self.to_bytes())
