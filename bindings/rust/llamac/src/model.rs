//! Models: loading, hyperparameters, the tokenizer, chat templates.

use std::ffi::{c_char, c_void};
use std::mem::{size_of, MaybeUninit};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::ptr::{self, NonNull};

use llamac_sys as sys;

use crate::error::{bytes_lossy, c_string, check, cstr_lossy, Error, Result, Status};
use crate::Token;

/// [`Model::tokenize_flags`]: add BOS (and EOS where the vocabulary adds one).
pub const TOKENIZE_ADD_SPECIAL: u32 = sys::LLAMAC_TOKENIZE_ADD_SPECIAL;
/// [`Model::tokenize_flags`]: control-token text such as `<s>` becomes that token.
pub const TOKENIZE_PARSE_SPECIAL: u32 = sys::LLAMAC_TOKENIZE_PARSE_SPECIAL;
/// [`Model::tokenize_flags`]: no added BOS when the text's tokens already begin with BOS.
pub const TOKENIZE_BOS_ONCE: u32 = sys::LLAMAC_TOKENIZE_BOS_ONCE;

/// Severity of a library log message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
}

type LogFn = dyn Fn(LogLevel, &str) + Send + Sync + 'static;

/// Options of [`Model::load_with`]; unset fields keep the library's
/// defaults (`llamac_model_params_init`).
#[derive(Default)]
pub struct ModelParams {
    use_mmap: Option<bool>,
    repack: Option<bool>,
    log: Option<Box<Box<LogFn>>>,
}

impl ModelParams {
    pub fn new() -> ModelParams {
        ModelParams::default()
    }

    /// Map the file (default true) or read it into memory.
    pub fn use_mmap(mut self, on: bool) -> ModelParams {
        self.use_mmap = Some(on);
        self
    }

    /// Repack matrices for faster kernels at load (default true).
    pub fn repack(mut self, on: bool) -> ModelParams {
        self.repack = Some(on);
        self
    }

    /// Receive the model's log messages (during the load and from its
    /// contexts). The library calls `f` from whichever thread does the work,
    /// hence `Send + Sync`; a panic inside `f` is caught and dropped (it
    /// never unwinds into C).
    pub fn log(mut self, f: impl Fn(LogLevel, &str) + Send + Sync + 'static) -> ModelParams {
        self.log = Some(Box::new(Box::new(f)));
        self
    }
}

unsafe extern "C" fn log_trampoline(user: *mut c_void, level: sys::llamac_log_level, message: *const c_char) {
    let _ = catch_unwind(AssertUnwindSafe(|| {
        // SAFETY: user is the Box<LogFn> the Model owns, alive while the
        // library can log for it; message is a NUL-terminated string.
        let f = unsafe { &*(user as *const Box<LogFn>) };
        let level = match level {
            sys::LLAMAC_LOG_ERROR => LogLevel::Error,
            sys::LLAMAC_LOG_WARN => LogLevel::Warn,
            sys::LLAMAC_LOG_INFO => LogLevel::Info,
            _ => LogLevel::Debug,
        };
        let text = unsafe { cstr_lossy(message) };
        f(level, &text);
    }));
}

/// A loaded model: read-only after the load, so it is `Send + Sync` and
/// any number of contexts on any threads may use it (share it by reference
/// or through an `Arc`). Freed on drop, which the borrow checker orders
/// after every [`Context`](crate::Context) of it.
pub struct Model {
    ptr: NonNull<sys::llamac_model>,
    // Dropped after the model (fields drop after Drop::drop runs).
    _log: Option<Box<Box<LogFn>>>,
}

// SAFETY: llamac.h section 5: a loaded model is read-only; any number of
// contexts on any threads may use it at once. The log closure is Send + Sync.
unsafe impl Send for Model {}
unsafe impl Sync for Model {}

impl Drop for Model {
    fn drop(&mut self) {
        // SAFETY: owned pointer; no context is alive (they borrow self).
        unsafe { sys::llamac_model_free(self.ptr.as_ptr()) }
    }
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").field("desc", &self.desc()).finish()
    }
}

pub(crate) fn c_path(path: &Path) -> Result<std::ffi::CString> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::ffi::CString::new(path.as_os_str().as_bytes())
            .map_err(|_| Error::new(Status::InvalidArg, "path contains a NUL byte"))
    }
    #[cfg(not(unix))]
    {
        c_string(&path.to_string_lossy(), "path")
    }
}



impl Model {
    /// Loads a GGUF model with default parameters.
    pub fn load(path: impl AsRef<Path>) -> Result<Model> {
        Model::load_with(path, ModelParams::default())
    }

    /// Loads a GGUF model.
    pub fn load_with(path: impl AsRef<Path>, params: ModelParams) -> Result<Model> {
        let cpath = c_path(path.as_ref())?;
        let mut p = MaybeUninit::<sys::llamac_model_params>::zeroed();
        // SAFETY: init writes every field of a struct of this size.
        let mut p = unsafe {
            sys::llamac_model_params_init(p.as_mut_ptr(), size_of::<sys::llamac_model_params>());
            p.assume_init()
        };
        if let Some(v) = params.use_mmap {
            p.use_mmap = v;
        }
        if let Some(v) = params.repack {
            p.repack = v;
        }
        if let Some(f) = &params.log {
            p.log_fn = Some(log_trampoline);
            p.log_user = &**f as *const Box<LogFn> as *mut c_void;
        }
        let mut out = ptr::null_mut();
        // SAFETY: valid path and params; out receives an owned model.
        check(unsafe { sys::llamac_model_load(cpath.as_ptr(), &p, &mut out) })?;
        let ptr = NonNull::new(out).ok_or_else(|| Error::new(Status::Internal, "llamac_model_load gave NULL"))?;
        Ok(Model { ptr, _log: params.log })
    }

    /// The raw handle, for calls through `llamac-sys`. Valid while `self` is.
    pub fn as_ptr(&self) -> *const sys::llamac_model {
        self.ptr.as_ptr()
    }

    pub fn n_vocab(&self) -> i32 {
        unsafe { sys::llamac_model_n_vocab(self.as_ptr()) }
    }
    pub fn n_ctx_train(&self) -> i32 {
        unsafe { sys::llamac_model_n_ctx_train(self.as_ptr()) }
    }
    pub fn n_embd(&self) -> i32 {
        unsafe { sys::llamac_model_n_embd(self.as_ptr()) }
    }
    pub fn n_layer(&self) -> i32 {
        unsafe { sys::llamac_model_n_layer(self.as_ptr()) }
    }
    pub fn n_head(&self) -> i32 {
        unsafe { sys::llamac_model_n_head(self.as_ptr()) }
    }
    pub fn n_head_kv(&self) -> i32 {
        unsafe { sys::llamac_model_n_head_kv(self.as_ptr()) }
    }
    pub fn n_ff(&self) -> i32 {
        unsafe { sys::llamac_model_n_ff(self.as_ptr()) }
    }
    /// Bytes of tensor data in the file.
    pub fn size(&self) -> u64 {
        unsafe { sys::llamac_model_size(self.as_ptr()) }
    }
    pub fn n_params(&self) -> u64 {
        unsafe { sys::llamac_model_n_params(self.as_ptr()) }
    }
    /// One line describing the model.
    pub fn desc(&self) -> String {
        unsafe { cstr_lossy(sys::llamac_model_desc(self.as_ptr())) }
    }

    fn vocab(&self) -> *const sys::llamac_vocab {
        // NULL when the file has no vocabulary: the tokenizer calls then
        // fail with LLAMAC_ERR_INVALID_ARG ("vocab is NULL").
        unsafe { sys::llamac_model_vocab(self.as_ptr()) }
    }

    /// Whether the file has a vocabulary (tokenizer).
    pub fn has_vocab(&self) -> bool {
        !self.vocab().is_null()
    }
    /// Tokens in the vocabulary (0 without one).
    pub fn n_tokens(&self) -> i32 {
        unsafe { sys::llamac_vocab_n_tokens(self.vocab()) }
    }
    pub fn token_bos(&self) -> Option<Token> {
        opt_token(unsafe { sys::llamac_vocab_bos(self.vocab()) })
    }
    pub fn token_eos(&self) -> Option<Token> {
        opt_token(unsafe { sys::llamac_vocab_eos(self.vocab()) })
    }
    /// Whether `token` ends generation (EOS, EOT, ...).
    pub fn is_eog(&self, token: Token) -> bool {
        unsafe { sys::llamac_vocab_is_eog(self.vocab(), token) }
    }

    /// Text to tokens. `add_special`: BOS (and EOS) as the vocabulary says;
    /// `parse_special`: control tokens written as text become those tokens
    /// (what `llamac run` does with a prompt: both true).
    pub fn tokenize(&self, text: &str, add_special: bool, parse_special: bool) -> Result<Vec<Token>> {
        let flags = if add_special { TOKENIZE_ADD_SPECIAL } else { 0 } | if parse_special { TOKENIZE_PARSE_SPECIAL } else { 0 };
        self.tokenize_flags(text, flags)
    }

    /// [`tokenize`](Self::tokenize) with `llamac_tokenize_flags`' flags:
    /// [`TOKENIZE_ADD_SPECIAL`], [`TOKENIZE_PARSE_SPECIAL`] and
    /// [`TOKENIZE_BOS_ONCE`] (with ADD_SPECIAL, no BOS is added when the
    /// text's own tokens already begin with it, e.g. a rendered chat
    /// template that writes `<s>`). Unknown bits are an `InvalidArg` error.
    pub fn tokenize_flags(&self, text: &str, flags: u32) -> Result<Vec<Token>> {
        let v = self.vocab();
        let mut need: i32 = 0;
        let tp = text.as_ptr() as *const c_char;
        // SAFETY: text[0..len) readable; a NULL buffer with capacity 0 asks the size.
        let st = unsafe { sys::llamac_tokenize_flags(v, tp, text.len(), ptr::null_mut(), 0, flags, &mut need) };
        if st != sys::LLAMAC_OK && st != sys::LLAMAC_ERR_BUFFER_TOO_SMALL {
            return Err(Error::last(st));
        }
        let mut out: Vec<Token> = vec![0; need.max(0) as usize];
        let mut n: i32 = 0;
        // SAFETY: out holds `need` tokens.
        check(unsafe { sys::llamac_tokenize_flags(v, tp, text.len(), out.as_mut_ptr(), need, flags, &mut n) })?;
        out.truncate(n.max(0) as usize);
        Ok(out)
    }

    /// Tokens to bytes (the inverse of [`tokenize`](Self::tokenize)).
    /// `remove_special` drops a leading BOS / trailing EOS the vocabulary
    /// adds; `unparse_special` renders control tokens as their text.
    pub fn detokenize_bytes(&self, tokens: &[Token], remove_special: bool, unparse_special: bool) -> Result<Vec<u8>> {
        let v = self.vocab();
        let n_tokens = i32::try_from(tokens.len())
            .map_err(|_| Error::new(Status::InvalidArg, "detokenize: more than i32::MAX tokens"))?;
        let mut need = 0usize;
        // SAFETY: tokens readable; NULL buffer of size 0 asks the length.
        let st = unsafe {
            sys::llamac_detokenize(v, tokens.as_ptr(), n_tokens, ptr::null_mut(), 0, remove_special, unparse_special, &mut need)
        };
        if st != sys::LLAMAC_OK && st != sys::LLAMAC_ERR_BUFFER_TOO_SMALL {
            return Err(Error::last(st));
        }
        let mut buf = vec![0u8; need];
        let mut n = 0usize;
        check(unsafe {
            sys::llamac_detokenize(v, tokens.as_ptr(), n_tokens, buf.as_mut_ptr() as *mut c_char, buf.len(),
                                   remove_special, unparse_special, &mut n)
        })?;
        buf.truncate(n);
        Ok(buf)
    }

    /// [`detokenize_bytes`](Self::detokenize_bytes) as a String (bytes that
    /// are not UTF-8, e.g. a character cut in the middle, become U+FFFD).
    pub fn detokenize(&self, tokens: &[Token], remove_special: bool, unparse_special: bool) -> Result<String> {
        let b = self.detokenize_bytes(tokens, remove_special, unparse_special)?;
        Ok(String::from_utf8_lossy(&b).into_owned())
    }

    /// The text of one token as printed (`llamac_token_to_piece`, no
    /// stripping; `special` renders control tokens).
    pub fn token_to_piece(&self, token: Token, special: bool) -> Result<Vec<u8>> {
        let v = self.vocab();
        let mut buf = vec![0u8; 32];
        loop {
            let mut n = 0usize;
            let st = unsafe {
                sys::llamac_token_to_piece(v, token, buf.as_mut_ptr() as *mut c_char, buf.len(), 0, special, &mut n)
            };
            if st == sys::LLAMAC_ERR_BUFFER_TOO_SMALL && n > buf.len() {
                buf.resize(n, 0);
                continue;
            }
            check(st)?;
            buf.truncate(n);
            return Ok(buf);
        }
    }

    /// Formats a conversation with one of the built-in chat formats
    /// (`llamac_chat_apply_template`): `template` is a built-in's name
    /// ("chatml", "llama3", ... see [`chat_builtin_names`]), a Jinja
    /// template's text a built-in is detected in, or `None` for the model's
    /// own `tokenizer.chat_template`.
    pub fn apply_chat_template(&self, template: Option<&str>, messages: &[ChatMessage<'_>],
                               add_generation_prompt: bool) -> Result<String> {
        let tmpl = template.map(|t| c_string(t, "template")).transpose()?;
        let mut owned = Vec::with_capacity(messages.len());
        for m in messages {
            owned.push((c_string(m.role, "role")?, c_string(m.content, "content")?));
        }
        let raw: Vec<sys::llamac_chat_message> = owned
            .iter()
            .map(|(r, c)| sys::llamac_chat_message { role: r.as_ptr(), content: c.as_ptr() })
            .collect();
        let tp = tmpl.as_ref().map_or(ptr::null(), |t| t.as_ptr());
        let mut need = 0usize;
        // SAFETY: every pointer lives until the call returns.
        let st = unsafe {
            sys::llamac_chat_apply_template(self.as_ptr(), tp, raw.as_ptr(), raw.len(), add_generation_prompt,
                                            ptr::null_mut(), 0, &mut need)
        };
        if st != sys::LLAMAC_OK && st != sys::LLAMAC_ERR_BUFFER_TOO_SMALL {
            return Err(Error::last(st));
        }
        let mut buf = vec![0u8; need];
        let mut n = 0usize;
        check(unsafe {
            sys::llamac_chat_apply_template(self.as_ptr(), tp, raw.as_ptr(), raw.len(), add_generation_prompt,
                                            buf.as_mut_ptr() as *mut c_char, buf.len(), &mut n)
        })?;
        buf.truncate(n);
        Ok(unsafe { bytes_lossy(buf.as_ptr() as *const c_char, buf.len()) })
    }
}

fn opt_token(t: Token) -> Option<Token> {
    if t == sys::LLAMAC_TOKEN_NULL {
        None
    } else {
        Some(t)
    }
}

/// One message of a conversation for [`Model::apply_chat_template`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChatMessage<'a> {
    pub role: &'a str,
    pub content: &'a str,
}

impl<'a> ChatMessage<'a> {
    pub fn new(role: &'a str, content: &'a str) -> ChatMessage<'a> {
        ChatMessage { role, content }
    }
}

/// The names of the built-in chat formats, in byte order.
pub fn chat_builtin_names() -> Vec<&'static str> {
    let n = unsafe { sys::llamac_chat_builtin_count() };
    (0..n)
        .filter_map(|i| {
            let p = unsafe { sys::llamac_chat_builtin_name(i) };
            if p.is_null() {
                None
            } else {
                // SAFETY: static storage, NUL-terminated ASCII.
                unsafe { std::ffi::CStr::from_ptr(p) }.to_str().ok()
            }
        })
        .collect()
}

/// The built-in format [`Model::apply_chat_template`] would use for
/// `template`, or `None` when none matches.
pub fn chat_detect_template(template: &str) -> Option<&'static str> {
    let t = std::ffi::CString::new(template).ok()?;
    let p = unsafe { sys::llamac_chat_detect_template(t.as_ptr()) };
    if p.is_null() {
        None
    } else {
        unsafe { std::ffi::CStr::from_ptr(p) }.to_str().ok()
    }
}
