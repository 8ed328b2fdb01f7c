"""Worker mode and memory planning (llamac.h section 14).

    with llamac.Worker(model_path="npc.gguf", n_slots=3) as w:   # returns at once
        rid = w.submit(0, "Hello")                             # queued while loading
        each frame:
            while (ev := w.poll()) is not None:
                if ev.kind == llamac.EventKind.TEXT: show(ev.slot, ev.text)

The library runs generation on a thread it owns; submit, cancel, poll and
state never wait for a decode (ctypes releases the GIL during each call).
"""
import ctypes
import enum
import threading

from . import _lib
from ._state import lib, check
from .core import _Closable, _params, _bytes, _enum, StopReason
from .errors import InvalidArgumentError

_P = ctypes.POINTER

EventKind = enum.IntEnum("EventKind", {k[len("LLAMAC_EVENT_"):]: int(v) for k, v in
                                       _lib.llamac_worker_event_kind.__members__.items()})
WorkerState = enum.IntEnum("WorkerState", {k[len("LLAMAC_WORKER_"):]: int(v) for k, v in
                                           _lib.llamac_worker_state.__members__.items()})


class WorkerEvent:
    """One event of Worker.poll(): kind (EventKind LOADED, TEXT, DONE,
    ERROR), slot (-1 for the worker's own events), request (the id submit
    returned; 0 for the worker's own), token (TEXT: the token, None when
    the piece holds several), bytes (copied at poll time), stop
    (StopReason, for DONE), status (a llamac status, for ERROR; bytes is
    then the message). .text is bytes decoded as UTF-8."""
    __slots__ = ("kind", "slot", "request", "token", "bytes", "stop", "status")

    def __init__(self, kind, slot, request, token, data, stop, status):
        self.kind, self.slot, self.request, self.token = kind, slot, request, token
        self.bytes, self.stop, self.status = data, stop, status

    @property
    def text(self):
        return self.bytes.decode("utf-8", "replace")

    def __repr__(self):
        return (f"WorkerEvent(kind={self.kind!r}, slot={self.slot}, request={self.request}, "
                f"token={self.token!r}, bytes={self.bytes!r}, stop={self.stop!r}, "
                f"status={self.status})")


_EV_TEXT = _lib.llamac_worker_event.text.offset


class Worker(_Closable):
    """llamac_worker: generation for n_slots NPCs (sequences of one shared
    context) on a thread the library owns. Exactly one of model_path (the
    worker thread loads it) and model (a loaded Model, which must stay open:
    closing it closes this worker first). Unset arguments keep the
    library's defaults (llamac_worker_params_init): n_slots 1, n_ctx 256 per
    slot, n_threads 1, n_predict 128, stop_at_eog True, greedy (temp <= 0),
    budget_us 4000, period_us 0.

    Every call may come from any thread (a lock orders them; none waits for
    a decode); close() stops the worker at any point (loading, mid-token),
    joins its thread and frees unread events."""
    _what = "Worker"

    def __init__(self, model_path=None, *, model=None, n_slots=None, n_ctx=None, n_threads=None,
                 n_predict=None, stop_at_eog=None, temp=None, seed=None, budget_us=None,
                 period_us=None, repack=None):
        self._h = None
        self._lock = threading.Lock()  # poll and close exclusive; calls never wait for a decode
        self._model = None
        if (model_path is None) == (model is None):
            raise InvalidArgumentError(None, "Worker: give exactly one of model_path and model")
        p = _params(_lib.llamac_worker_params, lib.llamac_worker_params_init)
        if model_path is not None:
            self._path = _bytes(str(model_path))
            p.model_path = self._path
        else:
            p.model = model._handle()
        for name, v in (("n_slots", n_slots), ("n_ctx", n_ctx), ("n_threads", n_threads),
                        ("n_predict", n_predict), ("stop_at_eog", stop_at_eog), ("temp", temp),
                        ("seed", seed), ("budget_us", budget_us), ("period_us", period_us),
                        ("repack", repack)):
            if v is not None:
                setattr(p, name, v)
        self.n_slots = p.n_slots
        h = _P(_lib.llamac_worker)()
        check(lib.llamac_worker_new(ctypes.byref(p), ctypes.byref(h)))
        self._h = h
        if model is not None:
            self._model = model
            try:
                model._register(self)
            except BaseException:
                self.close()
                raise

    def close(self):
        with self._lock:  # no other call on the worker runs meanwhile
            if self._h is None:
                return
            lib.llamac_worker_free(self._h)  # joins the worker thread (GIL released)
            self._h = None
            self._model = None

    @property
    def state(self):
        """WorkerState LOADING, READY or FAILED."""
        with self._lock:
            return _enum(WorkerState, lib.llamac_worker_get_state(self._handle()))

    def submit(self, slot, text):
        """Queues text (str or bytes) for slot's next response; returns the
        request id its events carry."""
        data = _bytes(text)
        rid = ctypes.c_uint64()
        with self._lock:
            check(lib.llamac_worker_submit(self._handle(), int(slot), data, len(data),
                                           ctypes.byref(rid)))
        return rid.value

    def cancel(self, slot):
        """Ends slot's response in progress and drops its queued requests;
        each gets a DONE event with StopReason.CANCELLED."""
        with self._lock:
            check(lib.llamac_worker_cancel(self._handle(), int(slot)))

    def poll(self):
        """The oldest event (a WorkerEvent, its text copied), or None."""
        with self._lock:
            h = self._handle()
            ev = _lib.llamac_worker_event()
            check(lib.llamac_worker_poll(h, ctypes.byref(ev)))
            if ev.kind == _lib.LLAMAC_EVENT_NONE:
                return None
            addr = ctypes.c_void_p.from_buffer(ev, _EV_TEXT).value
            data = ctypes.string_at(addr, ev.text_len) if addr and ev.text_len else b""
        tok = ev.token if ev.token != _lib.LLAMAC_TOKEN_NULL else None
        return WorkerEvent(_enum(EventKind, ev.kind), int(ev.slot), int(ev.request), tok, data,
                           _enum(StopReason, ev.stop), int(ev.status))

    def events(self):
        """Every event queued now (a list, possibly empty)."""
        out = []
        while True:
            ev = self.poll()
            if ev is None:
                return out
            out.append(ev)


_ESTIMATE_FIELDS = [f for f, _ in _lib.llamac_memory_estimate._fields_]


def estimate_memory(model_path, *, n_ctx=None, n_batch=None, n_threads=None, n_seq_max=None,
                    kv_type=None, use_mmap=None, repack=None):
    """llamac_estimate_memory: an upper bound of what loading model_path and
    one context with these parameters (unset: the library's defaults) and
    decoding a full context add to resident memory, in bytes. Returns a dict
    with weights, model_other, kv_cache, compute and total (their sum).
    Reads only the file's metadata and vocabulary."""
    mp = _params(_lib.llamac_model_params, lib.llamac_model_params_init)
    for name, v in (("use_mmap", use_mmap), ("repack", repack)):
        if v is not None:
            setattr(mp, name, v)
    cp = _params(_lib.llamac_context_params, lib.llamac_context_params_init)
    for name, v in (("n_ctx", n_ctx), ("n_batch", n_batch), ("n_threads", n_threads),
                    ("n_seq_max", n_seq_max), ("kv_type", kv_type)):
        if v is not None:
            setattr(cp, name, v)
    out = _lib.llamac_memory_estimate()
    check(lib.llamac_estimate_memory(_bytes(str(model_path)), ctypes.byref(mp), ctypes.byref(cp),
                                     ctypes.byref(out)))
    return {f: int(getattr(out, f)) for f in _ESTIMATE_FIELDS}
