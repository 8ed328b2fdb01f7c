//! The generator: prompt in, text pieces out, as an iterator.

use std::ffi::CString;
use std::marker::PhantomData;
use std::mem::{size_of, MaybeUninit};
use std::ptr::{self, NonNull};

use llamac_sys as sys;

use crate::context::{ContextOf, ModelRef};
use crate::error::{c_string, check, Error, Result, Status};
use crate::sampler::Sampler;
use crate::{SeqId, Token};

/// Why a response stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StopReason {
    /// The sampled token ends generation (its text is not printed).
    Eog,
    /// `n_predict` tokens were generated.
    MaxTokens,
    /// The text reached a stop string (not printed).
    StopString,
    /// No cell left in the context for the next token.
    ContextFull,
    /// The response was cancelled.
    Cancelled,
    /// A reason this crate does not know (a newer library).
    Other(i32),
}

impl StopReason {
    pub(crate) fn from_raw(r: sys::llamac_stop_reason) -> Option<StopReason> {
        Some(match r {
            sys::LLAMAC_STOP_NONE => return None,
            sys::LLAMAC_STOP_EOG => StopReason::Eog,
            sys::LLAMAC_STOP_MAX_TOKENS => StopReason::MaxTokens,
            sys::LLAMAC_STOP_STRING => StopReason::StopString,
            sys::LLAMAC_STOP_CONTEXT_FULL => StopReason::ContextFull,
            sys::LLAMAC_STOP_CANCELLED => StopReason::Cancelled,
            other => StopReason::Other(other),
        })
    }
}

/// One step of a generator: the token sampled and the text ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The sampled token; `None` when none was (context full, stopped).
    pub token: Option<Token>,
    /// Whole UTF-8 characters (possibly none: bytes of an unfinished
    /// character or of a possible stop string are held back). A byte the
    /// model produced that begins no valid character (tokens are bytes,
    /// and a weak model can emit a stray lead byte) becomes U+FFFD here;
    /// `bytes` has it as it is.
    pub text: String,
    /// The exact bytes the library gave (`text` before the UTF-8 check):
    /// write these to reproduce `llamac run`'s output byte for byte.
    pub bytes: Vec<u8>,
    /// `Some` on the last step of a response.
    pub stop: Option<StopReason>,
}

fn raw_bytes(p: *const std::ffi::c_char, len: usize) -> Vec<u8> {
    if p.is_null() || len == 0 {
        return Vec::new();
    }
    // SAFETY: the library's text[0..len), valid until its next call.
    unsafe { std::slice::from_raw_parts(p as *const u8, len) }.to_vec()
}

/// Options of a generator; unset fields keep the library's defaults
/// (`llamac_generator_params_init`).
#[derive(Debug, Clone, Default)]
pub struct GeneratorParams {
    n_predict: Option<i32>,
    stop_strings: Vec<String>,
    stop_at_eog: Option<bool>,
    unparse_special: Option<bool>,
    seq_id: Option<SeqId>,
    n_keep: Option<i32>,
}

impl GeneratorParams {
    pub fn new() -> GeneratorParams {
        GeneratorParams::default()
    }
    /// Most tokens per response (-1, the default: no limit).
    pub fn n_predict(mut self, n: i32) -> Self {
        self.n_predict = Some(n);
        self
    }
    /// Stops the response where its text reaches `s` (not printed).
    pub fn stop_string(mut self, s: impl Into<String>) -> Self {
        self.stop_strings.push(s.into());
        self
    }
    /// Stop at end-of-generation tokens (default true).
    pub fn stop_at_eog(mut self, on: bool) -> Self {
        self.stop_at_eog = Some(on);
        self
    }
    /// Print control tokens as text (default false).
    pub fn unparse_special(mut self, on: bool) -> Self {
        self.unparse_special = Some(on);
        self
    }
    /// The context sequence to extend (default 0).
    pub fn seq_id(mut self, seq: SeqId) -> Self {
        self.seq_id = Some(seq);
        self
    }
    /// Context shift: keep the first `n` tokens and drop half of the rest
    /// when the context is full (default -1: off).
    pub fn n_keep(mut self, n: i32) -> Self {
        self.n_keep = Some(n);
        self
    }
}

/// Generates text on a context with a sampler, both borrowed mutably for
/// the generator's life (the borrow checker keeps them alive and unused
/// elsewhere meanwhile). As an iterator it yields one [`Step`] per token
/// up to and including the step that carries the stop reason, then `None`;
/// an error is yielded once, then the iterator ends (the generator stays
/// usable: give it a new prompt).
pub struct Generator<'a> {
    ptr: NonNull<sys::llamac_generator>,
    done: bool,
    _borrows: PhantomData<(&'a mut sys::llamac_context, &'a mut Sampler)>,
}

impl std::fmt::Debug for Generator<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Generator").field("n_generated", &self.n_generated()).finish()
    }
}

impl Drop for Generator<'_> {
    fn drop(&mut self) {
        unsafe { sys::llamac_generator_free(self.ptr.as_ptr()) }
    }
}

impl<M: ModelRef> ContextOf<M> {
    /// A generator on this context sampling with `sampler` (a chain that
    /// ends in a selecting sampler).
    pub fn generator<'a>(&'a mut self, sampler: &'a mut Sampler, params: &GeneratorParams) -> Result<Generator<'a>> {
        let stops: Vec<CString> =
            params.stop_strings.iter().map(|s| c_string(s, "stop string")).collect::<Result<_>>()?;
        let stop_ptrs: Vec<*const std::ffi::c_char> = stops.iter().map(|s| s.as_ptr()).collect();
        let mut p = MaybeUninit::<sys::llamac_generator_params>::zeroed();
        // SAFETY: init writes every field of a struct of this size.
        let mut p = unsafe {
            sys::llamac_generator_params_init(p.as_mut_ptr(), size_of::<sys::llamac_generator_params>());
            p.assume_init()
        };
        if let Some(v) = params.n_predict {
            p.n_predict = v;
        }
        if !stop_ptrs.is_empty() {
            p.stop_strings = stop_ptrs.as_ptr();
            p.n_stop = i32::try_from(stop_ptrs.len())
                .map_err(|_| Error::new(Status::InvalidArg, "too many stop strings"))?;
        }
        if let Some(v) = params.stop_at_eog {
            p.stop_at_eog = v;
        }
        if let Some(v) = params.unparse_special {
            p.unparse_special = v;
        }
        if let Some(v) = params.seq_id {
            p.seq_id = v;
        }
        if let Some(v) = params.n_keep {
            p.n_keep = v;
        }
        let mut out = ptr::null_mut();
        // SAFETY: context and sampler outlive the generator ('a); the stop
        // strings are copied at creation.
        check(unsafe { sys::llamac_generator_new(self.as_ptr(), sampler.as_ptr(), &p, &mut out) })?;
        let ptr = NonNull::new(out).ok_or_else(|| Error::new(Status::Internal, "llamac_generator_new gave NULL"))?;
        Ok(Generator { ptr, done: true, _borrows: PhantomData })
    }
}

fn n_tokens(tokens: &[Token]) -> Result<i32> {
    i32::try_from(tokens.len()).map_err(|_| Error::new(Status::InvalidArg, "more than i32::MAX tokens"))
}

impl Generator<'_> {
    /// Decodes prompt tokens (all or nothing) and starts a new response.
    pub fn prompt(&mut self, tokens: &[Token]) -> Result<()> {
        check(unsafe { sys::llamac_generator_prompt(self.ptr.as_ptr(), tokens.as_ptr(), n_tokens(tokens)?) })?;
        self.done = false;
        Ok(())
    }

    /// Continues a sequence already in the cache (e.g. restored from a
    /// state) that holds `tokens` (or all but the last).
    pub fn resume(&mut self, tokens: &[Token]) -> Result<()> {
        check(unsafe { sys::llamac_generator_resume(self.ptr.as_ptr(), tokens.as_ptr(), n_tokens(tokens)?) })?;
        self.done = false;
        Ok(())
    }

    /// One token: `llamac_generator_next`. After a stop it keeps returning
    /// that stop with no token and no text, until the next prompt.
    pub fn next_step(&mut self) -> Result<Step> {
        let mut s = MaybeUninit::<sys::llamac_generation_step>::zeroed();
        check(unsafe { sys::llamac_generator_next(self.ptr.as_ptr(), s.as_mut_ptr()) })?;
        // SAFETY: filled on success; the text is valid until the next call.
        let s = unsafe { s.assume_init() };
        let bytes = raw_bytes(s.text, s.text_len);
        Ok(Step {
            token: (s.token != sys::LLAMAC_TOKEN_NULL).then_some(s.token),
            text: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
            stop: StopReason::from_raw(s.stop),
        })
    }

    /// Tokens sampled since the last prompt.
    pub fn n_generated(&self) -> i32 {
        unsafe { sys::llamac_generator_n_generated(self.ptr.as_ptr()) }
    }

    /// Runs the response to its end: its whole text and why it stopped
    /// (invalid UTF-8 the model produced becomes U+FFFD, as in [`Step::text`]).
    pub fn text(&mut self) -> Result<(String, StopReason)> {
        let (b, stop) = self.bytes()?;
        Ok((String::from_utf8_lossy(&b).into_owned(), stop))
    }

    /// Runs the response to its end: its exact bytes and why it stopped.
    pub fn bytes(&mut self) -> Result<(Vec<u8>, StopReason)> {
        let mut out = Vec::new();
        loop {
            let s = self.next_step()?;
            out.extend_from_slice(&s.bytes);
            if let Some(stop) = s.stop {
                self.done = true;
                return Ok((out, stop));
            }
        }
    }

    /// Budgeted generation (llamac.h section 14), step 1: queues a prompt;
    /// nothing is decoded until [`step`](Self::step).
    pub fn submit(&mut self, tokens: &[Token]) -> Result<()> {
        check(unsafe { sys::llamac_generator_submit(self.ptr.as_ptr(), tokens.as_ptr(), n_tokens(tokens)?) })?;
        self.done = false;
        Ok(())
    }

    /// Budgeted generation, step 2: works about `budget_us` microseconds
    /// (at least one unit: a layer, a chunk of output rows) and reports.
    pub fn step(&mut self, budget_us: i64) -> Result<BudgetStep> {
        let mut s = MaybeUninit::<sys::llamac_step>::zeroed();
        check(unsafe { sys::llamac_generator_step(self.ptr.as_ptr(), budget_us, s.as_mut_ptr()) })?;
        let s = unsafe { s.assume_init() };
        let kind = match s.kind {
            sys::LLAMAC_STEP_BUSY => StepKind::Busy,
            sys::LLAMAC_STEP_TOKEN => StepKind::Token,
            _ => StepKind::Done,
        };
        let bytes = raw_bytes(s.text, s.text_len);
        Ok(BudgetStep {
            kind,
            token: (s.token != sys::LLAMAC_TOKEN_NULL).then_some(s.token),
            text: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
            stop: StopReason::from_raw(s.stop),
            used_us: s.used_us,
        })
    }

    /// The predicted microseconds of the first unit of work `step(budget_us)`
    /// would run now (0: nothing to do, or nothing measured yet): a frame
    /// that steps several times steps again only while this fits in what
    /// is left of its budget (`llamac_generators_next_us`).
    pub fn next_us(&self, budget_us: i64) -> Result<i64> {
        let gens = [self.ptr.as_ptr()];
        let mut us: i64 = 0;
        check(unsafe { sys::llamac_generators_next_us(gens.as_ptr(), 1, budget_us, &mut us) })?;
        Ok(us)
    }

    /// Ends the response at once (stop reason `Cancelled`).
    pub fn cancel(&mut self) -> Result<()> {
        check(unsafe { sys::llamac_generator_cancel(self.ptr.as_ptr()) })
    }
}

/// What one budgeted [`Generator::step`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// Work remains and no token came out.
    Busy,
    /// A token was sampled.
    Token,
    /// No response in progress (it stopped, or none was submitted).
    Done,
}

/// The result of [`Generator::step`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetStep {
    pub kind: StepKind,
    pub token: Option<Token>,
    /// As [`Step::text`].
    pub text: String,
    /// As [`Step::bytes`].
    pub bytes: Vec<u8>,
    pub stop: Option<StopReason>,
    /// Wall time the call spent.
    pub used_us: i64,
}

impl Iterator for Generator<'_> {
    type Item = Result<Step>;

    fn next(&mut self) -> Option<Result<Step>> {
        if self.done {
            return None;
        }
        match self.next_step() {
            Ok(step) => {
                if step.stop.is_some() {
                    self.done = true;
                }
                Some(Ok(step))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}
