"""A minimal, strict GGUF v2/v3 reader written independently of gguf_writer.py's code
paths, used to check exported files and to run them (reference.py). Every read is
bounds-checked; a malformed file raises ValueError naming the byte offset."""
import struct

import numpy as np

_SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?",
            10: "<Q", 11: "<q", 12: "<d"}
_STRING, _ARRAY = 8, 9
_TENSOR_DTYPES = {0: ("<f4", 4), 1: ("<f2", 2)}  # F32, F16


class _Cursor:
    def __init__(self, buf):
        self.buf, self.pos = buf, 0

    def take(self, n, what):
        if n < 0 or self.pos + n > len(self.buf):
            raise ValueError(f"{what} at byte {self.pos}: needs {n} bytes, file has "
                             f"{len(self.buf) - self.pos} left")
        b = self.buf[self.pos:self.pos + n]
        self.pos += n
        return b

    def unpack(self, fmt, what):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt), what))[0]

    def string(self, what):
        n = self.unpack("<Q", what + " length")
        return self.take(n, what).decode("utf-8")

    def value(self, vtype, what):
        if vtype in _SCALARS:
            return self.unpack(_SCALARS[vtype], what)
        if vtype == _STRING:
            return self.string(what)
        if vtype == _ARRAY:
            etype = self.unpack("<I", what + " element type")
            n = self.unpack("<Q", what + " count")
            return [self.value(etype, f"{what}[{i}]") for i in range(n)]
        raise ValueError(f"{what} at byte {self.pos}: unknown value type {vtype}")


def read_gguf(path):
    """Returns (kv: {key: (type, value)}, tensors: {name: (ggml_type, ne, ndarray)}).
    ndarray has numpy shape reversed(ne) and the file's dtype (F32 or F16)."""
    with open(path, "rb") as f:
        buf = f.read()
    c = _Cursor(buf)
    if c.unpack("<I", "magic") != 0x46554747:
        raise ValueError("not a GGUF file (bad magic at byte 0)")
    version = c.unpack("<I", "version")
    if version not in (2, 3):
        raise ValueError(f"unsupported GGUF version {version}")
    n_tensors = c.unpack("<Q", "tensor count")
    n_kv = c.unpack("<Q", "kv count")
    kv = {}
    for i in range(n_kv):
        key = c.string(f"key {i}")
        if key in kv:
            raise ValueError(f"duplicate key {key}")
        vtype = c.unpack("<I", f"type of {key}")
        kv[key] = (vtype, c.value(vtype, key))
    align = kv.get("general.alignment", (4, 32))[1]
    infos = []
    for i in range(n_tensors):
        name = c.string(f"tensor {i} name")
        nd = c.unpack("<I", f"{name} n_dims")
        if not 1 <= nd <= 4:
            raise ValueError(f"{name}: n_dims {nd}")
        ne = [c.unpack("<Q", f"{name} ne") for _ in range(nd)]
        gtype = c.unpack("<I", f"{name} type")
        off = c.unpack("<Q", f"{name} offset")
        if off % align:
            raise ValueError(f"{name}: offset {off} not a multiple of {align}")
        infos.append((name, ne, gtype, off))
    data_start = c.pos + (-c.pos) % align
    tensors, spans = {}, []
    for name, ne, gtype, off in infos:
        if gtype not in _TENSOR_DTYPES:
            raise ValueError(f"{name}: tensor type {gtype} not handled by this reader")
        dtype, size = _TENSOR_DTYPES[gtype]
        n = int(np.prod(ne)) * size
        start = data_start + off
        if start + n > len(buf):
            raise ValueError(f"{name}: data [{start}, {start + n}) beyond file end {len(buf)}")
        spans.append((off, off + n, name))
        arr = np.frombuffer(buf, dtype=dtype, count=int(np.prod(ne)), offset=start)
        tensors[name] = (gtype, ne, arr.reshape(list(reversed(ne))))
    spans.sort()
    for (a0, a1, an), (b0, b1, bn) in zip(spans, spans[1:]):
        if b0 < a1:
            raise ValueError(f"tensors {an} and {bn} overlap")
    return kv, tensors
