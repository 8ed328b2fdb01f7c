//! Samplers, sampler chains and the grammar sampler.

use std::ffi::c_char;
use std::mem::{size_of, MaybeUninit};
use std::ptr::{self, NonNull};

use llamac_sys as sys;

use crate::error::{c_string, check, cstr_lossy, Error, Result, Status};
use crate::model::Model;
use crate::Token;

/// A sampler (or chain). Used by one thread at a time: `Send`, not `Sync`.
pub struct Sampler {
    ptr: NonNull<sys::llamac_sampler>,
}

// SAFETY: a sampler has no thread affinity; &mut serializes its use.
unsafe impl Send for Sampler {}

impl Drop for Sampler {
    fn drop(&mut self) {
        unsafe { sys::llamac_sampler_free(self.ptr.as_ptr()) }
    }
}

impl std::fmt::Debug for Sampler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sampler").field("name", &self.name()).finish()
    }
}

fn made(p: *mut sys::llamac_sampler) -> Result<Sampler> {
    match NonNull::new(p) {
        Some(ptr) => Ok(Sampler { ptr }),
        None => Err(Error::last_null(Status::InvalidArg)),
    }
}

impl Sampler {
    /// Picks the most likely token.
    pub fn greedy() -> Result<Sampler> {
        made(unsafe { sys::llamac_sampler_init_greedy(ptr::null()) })
    }
    /// Draws a token from the distribution (seeded).
    pub fn dist(seed: u64) -> Result<Sampler> {
        made(unsafe { sys::llamac_sampler_init_dist(seed, ptr::null()) })
    }
    pub fn temp(t: f32) -> Result<Sampler> {
        made(unsafe { sys::llamac_sampler_init_temp(t, ptr::null()) })
    }
    pub fn top_k(k: i32) -> Result<Sampler> {
        made(unsafe { sys::llamac_sampler_init_top_k(k, ptr::null()) })
    }
    pub fn top_p(p: f32, min_keep: usize) -> Result<Sampler> {
        made(unsafe { sys::llamac_sampler_init_top_p(p, min_keep, ptr::null()) })
    }
    pub fn min_p(p: f32, min_keep: usize) -> Result<Sampler> {
        made(unsafe { sys::llamac_sampler_init_min_p(p, min_keep, ptr::null()) })
    }
    pub fn typical(p: f32, min_keep: usize) -> Result<Sampler> {
        made(unsafe { sys::llamac_sampler_init_typical(p, min_keep, ptr::null()) })
    }
    pub fn penalties(last_n: i32, repeat: f32, freq: f32, present: f32) -> Result<Sampler> {
        made(unsafe { sys::llamac_sampler_init_penalties(last_n, repeat, freq, present, ptr::null()) })
    }
    pub fn mirostat_v2(seed: u64, tau: f32, eta: f32) -> Result<Sampler> {
        made(unsafe { sys::llamac_sampler_init_mirostat_v2(seed, tau, eta, ptr::null()) })
    }
    /// Adds `bias` to the logits of the given tokens.
    pub fn logit_bias(n_vocab: i32, biases: &[(Token, f32)]) -> Result<Sampler> {
        let raw: Vec<sys::llamac_logit_bias> =
            biases.iter().map(|&(token, bias)| sys::llamac_logit_bias { token, bias }).collect();
        let n = i32::try_from(raw.len()).map_err(|_| Error::new(Status::InvalidArg, "too many biases"))?;
        made(unsafe { sys::llamac_sampler_init_logit_bias(n_vocab, n, raw.as_ptr(), ptr::null()) })
    }
    /// The grammar sampler (GBNF, docs/grammar.md) over `model`'s
    /// vocabulary, from rule `root` (`None`: "root"). It copies what it needs
    /// of the vocabulary, so it does not borrow the model. Put it first in a
    /// chain. A grammar error carries the grammar's status and message.
    pub fn grammar(model: &Model, grammar: &str, root: Option<&str>) -> Result<Sampler> {
        let root = root.map(|r| c_string(r, "root")).transpose()?;
        let vocab = unsafe { sys::llamac_model_vocab(model.as_ptr()) };
        // Grammar errors have statuses of their own (llamac_grammar_check
        // gives them); the constructor returns only NULL, so ask it first.
        let mut line = 0i32;
        let mut col = 0i32;
        let rp = root.as_ref().map_or(ptr::null(), |r| r.as_ptr());
        check(unsafe {
            sys::llamac_grammar_check(grammar.as_ptr() as *const c_char, grammar.len(), rp, &mut line, &mut col)
        })?;
        made(unsafe {
            sys::llamac_sampler_init_grammar(vocab, grammar.as_ptr() as *const c_char, grammar.len(), rp, ptr::null())
        })
    }

    pub(crate) fn raw(&self) -> *mut sys::llamac_sampler {
        self.ptr.as_ptr()
    }

    /// The raw handle, for calls through `llamac-sys`. Valid while `self` is.
    pub fn as_ptr(&mut self) -> *mut sys::llamac_sampler {
        self.ptr.as_ptr()
    }

    /// The sampler's name ("greedy", "chain", ...).
    pub fn name(&self) -> String {
        unsafe { cstr_lossy(sys::llamac_sampler_name(self.ptr.as_ptr())) }
    }
    /// Picks a token from `logits` (n_vocab values) and accepts it.
    pub fn sample(&mut self, logits: &[f32]) -> Result<Token> {
        let n = i32::try_from(logits.len()).map_err(|_| Error::new(Status::InvalidArg, "too many logits"))?;
        let mut out = 0;
        check(unsafe { sys::llamac_sampler_sample(self.ptr.as_ptr(), logits.as_ptr(), n, &mut out) })?;
        Ok(out)
    }
    /// Tells the sampler `token` was chosen (penalties, grammar).
    pub fn accept(&mut self, token: Token) -> Result<()> {
        check(unsafe { sys::llamac_sampler_accept(self.ptr.as_ptr(), token) })
    }
    /// Back to the initial state.
    pub fn reset(&mut self) {
        unsafe { sys::llamac_sampler_reset(self.ptr.as_ptr()) }
    }
    /// A copy with the same state.
    pub fn try_clone(&self) -> Result<Sampler> {
        made(unsafe { sys::llamac_sampler_clone(self.ptr.as_ptr()) })
    }
    /// For a grammar sampler: whether the grammar allows `token` next.
    pub fn grammar_allows(&mut self, token: Token) -> Result<bool> {
        let mut ok = false;
        check(unsafe { sys::llamac_sampler_grammar_allows(self.ptr.as_ptr(), token, &mut ok) })?;
        Ok(ok)
    }
}

/// Builds a chain of samplers, applied in order; the last one must select
/// a token (greedy, dist, mirostat).
///
/// ```no_run
/// # fn main() -> Result<(), llamac::Error> {
/// use llamac::{Sampler, SamplerChain};
/// let chain: Sampler = SamplerChain::new()?
///     .add(Sampler::top_k(40)?)?
///     .add(Sampler::temp(0.8)?)?
///     .add(Sampler::dist(42)?)?
///     .build();
/// # Ok(()) }
/// ```
pub struct SamplerChain {
    chain: Sampler,
}

impl SamplerChain {
    pub fn new() -> Result<SamplerChain> {
        let mut p = MaybeUninit::<sys::llamac_sampler_chain_params>::zeroed();
        let p = unsafe {
            sys::llamac_sampler_chain_params_init(p.as_mut_ptr(), size_of::<sys::llamac_sampler_chain_params>());
            p.assume_init()
        };
        Ok(SamplerChain { chain: made(unsafe { sys::llamac_sampler_chain_new(&p) })? })
    }

    /// Appends a sampler (the chain takes it over, as
    /// `llamac_sampler_chain_add` does).
    #[allow(clippy::should_implement_trait)]
    pub fn add(self, sampler: Sampler) -> Result<SamplerChain> {
        let s = sampler.ptr.as_ptr();
        std::mem::forget(sampler);
        // SAFETY: chain_add owns s from here on, also when it fails (it
        // frees s then).
        check(unsafe { sys::llamac_sampler_chain_add(self.chain.ptr.as_ptr(), s) })?;
        Ok(self)
    }

    /// Members so far.
    pub fn len(&self) -> usize {
        unsafe { sys::llamac_sampler_chain_n(self.chain.ptr.as_ptr()) }.max(0) as usize
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The chain as a sampler.
    pub fn build(self) -> Sampler {
        self.chain
    }

    /// `llamac run`'s chain for `temp == 0`: greedy.
    pub fn greedy() -> Result<Sampler> {
        Ok(SamplerChain::new()?.add(Sampler::greedy()?)?.build())
    }

    /// `llamac run`'s chain for `temp > 0` (llama.cpp's default order):
    /// top-k, top-p, min-p, temperature, draw.
    pub fn sampled(temp: f32, top_k: i32, top_p: f32, min_p: f32, seed: u64) -> Result<Sampler> {
        Ok(SamplerChain::new()?
            .add(Sampler::top_k(top_k)?)?
            .add(Sampler::top_p(top_p, 1)?)?
            .add(Sampler::min_p(min_p, 1)?)?
            .add(Sampler::temp(temp)?)?
            .add(Sampler::dist(seed)?)?
            .build())
    }
}

/// Flags of [`json_schema_to_grammar`].
pub const JSON_SCHEMA_COMPACT_SPACES: u32 = sys::LLAMAC_JSON_SCHEMA_COMPACT_SPACES;
pub const JSON_SCHEMA_DOTALL: u32 = sys::LLAMAC_JSON_SCHEMA_DOTALL;

/// A GBNF grammar matching the JSON documents `schema` (JSON Schema text)
/// describes, as llama.cpp's json_schema_to_grammar writes it
/// (docs/json-schema.md); feed it to [`Sampler::grammar`].
pub fn json_schema_to_grammar(schema: &str, flags: u32) -> Result<String> {
    let sp = schema.as_ptr() as *const c_char;
    let mut need = 0usize;
    // SAFETY: schema[0..len) readable; a NULL buffer of size 0 asks the size.
    let st = unsafe {
        sys::llamac_json_schema_to_grammar(sp, schema.len(), flags, ptr::null(), ptr::null_mut(), 0, &mut need)
    };
    if st != sys::LLAMAC_OK && st != sys::LLAMAC_ERR_BUFFER_TOO_SMALL {
        return Err(Error::last(st));
    }
    let mut buf = vec![0u8; need];
    let mut n = 0usize;
    check(unsafe {
        sys::llamac_json_schema_to_grammar(sp, schema.len(), flags, ptr::null(), buf.as_mut_ptr() as *mut c_char,
                                           buf.len(), &mut n)
    })?;
    buf.truncate(n);
    Ok(String::from_utf8_lossy(&buf).into_owned())
}
