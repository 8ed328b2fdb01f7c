//! Contexts (KV cache, decoding, logits) and batches.

use std::marker::PhantomData;
use std::mem::{size_of, MaybeUninit};
use std::ptr::{self, NonNull};
use std::sync::Arc;

use llamac_sys as sys;

use crate::error::{check, Error, Result, Status};
use crate::model::{c_path, Model};
use crate::sampler::Sampler;
use crate::{Pos, SeqId, Token};

mod sealed {
    /// How a context holds its model: `&'m Model` (a [`Context`](crate::Context)
    /// borrows it) or `Arc<Model>` (an [`OwnedContext`](crate::OwnedContext)
    /// keeps it alive). Sealed: no other holder can be written, so the
    /// model a context was created on is always the one it keeps.
    pub trait ModelRef {
        fn model(&self) -> &crate::Model;
    }
}
pub use sealed::ModelRef;

impl ModelRef for &Model {
    fn model(&self) -> &Model {
        self
    }
}
impl ModelRef for Arc<Model> {
    fn model(&self) -> &Model {
        self
    }
}

/// Kernel set of a context.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernels {
    Auto,
    Scalar,
    Avx2,
    Avx512,
}

/// Options of a context; unset fields keep the library's defaults
/// (`llamac_context_params_init`).
#[derive(Debug, Clone, Default)]
pub struct ContextParams {
    n_ctx: Option<u32>,
    n_batch: Option<u32>,
    n_threads: Option<i32>,
    n_seq_max: Option<u32>,
    kernels: Option<Kernels>,
}

impl ContextParams {
    pub fn new() -> ContextParams {
        ContextParams::default()
    }
    /// KV cache cells (0: the model's training context).
    pub fn n_ctx(mut self, n: u32) -> Self {
        self.n_ctx = Some(n);
        self
    }
    /// Most tokens per decode call.
    pub fn n_batch(mut self, n: u32) -> Self {
        self.n_batch = Some(n);
        self
    }
    /// Threads of the forward pass (0: online CPUs).
    pub fn n_threads(mut self, n: i32) -> Self {
        self.n_threads = Some(n);
        self
    }
    /// Number of sequences the cache can hold.
    pub fn n_seq_max(mut self, n: u32) -> Self {
        self.n_seq_max = Some(n);
        self
    }
    pub fn kernels(mut self, k: Kernels) -> Self {
        self.kernels = Some(k);
        self
    }

    pub(crate) fn raw(&self) -> sys::llamac_context_params {
        let mut p = MaybeUninit::<sys::llamac_context_params>::zeroed();
        // SAFETY: init writes every field of a struct of this size.
        let mut p = unsafe {
            sys::llamac_context_params_init(p.as_mut_ptr(), size_of::<sys::llamac_context_params>());
            p.assume_init()
        };
        if let Some(v) = self.n_ctx {
            p.n_ctx = v;
        }
        if let Some(v) = self.n_batch {
            p.n_batch = v;
        }
        if let Some(v) = self.n_threads {
            p.n_threads = v;
        }
        if let Some(v) = self.n_seq_max {
            p.n_seq_max = v;
        }
        if let Some(k) = self.kernels {
            p.kernels = match k {
                Kernels::Auto => sys::LLAMAC_KERNELS_AUTO,
                Kernels::Scalar => sys::LLAMAC_KERNELS_SCALAR,
                Kernels::Avx2 => sys::LLAMAC_KERNELS_AVX2,
                Kernels::Avx512 => sys::LLAMAC_KERNELS_AVX512,
            };
        }
        p
    }
}

/// A context running a model: KV cache, scratch memory, logits, threads.
/// Use it from one thread at a time: it is `Send` but not `Sync`.
///
/// `M` is how it holds the model; use the aliases [`Context<'m>`](Context)
/// (borrows the model, so it cannot outlive it) and [`OwnedContext`]
/// (keeps an `Arc<Model>`, for storing next to the model).
pub struct ContextOf<M: ModelRef> {
    ptr: NonNull<sys::llamac_context>,
    // Dropped after the context (Drop::drop frees the context first).
    model: M,
}

/// A context borrowing its model: `Model::new_context` or `Context::new(&model, ..)`.
pub type Context<'m> = ContextOf<&'m Model>;
/// A context owning a share of its model: `OwnedContext::new(arc, ..)`.
pub type OwnedContext = ContextOf<Arc<Model>>;

// SAFETY: a context may move between threads (the caller serializes calls,
// which &mut / the missing Sync impl enforce); the model is Sync.
unsafe impl<M: ModelRef + Send> Send for ContextOf<M> {}

impl<M: ModelRef> std::fmt::Debug for ContextOf<M> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").field("n_ctx", &self.n_ctx()).finish()
    }
}

impl<M: ModelRef> Drop for ContextOf<M> {
    fn drop(&mut self) {
        // SAFETY: owned pointer; generators borrowing it are gone.
        unsafe { sys::llamac_context_free(self.ptr.as_ptr()) }
    }
}

impl Model {
    /// A context of this model that borrows it.
    pub fn new_context(&self, params: &ContextParams) -> Result<Context<'_>> {
        ContextOf::new(self, params)
    }
}

impl<M: ModelRef> ContextOf<M> {
    /// Creates a context of `model` (`&Model` or `Arc<Model>`).
    pub fn new(model: M, params: &ContextParams) -> Result<ContextOf<M>> {
        let p = params.raw();
        let mut out = ptr::null_mut();
        // SAFETY: the model is alive; out receives an owned context.
        check(unsafe { sys::llamac_context_new(model.model().as_ptr(), &p, &mut out) })?;
        let ptr = NonNull::new(out).ok_or_else(|| Error::new(Status::Internal, "llamac_context_new gave NULL"))?;
        Ok(ContextOf { ptr, model })
    }

    /// The model this context runs.
    pub fn model(&self) -> &Model {
        self.model.model()
    }

    /// The raw handle, for calls through `llamac-sys`. Valid while `self` is.
    pub fn as_ptr(&self) -> *mut sys::llamac_context {
        self.ptr.as_ptr()
    }

    pub fn n_ctx(&self) -> u32 {
        unsafe { sys::llamac_context_n_ctx(self.as_ptr()) }
    }
    pub fn n_batch(&self) -> u32 {
        unsafe { sys::llamac_context_n_batch(self.as_ptr()) }
    }
    pub fn n_seq_max(&self) -> u32 {
        unsafe { sys::llamac_context_n_seq_max(self.as_ptr()) }
    }
    pub fn n_threads(&self) -> i32 {
        unsafe { sys::llamac_context_n_threads(self.as_ptr()) }
    }
    /// Changes the thread count (1 up to the count at creation; 0: online CPUs).
    pub fn set_n_threads(&mut self, n: i32) -> Result<()> {
        check(unsafe { sys::llamac_context_set_n_threads(self.as_ptr(), n) })
    }

    /// Decodes a batch (all or nothing: on failure the cache is unchanged).
    pub fn decode(&mut self, batch: &Batch) -> Result<()> {
        check(unsafe { sys::llamac_decode(self.as_ptr(), &batch.raw) })
    }

    /// Logits rows the last decode produced.
    pub fn n_outputs(&self) -> i32 {
        unsafe { sys::llamac_n_outputs(self.as_ptr()) }
    }

    /// The n_vocab logits of the i-th output of the last decode (i < 0
    /// counts from the end); the borrow ends before the next decode.
    pub fn logits(&self, i: i32) -> Result<&[f32]> {
        let p = unsafe { sys::llamac_get_logits(self.as_ptr(), i) };
        if p.is_null() {
            return Err(Error::last(sys::LLAMAC_ERR_INVALID_ARG));
        }
        let n = self.model().n_vocab().max(0) as usize;
        // SAFETY: n_vocab floats owned by the context, valid until the next
        // decode, which needs &mut self.
        Ok(unsafe { std::slice::from_raw_parts(p, n) })
    }

    /// Empties the cache (every sequence).
    pub fn kv_clear(&mut self) {
        unsafe { sys::llamac_kv_clear(self.as_ptr()) }
    }
    /// Removes positions [p0, p1) of `seq` (p1 < 0: to the end; seq < 0: all).
    pub fn kv_seq_rm(&mut self, seq: SeqId, p0: Pos, p1: Pos) -> Result<()> {
        check(unsafe { sys::llamac_kv_seq_rm(self.as_ptr(), seq, p0, p1) })
    }
    /// Makes positions [p0, p1) of `src` part of `dst` too.
    pub fn kv_seq_cp(&mut self, src: SeqId, dst: SeqId, p0: Pos, p1: Pos) -> Result<()> {
        check(unsafe { sys::llamac_kv_seq_cp(self.as_ptr(), src, dst, p0, p1) })
    }
    /// Drops every sequence but `seq`.
    pub fn kv_seq_keep(&mut self, seq: SeqId) -> Result<()> {
        check(unsafe { sys::llamac_kv_seq_keep(self.as_ptr(), seq) })
    }
    /// Shifts positions [p0, p1) of `seq` by `delta`.
    pub fn kv_seq_add(&mut self, seq: SeqId, p0: Pos, p1: Pos, delta: Pos) -> Result<()> {
        check(unsafe { sys::llamac_kv_seq_add(self.as_ptr(), seq, p0, p1, delta) })
    }
    /// Smallest position of `seq`, `None` when it is empty.
    pub fn kv_seq_pos_min(&self, seq: SeqId) -> Option<Pos> {
        let p = unsafe { sys::llamac_kv_seq_pos_min(self.as_ptr(), seq) };
        (p >= 0).then_some(p)
    }
    /// Largest position of `seq`, `None` when it is empty.
    pub fn kv_seq_pos_max(&self, seq: SeqId) -> Option<Pos> {
        let p = unsafe { sys::llamac_kv_seq_pos_max(self.as_ptr(), seq) };
        (p >= 0).then_some(p)
    }
    /// Cells in use.
    pub fn kv_n_used(&self) -> i32 {
        unsafe { sys::llamac_kv_n_used(self.as_ptr()) }
    }

    /// Saves sequence `seq` (`None`: the whole context) to a state file
    /// (docs/state-format.md) with the token ids `tokens` of its text and,
    /// if given, the sampler's state. Deflate level 1.
    pub fn save_state_file(&self, seq: Option<SeqId>, path: impl AsRef<std::path::Path>, tokens: &[Token],
                           sampler: Option<&Sampler>) -> Result<()> {
        let cpath = c_path(path.as_ref())?;
        let mut p = MaybeUninit::<sys::llamac_state_params>::zeroed();
        let mut p = unsafe {
            sys::llamac_state_params_init(p.as_mut_ptr(), size_of::<sys::llamac_state_params>());
            p.assume_init()
        };
        p.tokens = tokens.as_ptr();
        p.n_tokens = i32::try_from(tokens.len()).map_err(|_| Error::new(Status::InvalidArg, "too many tokens"))?;
        p.sampler = sampler.map_or(ptr::null(), |s| s.raw() as *const _);
        let seq = seq.unwrap_or(sys::LLAMAC_STATE_ALL_SEQS);
        // SAFETY: all pointers live during the call; the sampler is only read.
        check(unsafe { sys::llamac_state_save_file(self.as_ptr(), seq, &p, cpath.as_ptr()) })
    }

    /// Restores a state file into sequence `seq` (`None`: the whole
    /// context) and, if given, the sampler; returns the saved token ids.
    /// A failed load leaves the context and the sampler as they were.
    pub fn load_state_file(&mut self, seq: Option<SeqId>, path: impl AsRef<std::path::Path>,
                           sampler: Option<&mut Sampler>) -> Result<Vec<Token>> {
        let cpath = c_path(path.as_ref())?;
        let seq = seq.unwrap_or(sys::LLAMAC_STATE_ALL_SEQS);
        let mut n = 0usize;
        // the token count first (reads only the file)
        check(unsafe { sys::llamac_state_file_tokens(cpath.as_ptr(), ptr::null_mut(), 0, &mut n) })
            .or_else(|e| if e.status() == Status::BufferTooSmall { Ok(()) } else { Err(e) })?;
        let mut tokens: Vec<Token> = vec![0; n];
        let sp = sampler.map_or(ptr::null_mut(), |s| s.raw());
        check(unsafe {
            sys::llamac_state_load_file(self.as_ptr(), seq, cpath.as_ptr(), sp, tokens.as_mut_ptr(), tokens.len(), &mut n)
        })?;
        tokens.truncate(n);
        Ok(tokens)
    }
}

/// Input of [`ContextOf::decode`]: tokens with positions, sequences and
/// whether each wants logits.
pub struct Batch {
    raw: sys::llamac_batch,
    _not_sync: PhantomData<*mut u8>,
}

// SAFETY: the batch owns its arrays; nothing refers to a thread.
unsafe impl Send for Batch {}

impl Batch {
    /// Room for `n_tokens_max` tokens, each in up to `n_seq_max` sequences.
    pub fn new(n_tokens_max: i32, n_seq_max: i32) -> Result<Batch> {
        let mut raw = MaybeUninit::<sys::llamac_batch>::zeroed();
        // SAFETY: init fills *raw (or leaves it empty on failure).
        check(unsafe { sys::llamac_batch_init(raw.as_mut_ptr(), n_tokens_max, n_seq_max, ptr::null()) })?;
        Ok(Batch { raw: unsafe { raw.assume_init() }, _not_sync: PhantomData })
    }

    /// Appends a token at `pos` belonging to `seq_ids`.
    pub fn add(&mut self, token: Token, pos: Pos, seq_ids: &[SeqId], logits: bool) -> Result<()> {
        let n = i32::try_from(seq_ids.len()).map_err(|_| Error::new(Status::InvalidArg, "too many sequence ids"))?;
        check(unsafe { sys::llamac_batch_add(&mut self.raw, token, pos, seq_ids.as_ptr(), n, logits) })
    }

    /// Tokens in the batch.
    pub fn len(&self) -> usize {
        self.raw.n_tokens.max(0) as usize
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Empties the batch (keeps its memory).
    pub fn clear(&mut self) {
        self.raw.n_tokens = 0;
    }
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch").field("len", &self.len()).finish()
    }
}

impl Drop for Batch {
    fn drop(&mut self) {
        unsafe { sys::llamac_batch_free(&mut self.raw) }
    }
}
