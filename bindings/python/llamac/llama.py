"""`Llama`: llama-cpp-python's high-level class, on llamac.

Written against llama-cpp-python's documented API (its README and the
signatures of Llama.__init__, __call__, create_completion,
create_chat_completion, tokenize, detokenize, save_state, load_state), so
that code written for `from llama_cpp import Llama` runs with
`from llamac import Llama`. What llamac cannot do raises a clear error
instead of answering wrongly; keywords that only tune performance on
llama.cpp are accepted and ignored with a warning.
"""
import math
import os
import threading
import time
import uuid
import warnings

from . import _lib
from .core import Context, Generator, Model, SamplerChain
from .errors import ConcurrentUseError
from .grammar import JSON_GBNF, LlamaGrammar

LLAMA_DEFAULT_SEED = 0xFFFFFFFF

# llama-cpp-python's chat_format names -> llamac's built-in names
# (llamac_chat_builtin_name). Same-named formats need no entry.
CHAT_FORMAT_ALIASES = {
    "llama-2": "llama2", "llama-3": "llama3", "mistral-instruct": "mistral-v1",
    "gemma": "gemma", "chatml": "chatml", "zephyr": "zephyr", "vicuna": "vicuna",
    "openchat": "openchat", "phi3": "phi3", "llama2": "llama2", "llama3": "llama3",
}

# Keywords of llama_cpp.Llama.__init__ that tune speed or memory on llama.cpp
# and cannot change a result: accepted, ignored with a warning.
_HARMLESS = {
    "n_gpu_layers", "split_mode", "main_gpu", "tensor_split", "rpc_servers",
    "vocab_only", "use_mlock", "kv_overrides", "n_ubatch", "n_threads_batch",
    "offload_kqv", "flash_attn", "numa", "mul_mat_q", "logits_all", "embedding",
    "last_n_tokens_size", "lora_scale", "type_k", "type_v", "spm_infill",
    "swa_full", "op_offload", "no_perf", "chat_handler_verbose",
}
# Keywords that change results and that llamac cannot honour: TypeError.
_CHANGES_RESULTS = {
    "rope_scaling_type", "pooling_type", "rope_freq_base", "rope_freq_scale",
    "yarn_ext_factor", "yarn_attn_factor", "yarn_beta_fast", "yarn_beta_slow",
    "yarn_orig_ctx", "lora_base", "lora_path", "chat_handler", "draft_model",
    "tokenizer", "clip_model_path",
}


def _as_grammar(grammar):
    """grammar= as llama-cpp-python takes it (a LlamaGrammar), or GBNF text."""
    if grammar is None or isinstance(grammar, LlamaGrammar):
        return grammar
    if isinstance(grammar, (str, bytes)):
        return LlamaGrammar.from_string(grammar)
    raise TypeError(f"grammar= takes a LlamaGrammar or GBNF text, not {type(grammar).__name__}")


def grammar_for_response_format(response_format):
    """The LlamaGrammar a chat response_format asks for, as llama-cpp-python
    reads it: None or {"type": "text"}: none; {"type": "json_object"}: a
    JSON object (JSON_GBNF, grammars/json.gbnf); {"type": "json_object",
    "schema": S}: S converted by the library's JSON Schema converter. Also
    OpenAI's {"type": "json_schema", "json_schema": {"schema": S, ...}}.
    A schema the converter refuses raises GrammarError (llama-cpp-python
    falls back to any JSON object there; llamac does not answer with a
    weaker constraint than asked for)."""
    if response_format is None:
        return None
    if not isinstance(response_format, dict):
        raise TypeError("response_format= takes a dict such as {\"type\": \"json_object\"}")
    kind = response_format.get("type")
    if kind == "text":
        return None
    if kind == "json_object":
        schema = response_format.get("schema")
        if schema is None:
            return LlamaGrammar.from_string(JSON_GBNF)
        return LlamaGrammar.from_json_schema(schema)
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        if not isinstance(spec, dict) or "schema" not in spec:
            raise ValueError('response_format {"type": "json_schema"} needs '
                             '"json_schema": {"schema": {...}}')
        return LlamaGrammar.from_json_schema(spec["schema"])
    raise ValueError(f"response_format type {kind!r} is not one of 'text', 'json_object', "
                     "'json_schema'")


class _Release:
    def __init__(self, lock):
        self.lock = lock

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.lock.release()

    def release(self):
        self.lock.release()


class LlamaState:
    """What save_state returns (the shape of llama-cpp-python's LlamaState)."""

    def __init__(self, input_ids, n_tokens, llama_state, seed):
        self.input_ids = list(input_ids)
        self.n_tokens = n_tokens
        self.llama_state = llama_state
        self.llama_state_size = len(llama_state)
        self.seed = seed


class Llama:
    """A model and one context, with llama-cpp-python's methods. One thread
    at a time per Llama (a second thread calling in raises
    ConcurrentUseError); use one Llama per thread, or share a llamac.Model
    between threads with a Context each."""

    def __init__(self, model_path, *, n_ctx=512, n_batch=512, n_threads=None, seed=LLAMA_DEFAULT_SEED,
                 verbose=True, chat_format=None, use_mmap=True, last_n_tokens_size=64,
                 n_gpu_layers=0, logits_all=False, embedding=False, **kwargs):
        self._closed = True
        self.model = None
        self._ctx = None
        for k in kwargs:
            if k in _CHANGES_RESULTS:
                raise TypeError(f"Llama(): llamac does not support {k}= (it would change results)")
            if k not in _HARMLESS:
                raise TypeError(f"Llama() got an unexpected keyword argument {k!r}")
            warnings.warn(f"llamac: Llama({k}=...) is ignored (no effect on results)", stacklevel=2)
        if n_gpu_layers:
            warnings.warn("llamac: n_gpu_layers is ignored: llamac runs on the CPU", stacklevel=2)
        if embedding:
            raise NotImplementedError("llamac has no embeddings yet (Llama(embedding=True))")
        self.model_path = str(model_path)
        self.verbose = verbose
        self.chat_format = chat_format
        self.last_n_tokens_size = last_n_tokens_size
        if seed is None or seed == LLAMA_DEFAULT_SEED or seed < 0:
            seed = int.from_bytes(os.urandom(8), "little")
        self._seed = seed
        self._call_lock = threading.Lock()
        self.model = Model(self.model_path, use_mmap=use_mmap)
        try:
            if n_ctx == 0:
                n_ctx = self.model.n_ctx_train()
            self._ctx = Context(self.model, n_ctx=n_ctx, n_batch=n_batch, n_threads=n_threads or 0)
        except BaseException:
            self.model.close()
            raise
        self._closed = False
        self.input_ids = []
        self._last_logits = None
        if chat_format is not None:
            self._chat_template = CHAT_FORMAT_ALIASES.get(chat_format, chat_format)
        else:
            self._chat_template = None  # the model's own template
        self.metadata = {}
        name = self.model.metadata("general.name")
        if name is not None:
            self.metadata["general.name"] = name

    # ---- lifetime
    def close(self):
        """Frees the context and the model. Safe to call twice."""
        if getattr(self, "_ctx", None) is not None:
            self._ctx.close()
            self._ctx = None
        if getattr(self, "model", None) is not None:
            self.model.close()
            self.model = None
        self._closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _check(self):
        if self._closed:
            from .errors import ClosedError
            raise ClosedError("Llama")

    def _guard(self):
        """Takes the one-thread lock without waiting (ConcurrentUseError if
        another thread holds it); returns a context manager releasing it."""
        self._check()
        if not self._call_lock.acquire(blocking=False):
            raise ConcurrentUseError("Llama")
        return _Release(self._call_lock)

    @classmethod
    def from_pretrained(cls, *args, **kwargs):
        raise NotImplementedError("llamac does not download models: pass model_path= to a local GGUF file")

    # ---- vocabulary
    def tokenize(self, text, add_bos=True, special=False):
        self._check()
        return self.model.tokenize(text, add_special=add_bos, parse_special=special)

    def detokenize(self, tokens, prev_tokens=None, special=False):
        self._check()
        return self.model.detokenize(list(tokens), remove_special=False, unparse_special=special)

    def n_ctx(self):
        self._check()
        return self._ctx.n_ctx()

    def n_vocab(self):
        self._check()
        return self.model.n_vocab()

    def n_embd(self):
        self._check()
        return self.model.n_embd()

    def token_bos(self):
        self._check()
        return self.model.token_bos()

    def token_eos(self):
        self._check()
        return self.model.token_eos()

    @property
    def n_tokens(self):
        return len(self.input_ids)

    # ---- low-level evaluation
    def reset(self):
        """Empties the context (the next eval starts at position 0)."""
        self._check()
        self._ctx.kv_clear()
        self.input_ids = []
        self._last_logits = None

    def eval(self, tokens):
        """Decodes tokens after those already evaluated; the last one's
        logits are then in .scores[-1] / .eval_logits[-1]."""
        with self._guard():
            tokens = list(tokens)
            # A completion leaves its last sampled token undecoded (the
            # generator decodes lazily): decode it first.
            n_past = self._ctx.kv_pos_max(0) + 1
            self._ctx.decode(self.input_ids[n_past:] + tokens, pos0=n_past)
            self.input_ids += tokens
            self._last_logits = self._ctx.logits(-1)

    @property
    def eval_logits(self):
        """The logits of the last evaluated token, as a one-row list (llamac
        keeps only the last decode's row)."""
        return [self._last_logits] if self._last_logits is not None else []

    @property
    def scores(self):
        return self.eval_logits

    # ---- completion
    def __call__(self, prompt, **kwargs):
        return self.create_completion(prompt, **kwargs)

    def create_completion(self, prompt, suffix=None, max_tokens=16, temperature=0.8, top_p=0.95,
                          min_p=0.05, typical_p=1.0, logprobs=None, echo=False, stop=None,
                          frequency_penalty=0.0, presence_penalty=0.0, repeat_penalty=1.0,
                          top_k=40, stream=False, seed=None, tfs_z=1.0, mirostat_mode=0,
                          mirostat_tau=5.0, mirostat_eta=0.1, model=None, stopping_criteria=None,
                          logits_processor=None, grammar=None, logit_bias=None):
        self._check()
        if suffix:
            raise NotImplementedError("llamac: suffix= (infill) is not supported")
        grammar = _as_grammar(grammar)
        if mirostat_mode:
            raise NotImplementedError("llamac: mirostat_mode is not supported by Llama yet")
        if stopping_criteria is not None or logits_processor is not None:
            raise NotImplementedError("llamac: stopping_criteria/logits_processor are not supported")
        if tfs_z != 1.0:
            raise NotImplementedError("llamac: tfs_z (tail-free sampling) is not supported")
        it = self._completion(prompt, max_tokens, temperature, top_p, min_p, typical_p, logprobs,
                              echo, stop, frequency_penalty, presence_penalty, repeat_penalty,
                              top_k, seed, logit_bias, model, "text_completion", grammar=grammar)
        if stream:
            return self._text_stream(it)
        chunks = list(it)
        text = "".join(c["choices"][0]["text"] for c in chunks)
        last = chunks[-1]
        lp = None
        if logprobs is not None:
            lp = {"tokens": [], "text_offset": [], "token_logprobs": [], "top_logprobs": []}
            for c in chunks:
                cl = c["choices"][0]["logprobs"]
                if cl:
                    for k in lp:
                        lp[k] += cl[k]
        return {
            "id": last["id"], "object": "text_completion", "created": last["created"],
            "model": last["model"],
            "choices": [{"text": text, "index": 0, "logprobs": lp,
                         "finish_reason": last["choices"][0]["finish_reason"]}],
            "usage": last["_usage"],
        }

    def _prompt_tokens(self, prompt, parse_special=True):
        if isinstance(prompt, (list, tuple)):
            return list(prompt)
        if isinstance(prompt, str):
            prompt = prompt.encode("utf-8")
        if prompt == b"":
            return [self.model.token_bos()]
        # BOS once: a prompt that starts with the BOS text (a chat template's
        # output) does not get a second one (llama-cpp-python #1501)
        return self.model.tokenize(prompt, add_special=True, parse_special=parse_special, bos_once=True)

    def _completion(self, prompt, max_tokens, temperature, top_p, min_p, typical_p, logprobs, echo,
                    stop, frequency_penalty, presence_penalty, repeat_penalty, top_k, seed,
                    logit_bias, model_name, obj, chat=False, grammar=None):
        lock = self._guard()
        cid = ("chatcmpl-" if chat else "cmpl-") + str(uuid.uuid4())
        created = int(time.time())
        mname = model_name or self.model_path
        gen = sampler = None
        try:
            tokens = self._prompt_tokens(prompt)
            n_ctx = self._ctx.n_ctx()
            if len(tokens) >= n_ctx:
                raise ValueError(f"Requested tokens ({len(tokens)}) exceed context window of {n_ctx}")
            if max_tokens is None or max_tokens <= 0:
                max_tokens = n_ctx - len(tokens)
            if isinstance(stop, str):
                stop = [stop]
            stop = [s for s in (stop or []) if s]
            n_vocab = self.model.n_vocab()
            sampler = SamplerChain(
                n_vocab=n_vocab, temperature=temperature, top_k=top_k, top_p=top_p, min_p=min_p,
                typical_p=typical_p, repeat_penalty=repeat_penalty,
                frequency_penalty=frequency_penalty, presence_penalty=presence_penalty,
                penalty_last_n=self.last_n_tokens_size,
                seed=self._seed if seed is None else seed,
                logit_bias={int(k): v for k, v in (logit_bias or {}).items()},
                grammar=grammar, model=self.model if grammar is not None else None)
            self._ctx.kv_clear()
            self.input_ids = []
            self._last_logits = None
            rows = []
            on_token = None
            if logprobs is not None:
                def on_token(tok):
                    rows.append(self._ctx.logits(-1))
            gen = Generator(self._ctx, sampler, tokens, max_tokens=max_tokens, stop=stop,
                            on_token=on_token)
            offset = 0
            if echo:
                ptext = self.model.detokenize(tokens).decode("utf-8", "replace")
                offset = len(ptext)
                yield self._chunk(cid, created, mname, ptext, None, obj, chat)
            n_done = 0
            while gen.stop_reason == _lib.LLAMAC_STOP_NONE:
                tok, text, _ = gen.step()
                if not text and not (logprobs is not None and tok is not None):
                    continue
                s = text.decode("utf-8", "replace")
                lp = None
                if logprobs is not None:
                    new = gen.tokens[n_done:]
                    lp = self._logprobs(new, rows[n_done:], offset, logprobs)
                    n_done = len(gen.tokens)
                if s or lp:
                    yield self._chunk(cid, created, mname, s, None, obj, chat, lp)
                offset += len(s)
            self.input_ids = tokens + gen.tokens
            reason = "length" if gen.stop_reason in (_lib.LLAMAC_STOP_MAX_TOKENS,
                                                     _lib.LLAMAC_STOP_CONTEXT_FULL) else "stop"
            final = self._chunk(cid, created, mname, "", reason, obj, chat)
            final["_usage"] = {"prompt_tokens": len(tokens), "completion_tokens": len(gen.tokens),
                               "total_tokens": len(tokens) + len(gen.tokens)}
            yield final
        finally:
            if gen is not None:
                gen.close()
            if sampler is not None:
                sampler.close()
            lock.release()

    def _logprobs(self, toks, rows, offset, n_top):
        out = {"tokens": [], "text_offset": [], "token_logprobs": [], "top_logprobs": []}
        for tok, row in zip(toks, rows):
            m = max(row)
            lse = m + math.log(sum(math.exp(x - m) for x in row))
            piece = self.model.token_to_piece(tok).decode("utf-8", "replace")
            out["tokens"].append(piece)
            out["text_offset"].append(offset)
            out["token_logprobs"].append(row[tok] - lse)
            top = sorted(range(len(row)), key=lambda i: (-row[i], i))[:max(n_top, 1)]
            out["top_logprobs"].append({self.model.token_to_piece(i).decode("utf-8", "replace"): row[i] - lse
                                        for i in top})
        return out

    @staticmethod
    def _chunk(cid, created, mname, text, reason, obj, chat, lp=None):
        if chat:
            return {"id": cid, "object": "chat.completion.chunk", "created": created, "model": mname,
                    "choices": [{"index": 0, "delta": {"content": text} if text else {},
                                 "logprobs": None, "finish_reason": reason}]}
        return {"id": cid, "object": obj, "created": created, "model": mname,
                "choices": [{"text": text, "index": 0, "logprobs": lp, "finish_reason": reason}]}

    # ---- chat
    def create_chat_completion(self, messages, functions=None, function_call=None, tools=None,
                               tool_choice=None, temperature=0.2, top_p=0.95, top_k=40, min_p=0.05,
                               typical_p=1.0, stream=False, stop=None, seed=None,
                               response_format=None, max_tokens=None, presence_penalty=0.0,
                               frequency_penalty=0.0, repeat_penalty=1.0, tfs_z=1.0,
                               mirostat_mode=0, mirostat_tau=5.0, mirostat_eta=0.1, model=None,
                               logits_processor=None, grammar=None, logit_bias=None,
                               logprobs=None, top_logprobs=None):
        self._check()
        if functions or tools or function_call or tool_choice:
            raise NotImplementedError("llamac: function/tool calling is not supported")
        grammar = _as_grammar(grammar)
        rf_grammar = grammar_for_response_format(response_format)
        if rf_grammar is not None:
            if grammar is not None:
                raise ValueError("create_chat_completion: give grammar= or a JSON "
                                 "response_format=, not both")
            grammar = rf_grammar
        if mirostat_mode or tfs_z != 1.0 or logits_processor is not None or logprobs:
            raise NotImplementedError("llamac: mirostat, tfs_z, logits_processor and chat logprobs "
                                      "are not supported")
        prompt = self._format_chat(messages)
        tokens = self.model.tokenize(prompt.encode("utf-8"), add_special=True, parse_special=True)
        bos = self.model.token_bos()
        if len(tokens) >= 2 and tokens[0] == bos and tokens[1] == bos:
            tokens = tokens[1:]  # the template spelled BOS itself
        it = self._completion(tokens, max_tokens, temperature, top_p, min_p, typical_p, None, False,
                              stop, frequency_penalty, presence_penalty, repeat_penalty, top_k, seed,
                              logit_bias, model, "chat.completion", chat=True, grammar=grammar)
        if stream:
            return self._chat_stream(it)
        chunks = list(it)
        text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
        last = chunks[-1]
        return {"id": last["id"], "object": "chat.completion", "created": last["created"],
                "model": last["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                             "logprobs": None, "finish_reason": last["choices"][0]["finish_reason"]}],
                "usage": last["_usage"]}

    def _format_chat(self, messages):
        """chat_format given: that built-in format. Else the model's
        tokenizer.chat_template rendered as Jinja (as llama-cpp-python does
        with jinja2), else llama-2 (llama-cpp-python's fallback)."""
        if self._chat_template is not None:
            return self.model.apply_chat_template(messages, self._chat_template, True)
        tmpl = self.model.metadata("tokenizer.chat_template")
        if tmpl is not None:
            return self.model.render_jinja(tmpl, messages, True)
        warnings.warn("llamac: the model has no chat template; using llama-2 as "
                      "llama-cpp-python does (pass chat_format= to choose)", stacklevel=3)
        return self.model.apply_chat_template(messages, "llama2", True)

    @staticmethod
    def _text_stream(it):
        for c in it:
            c.pop("_usage", None)
            yield c

    @staticmethod
    def _chat_stream(it):
        first = True
        for c in it:
            c.pop("_usage", None)
            if first:
                first = False
                yield {"id": c["id"], "object": c["object"], "created": c["created"],
                       "model": c["model"], "choices": [{"index": 0, "delta": {"role": "assistant"},
                                                          "logprobs": None, "finish_reason": None}]}
            yield c

    # ---- state
    def save_state(self):
        with self._guard():
            ids = self.input_ids[:self._ctx.kv_pos_max(0) + 1]  # what the cache holds
            data = self._ctx.state_save(ids)
            return LlamaState(ids, len(ids), data, self._seed)

    def load_state(self, state):
        with self._guard():
            self.input_ids = self._ctx.state_load(state.llama_state)
            self._last_logits = None

    # ---- not available
    def embed(self, *args, **kwargs):
        raise NotImplementedError("llamac has no embeddings yet")

    def create_embedding(self, *args, **kwargs):
        raise NotImplementedError("llamac has no embeddings yet")

    def set_seed(self, seed):
        self._seed = seed
