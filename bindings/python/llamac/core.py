"""The Pythonic layer over the C API: Model, Context, SamplerChain, Generator.

Lifetime: every object has close() (also a context manager); any call after
close raises ClosedError, never reaches the library. A Model closes the
contexts made from it before freeing itself (the C API requires contexts to
die first); a Context closes the generators running on it.

Threads: a Model may be shared by threads (loading is done; tokenizing and
creating contexts are thread-safe in the library). A Context is used by one
thread at a time: a second thread entering a call while one is inside raises
ConcurrentUseError instead of corrupting it. Library calls go through
ctypes.CDLL, which releases the GIL for the duration of each call, so
decoding in several threads runs in parallel.
"""
import ctypes
import enum
import threading
import weakref

from . import _lib
from ._state import lib, check
from .errors import ClosedError, ConcurrentUseError, InvalidArgumentError, error_for

_P = ctypes.POINTER


def _params(struct, init):
    """A params struct filled by the library's *_params_init with our size."""
    p = struct()
    init(ctypes.byref(p), ctypes.sizeof(p))
    if p.struct_size != ctypes.sizeof(p):
        raise InvalidArgumentError(None, f"{struct.__name__}: library refused struct_size")
    return p


def _bytes(text):
    if isinstance(text, str):
        return text.encode("utf-8")
    return bytes(text)


class _Closable:
    _what = "object"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown: nothing sensible to do
            pass

    @property
    def closed(self):
        return self._h is None

    def _handle(self):
        h = self._h
        if h is None:
            raise ClosedError(self._what)
        return h


class Model(_Closable):
    """A loaded GGUF model (llamac_model) and its vocabulary."""
    _what = "Model"

    def __init__(self, path, *, use_mmap=True, repack=True):
        self._h = None
        self._lock = threading.Lock()
        self._children = weakref.WeakSet()
        self.path = str(path)
        p = _params(_lib.llamac_model_params, lib.llamac_model_params_init)
        p.use_mmap = bool(use_mmap)
        p.repack = bool(repack)
        h = _P(_lib.llamac_model)()
        check(lib.llamac_model_load(self.path.encode(), ctypes.byref(p), ctypes.byref(h)))
        self._h = h
        self._vocab = lib.llamac_model_vocab(h)
        if not self._vocab:
            self.close()
            raise InvalidArgumentError(None, f"{self.path} has no tokenizer")

    def close(self):
        with self._lock:
            if self._h is None:
                return
            for c in list(self._children):
                c.close()
            lib.llamac_model_free(self._h)
            self._h = None
            self._vocab = None

    def _register(self, child):
        with self._lock:
            self._handle()
            self._children.add(child)

    # hyperparameters and vocabulary
    def n_vocab(self):
        return lib.llamac_model_n_vocab(self._handle())

    def n_ctx_train(self):
        return lib.llamac_model_n_ctx_train(self._handle())

    def n_embd(self):
        return lib.llamac_model_n_embd(self._handle())

    def desc(self):
        return lib.llamac_model_desc(self._handle()).decode("utf-8", "replace")

    def metadata(self, key):
        """A string metadata value (e.g. "general.name"), or None."""
        g = lib.llamac_model_gguf(self._handle())
        s, n = ctypes.c_char_p(), ctypes.c_uint64()
        if lib.llamac_gguf_get_string(g, key.encode(), ctypes.byref(s), ctypes.byref(n)) != 0:
            return None
        return ctypes.string_at(ctypes.cast(s, ctypes.c_void_p).value, n.value).decode("utf-8", "replace")

    def _v(self):
        self._handle()
        return self._vocab

    def token_bos(self):
        return lib.llamac_vocab_bos(self._v())

    def token_eos(self):
        return lib.llamac_vocab_eos(self._v())

    def is_eog(self, token):
        return bool(lib.llamac_vocab_is_eog(self._v(), token))

    def tokenize(self, text, add_special=True, parse_special=False, bos_once=False):
        """bytes (or str, encoded as UTF-8) -> list of token ids. bos_once: with
        add_special, no BOS is added when the text's own tokens already begin
        with it (a rendered chat template that writes <s> itself;
        LLAMAC_TOKENIZE_BOS_ONCE)."""
        data = _bytes(text)
        v = self._v()
        n = ctypes.c_int32()
        cap = len(data) + 4
        flags = ((_lib.LLAMAC_TOKENIZE_ADD_SPECIAL if add_special else 0) |
                 (_lib.LLAMAC_TOKENIZE_PARSE_SPECIAL if parse_special else 0) |
                 (_lib.LLAMAC_TOKENIZE_BOS_ONCE if bos_once else 0))
        while True:
            buf = (_lib.llamac_token * cap)()
            st = lib.llamac_tokenize_flags(v, data, len(data), buf, cap, flags, ctypes.byref(n))
            if st == _lib.LLAMAC_ERR_BUFFER_TOO_SMALL:
                cap = n.value
                continue
            check(st)
            return list(buf[:n.value])

    def detokenize(self, tokens, remove_special=False, unparse_special=False):
        """list of token ids -> bytes."""
        v = self._v()
        toks = (_lib.llamac_token * max(len(tokens), 1))(*tokens)
        n = ctypes.c_size_t()
        cap = 16 * len(tokens) + 16
        while True:
            buf = ctypes.create_string_buffer(cap)
            st = lib.llamac_detokenize(v, toks, len(tokens), buf, cap, remove_special,
                                       unparse_special, ctypes.byref(n))
            if st == _lib.LLAMAC_ERR_BUFFER_TOO_SMALL:
                cap = n.value
                continue
            check(st)
            return buf.raw[:n.value]

    def token_to_piece(self, token, special=False):
        v = self._v()
        n = ctypes.c_size_t()
        buf = ctypes.create_string_buffer(64)
        st = lib.llamac_token_to_piece(v, token, buf, 64, 0, special, ctypes.byref(n))
        if st == _lib.LLAMAC_ERR_BUFFER_TOO_SMALL:
            buf = ctypes.create_string_buffer(n.value)
            st = lib.llamac_token_to_piece(v, token, buf, n.value, 0, special, ctypes.byref(n))
        check(st)
        return buf.raw[:n.value]

    def apply_chat_template(self, messages, template=None, add_generation_prompt=True):
        """Formats [{"role": ..., "content": ...}] with a built-in format
        (template = its name, or a Jinja text a built-in is detected in;
        None = the model's own template). Returns str."""
        keep = []
        arr = (_lib.llamac_chat_message * max(len(messages), 1))()
        for i, m in enumerate(messages):
            role, content = _bytes(m["role"]), _bytes(m.get("content") or "")
            keep += [role, content]
            arr[i].role, arr[i].content = role, content
        tmpl = _bytes(template) if template is not None else None
        n = ctypes.c_size_t()
        st = lib.llamac_chat_apply_template(self._handle(), tmpl, arr, len(messages),
                                            add_generation_prompt, None, 0, ctypes.byref(n))
        if st != _lib.LLAMAC_ERR_BUFFER_TOO_SMALL:
            check(st)
        buf = ctypes.create_string_buffer(max(n.value, 1))
        check(lib.llamac_chat_apply_template(self._handle(), tmpl, arr, len(messages),
                                             add_generation_prompt, buf, n.value, ctypes.byref(n)))
        return buf.raw[:n.value].decode("utf-8", "replace")


    def render_jinja(self, template, messages, add_generation_prompt=True, bos_token=None,
                     eos_token=None):
        """Renders a Jinja chat template (e.g. the model's
        tokenizer.chat_template) as Hugging Face's apply_chat_template does,
        in the library's sandboxed engine. bos/eos_token default to the
        model's special tokens' text. Returns str."""
        self._handle()
        if bos_token is None:
            bos_token = self.token_to_piece(self.token_bos(), special=True)
        if eos_token is None:
            eos_token = self.token_to_piece(self.token_eos(), special=True)
        return render_jinja(template, messages, add_generation_prompt, bos_token, eos_token)


def render_jinja(template, messages, add_generation_prompt=True, bos_token="", eos_token=""):
    """llamac_chat_render_jinja: a Jinja chat template rendered with
    messages [{"role", "content"}]. Returns str."""
    keep = []
    arr = (_lib.llamac_chat_message * max(len(messages), 1))()
    for i, m in enumerate(messages):
        role, content = _bytes(m["role"]), _bytes(m.get("content") or "")
        keep += [role, content]
        arr[i].role, arr[i].content = role, content
    p = _params(_lib.llamac_jinja_params, lib.llamac_jinja_params_init)
    p.add_generation_prompt = bool(add_generation_prompt)
    p.bos_token, p.eos_token = _bytes(bos_token), _bytes(eos_token)
    tmpl = _bytes(template)
    n = ctypes.c_size_t()
    st = lib.llamac_chat_render_jinja(tmpl, arr, len(messages), ctypes.byref(p), None, 0,
                                      ctypes.byref(n))
    if st != _lib.LLAMAC_ERR_BUFFER_TOO_SMALL:
        check(st)
    buf = ctypes.create_string_buffer(max(n.value, 1))
    check(lib.llamac_chat_render_jinja(tmpl, arr, len(messages), ctypes.byref(p), buf, n.value,
                                       ctypes.byref(n)))
    return buf.raw[:n.value].decode("utf-8", "replace")


class Context(_Closable):
    """A llamac_context: KV cache, logits, worker threads. One thread at a time."""
    _what = "Context"

    def __init__(self, model, *, n_ctx=512, n_batch=512, n_threads=0, n_seq_max=1,
                 kv_type=None):
        self._h = None
        self._busy = threading.Lock()
        self._children = weakref.WeakSet()
        self.model = model
        p = _params(_lib.llamac_context_params, lib.llamac_context_params_init)
        p.n_ctx = n_ctx
        p.n_batch = min(n_batch, n_ctx) if n_ctx else n_batch
        p.n_threads = n_threads or 0
        p.n_seq_max = n_seq_max
        if kv_type is not None:
            p.kv_type = kv_type
        h = _P(_lib.llamac_context)()
        check(lib.llamac_context_new(model._handle(), ctypes.byref(p), ctypes.byref(h)))
        self._h = h
        model._register(self)

    def close(self):
        if not self._busy.acquire(blocking=False):
            raise ConcurrentUseError(self._what)
        try:
            if self._h is None:
                return
            for g in list(self._children):
                g._close_locked()
            lib.llamac_context_free(self._h)
            self._h = None
        finally:
            self._busy.release()

    def _enter(self):
        """Takes the one-thread lock (raising if another thread holds it)."""
        if not self._busy.acquire(blocking=False):
            raise ConcurrentUseError(self._what)
        if self._h is None:
            self._busy.release()
            raise ClosedError(self._what)
        return self._h

    def n_ctx(self):
        return lib.llamac_context_n_ctx(self._handle())

    def n_batch(self):
        return lib.llamac_context_n_batch(self._handle())

    def n_threads(self):
        return lib.llamac_context_n_threads(self._handle())

    def kv_clear(self):
        h = self._enter()
        try:
            lib.llamac_kv_clear(h)
        finally:
            self._busy.release()

    def kv_seq_rm(self, seq, p0, p1=-1):
        h = self._enter()
        try:
            check(lib.llamac_kv_seq_rm(h, seq, p0, p1))
        finally:
            self._busy.release()

    def kv_pos_max(self, seq=0):
        return lib.llamac_kv_seq_pos_max(self._handle(), seq)

    def decode(self, tokens, pos0=None, seq=0, all_logits=False):
        """Decodes tokens at positions pos0.. (default: after the sequence's
        last) in batches of n_batch; keeps the last token's logits (or every
        token's of the last batch when all_logits)."""
        h = self._enter()
        try:
            if pos0 is None:
                pos0 = lib.llamac_kv_seq_pos_max(h, seq) + 1
            nb = lib.llamac_context_n_batch(h)
            for start in range(0, len(tokens), nb):
                chunk = tokens[start:start + nb]
                n = len(chunk)
                b = _lib.llamac_batch()
                check(lib.llamac_batch_init(ctypes.byref(b), n, 1, None))
                try:
                    sid = (_lib.llamac_seq_id * 1)(seq)
                    last = start + n == len(tokens)
                    for i, t in enumerate(chunk):
                        want = last and (all_logits or i == n - 1)
                        check(lib.llamac_batch_add(ctypes.byref(b), t, pos0 + start + i, sid, 1, want))
                    check(lib.llamac_decode(h, ctypes.byref(b)))
                finally:
                    lib.llamac_batch_free(ctypes.byref(b))
        finally:
            self._busy.release()

    def logits(self, i=-1):
        """The n_vocab logits of output row i of the last decode (a list)."""
        h = self._enter()
        try:
            p = lib.llamac_get_logits(h, i)
            if not p:
                check(_lib.LLAMAC_ERR_INVALID_ARG)
            n = lib.llamac_model_n_vocab(self.model._handle())
            return list((ctypes.c_float * n).from_address(ctypes.addressof(p.contents)))
        finally:
            self._busy.release()

    def state_save(self, tokens=(), seq=_lib.LLAMAC_STATE_ALL_SEQS):
        h = self._enter()
        try:
            p = _params(_lib.llamac_state_params, lib.llamac_state_params_init)
            toks = (_lib.llamac_token * max(len(tokens), 1))(*tokens)
            p.tokens = toks
            p.n_tokens = len(tokens)
            n = ctypes.c_size_t()
            check(lib.llamac_state_save_size(h, seq, ctypes.byref(p), ctypes.byref(n)))
            buf = ctypes.create_string_buffer(n.value)
            check(lib.llamac_state_save(h, seq, ctypes.byref(p), buf, n.value, ctypes.byref(n)))
            return buf.raw[:n.value]
        finally:
            self._busy.release()

    def state_load(self, data, seq=_lib.LLAMAC_STATE_ALL_SEQS):
        """Restores a state; returns the token ids saved in it."""
        h = self._enter()
        try:
            n = ctypes.c_size_t()
            st = lib.llamac_state_tokens(data, len(data), None, 0, ctypes.byref(n))
            if st not in (0, _lib.LLAMAC_ERR_BUFFER_TOO_SMALL):
                check(st)
            toks = (_lib.llamac_token * max(n.value, 1))()
            check(lib.llamac_state_load(h, seq, data, len(data), None, toks, n.value, ctypes.byref(n)))
            return list(toks[:n.value])
        finally:
            self._busy.release()


def _grammar_sampler(model, grammar, root=None):
    """A new llamac grammar sampler (a raw handle, owned by the caller) for
    `grammar`: a LlamaGrammar, or GBNF text (str/bytes) with start rule
    `root` (None: "root"). An invalid grammar raises GrammarError with the
    library's message (line and column)."""
    from .grammar import LlamaGrammar, _encode
    if isinstance(grammar, LlamaGrammar):
        text, root = grammar._bytes(), grammar.root
    else:
        text = _encode(grammar)
    s = lib.llamac_sampler_init_grammar(model._v(), text, len(text),
                                        None if root is None else _encode(root), None)
    if not s:
        from .grammar import GrammarError
        msg = lib.llamac_last_error().decode("utf-8", "replace")
        line, col = ctypes.c_int32(), ctypes.c_int32()
        st = lib.llamac_grammar_check(text, len(text), None if root is None else _encode(root),
                                      ctypes.byref(line), ctypes.byref(col))
        if st != 0:
            raise GrammarError(st, msg, line.value, col.value)
        raise error_for(_lib.LLAMAC_ERR_NO_MEMORY, msg)  # the grammar is fine: memory ran out
    return s


class SamplerChain(_Closable):
    """A llamac sampler chain built as llama.cpp orders it: the grammar (when
    given: it masks the tokens that cannot continue a parse and allows
    end-of-generation only where the parse can be complete), logit bias,
    penalties, then greedy when temperature <= 0, else top-k, typical,
    top-p, min-p, temperature, dist(seed). A grammar needs model= (its
    vocabulary)."""
    _what = "SamplerChain"

    def __init__(self, *, n_vocab=None, temperature=0.8, top_k=40, top_p=0.95, min_p=0.05,
                 typical_p=1.0, repeat_penalty=1.0, frequency_penalty=0.0,
                 presence_penalty=0.0, penalty_last_n=64, seed=0, logit_bias=None,
                 grammar=None, grammar_root=None, model=None):
        self._h = None
        if n_vocab is None:
            if model is None:
                raise TypeError("SamplerChain needs n_vocab= or model=")
            n_vocab = model.n_vocab()
        if grammar is not None and model is None:
            raise TypeError("SamplerChain(grammar=...) needs model= (the grammar's vocabulary)")
        c = lib.llamac_sampler_chain_new(None)
        if not c:
            check(_lib.LLAMAC_ERR_NO_MEMORY)
        self._h = c
        try:
            self._build(c, n_vocab, temperature, top_k, top_p, min_p, typical_p, repeat_penalty,
                        frequency_penalty, presence_penalty, penalty_last_n, seed, logit_bias,
                        grammar, grammar_root, model)
        except BaseException:
            self.close()
            raise

    @staticmethod
    def _build(c, n_vocab, temperature, top_k, top_p, min_p, typical_p, repeat_penalty,
               frequency_penalty, presence_penalty, penalty_last_n, seed, logit_bias,
               grammar, grammar_root, model):
        def add(s):
            check(lib.llamac_sampler_chain_add(c, s))
        if grammar is not None:
            add(_grammar_sampler(model, grammar, grammar_root))
        if logit_bias:
            items = list(logit_bias.items())
            arr = (_lib.llamac_logit_bias * len(items))()
            for i, (tok, bias) in enumerate(items):
                arr[i].token, arr[i].bias = int(tok), float(bias)
            add(lib.llamac_sampler_init_logit_bias(n_vocab, len(items), arr, None))
        if repeat_penalty != 1.0 or frequency_penalty != 0.0 or presence_penalty != 0.0:
            add(lib.llamac_sampler_init_penalties(penalty_last_n, repeat_penalty,
                                                  frequency_penalty, presence_penalty, None))
        if temperature <= 0:
            add(lib.llamac_sampler_init_greedy(None))
        else:
            add(lib.llamac_sampler_init_top_k(top_k if top_k > 0 else 0, None))
            if typical_p < 1.0:
                add(lib.llamac_sampler_init_typical(typical_p, 1, None))
            add(lib.llamac_sampler_init_top_p(top_p, 1, None))
            add(lib.llamac_sampler_init_min_p(min_p, 1, None))
            add(lib.llamac_sampler_init_temp(temperature, None))
            add(lib.llamac_sampler_init_dist(seed & 0xFFFFFFFFFFFFFFFF, None))

    def close(self):
        if self._h is not None:
            lib.llamac_sampler_free(self._h)
            self._h = None

    def reset(self):
        lib.llamac_sampler_reset(self._handle())


class Generator(_Closable):
    """Runs a prompt and yields the generated text as bytes pieces, each
    made of whole UTF-8 characters (the library's streaming detokenizer
    holds a character back until it is complete, and bytes that may start
    a stop string until it is clear). After the iteration, .stop_reason is
    a llamac_stop_reason, .tokens the generated ids and .n_prompt the
    prompt's length. `on_token(token)`, if given, is called after each
    token is sampled, while the context's last logits are the row it was
    sampled from (not called by budgeted steps). `seq` is the context's
    sequence it generates on (< the context's n_seq_max).

    Budgeted (llamac.h section 14): submit(tokens), then step(budget_us)
    each frame until a Step of kind DONE; step_all() steps several
    generators of one context together; cancel() ends a response."""
    _what = "Generator"

    def __init__(self, context, sampler, prompt_tokens=(), *, max_tokens=-1, stop=(),
                 stop_at_eog=True, on_token=None, seq=0):
        self._h = None
        self.context, self.sampler = context, sampler
        self.n_prompt = len(prompt_tokens)
        self.tokens = []
        self.stop_reason = _lib.LLAMAC_STOP_NONE
        self._on_token = on_token
        p = _params(_lib.llamac_generator_params, lib.llamac_generator_params_init)
        p.n_predict = max_tokens if max_tokens is not None and max_tokens >= 0 else -1
        stops = [_bytes(s) for s in stop if s]
        self._stops = (ctypes.c_char_p * max(len(stops), 1))(*stops)
        p.stop_strings = self._stops
        p.n_stop = len(stops)
        p.stop_at_eog = stop_at_eog
        p.seq_id = seq
        self.seq = seq
        h = context._enter()
        try:
            g = _P(_lib.llamac_generator)()
            check(lib.llamac_generator_new(h, sampler._handle(), ctypes.byref(p), ctypes.byref(g)))
            self._h = g
            context._children.add(self)
            if prompt_tokens:
                toks = (_lib.llamac_token * len(prompt_tokens))(*prompt_tokens)
                try:
                    check(lib.llamac_generator_prompt(g, toks, len(prompt_tokens)))
                except Exception:
                    self._close_locked()
                    raise
        finally:
            context._busy.release()

    def _close_locked(self):
        if self._h is not None:
            lib.llamac_generator_free(self._h)
            self._h = None

    def close(self):
        if self._h is None:
            return
        self.context._enter()
        try:
            self._close_locked()
        finally:
            self.context._busy.release()

    def __iter__(self):
        return self

    def submit(self, tokens):
        """Queues a prompt (token ids) for budgeted step(budget_us) calls:
        nothing is decoded here. Starts a new response (.tokens, .stop_reason
        reset). A token sampled and not decoded yet (the last one of the
        previous response) goes first, as with a prompt given to the
        constructor: for an unrelated prompt on a cleared cache, use a new
        Generator."""
        tokens = list(tokens)
        toks = (_lib.llamac_token * max(len(tokens), 1))(*tokens)
        h = self.context._enter()
        try:
            check(lib.llamac_generator_submit(self._handle(), toks, len(tokens)))
            self.tokens = []
            self.stop_reason = _lib.LLAMAC_STOP_NONE
            self.n_prompt = len(tokens)
        finally:
            self.context._busy.release()

    def cancel(self):
        """Ends the response at once (stop reason CANCELLED; a prompt being
        decoded is removed from the cache). Never waits for a decode; call
        it from the thread that steps (the context is one thread at a time)."""
        h = self.context._enter()
        try:
            check(lib.llamac_generator_cancel(self._handle()))
            self.stop_reason = _lib.LLAMAC_STOP_CANCELLED
        finally:
            self.context._busy.release()

    def step(self, budget_us=None):
        """Without budget_us: one token, (token or None, text bytes, stop
        reason), decoding as long as that takes. With budget_us (an int,
        microseconds; 0 runs one unit of work): llamac_generator_step, at
        most about that much work and at most one token, returning a Step
        (kind BUSY, TOKEN or DONE); the response comes from submit()."""
        if budget_us is not None:
            return step_all([self], budget_us)[0]
        h = self.context._enter()
        try:
            g = self._handle()
            s = _lib.llamac_generation_step()
            check(lib.llamac_generator_next(g, ctypes.byref(s)))
            addr = ctypes.c_void_p.from_buffer(s, _lib.llamac_generation_step.text.offset).value
            text = ctypes.string_at(addr, s.text_len) if s.text_len else b""
            tok = s.token if s.token != _lib.LLAMAC_TOKEN_NULL else None
            if tok is not None:
                self.tokens.append(tok)
            self.stop_reason = s.stop
        finally:
            self.context._busy.release()
        if tok is not None and self._on_token is not None:
            self._on_token(tok)  # outside the lock: it may read the context
        return tok, text, self.stop_reason

    def __next__(self):
        while self.stop_reason == _lib.LLAMAC_STOP_NONE:
            _, text, _ = self.step()
            if text:
                return text
        raise StopIteration


StepKind = enum.IntEnum("StepKind", {k[len("LLAMAC_STEP_"):]: int(v) for k, v in
                                     _lib.llamac_step_kind.__members__.items()})
StopReason = enum.IntEnum("StopReason", {k[len("LLAMAC_STOP_"):]: int(v) for k, v in
                                         _lib.llamac_stop_reason.__members__.items()})


def _enum(cls, v):
    try:
        return cls(v)
    except ValueError:  # a value a newer library added
        return int(v)


class Step:
    """The result of one budgeted step: kind (StepKind BUSY, TOKEN, DONE),
    token (None unless TOKEN), bytes (the text to print now, copied: the
    library's buffer lives only until the generator's next call), stop
    (StopReason, NONE while the response goes on) and used_us (wall time
    the call spent). .text is bytes decoded as UTF-8 (U+FFFD for a stray
    byte)."""
    __slots__ = ("kind", "token", "bytes", "stop", "used_us")

    def __init__(self, kind, token, data, stop, used_us):
        self.kind, self.token, self.bytes, self.stop, self.used_us = kind, token, data, stop, used_us

    @property
    def text(self):
        return self.bytes.decode("utf-8", "replace")

    def __repr__(self):
        return (f"Step(kind={self.kind!r}, token={self.token!r}, bytes={self.bytes!r}, "
                f"stop={self.stop!r}, used_us={self.used_us})")


_STEP_TEXT = _lib.llamac_step.text.offset


def _copy_step(s):
    addr = ctypes.c_void_p.from_buffer(s, _STEP_TEXT).value
    data = ctypes.string_at(addr, s.text_len) if addr and s.text_len else b""
    tok = s.token if s.kind == _lib.LLAMAC_STEP_TOKEN and s.token != _lib.LLAMAC_TOKEN_NULL else None
    return Step(_enum(StepKind, s.kind), tok, data, _enum(StopReason, s.stop), int(s.used_us))


def _one_context(generators, fn):
    """The generators as a list and their one context (checked here, so the
    error names the Python function)."""
    gens = list(generators)
    if not gens:
        raise InvalidArgumentError(None, fn + ": no generators")
    ctx = gens[0].context
    if any(g.context is not ctx for g in gens):
        raise InvalidArgumentError(None, fn + ": generators of different contexts")
    return gens, ctx


def _handles(gens):
    """A C array of the generators' handles (call with their context entered)."""
    arr = (_P(_lib.llamac_generator) * len(gens))()
    for i, g in enumerate(gens):
        arr[i] = g._handle()
    return arr


def next_us(generators, budget_us):
    """llamac_generators_next_us: the predicted microseconds of the first
    unit of work step_all(generators, budget_us) would run now (0: nothing
    to do, or nothing measured yet). A frame that steps several times
    steps again only while this fits in what is left of its budget."""
    gens, ctx = _one_context(generators, "next_us")
    us = ctypes.c_int64(0)
    ctx._enter()
    try:
        arr = _handles(gens)
        check(lib.llamac_generators_next_us(arr, len(gens), int(budget_us), ctypes.byref(us)))
    finally:
        ctx._busy.release()
    return us.value


def step_all(generators, budget_us):
    """llamac_generators_step: advances several generators of one context
    (each on its own sequence) by at most about budget_us microseconds in
    total, their tokens decoded together in one batch; at most one token
    per generator. Returns one Step per generator, in order. Every
    generator stepping on a context should be stepped in the same call."""
    gens, ctx = _one_context(generators, "step_all")
    n = len(gens)
    steps = (_lib.llamac_step * n)()
    ctx._enter()
    try:
        arr = _handles(gens)
        check(lib.llamac_generators_step(arr, n, int(budget_us), steps))
        out = [_copy_step(s) for s in steps]
    finally:
        ctx._busy.release()
    for g, st in zip(gens, out):
        if st.token is not None:
            g.tokens.append(st.token)
        g.stop_reason = int(st.stop)
    return out
