//! Safe Rust bindings of llamac, a C library that runs Llama-family GGUF
//! models on the CPU. No dependencies; the raw API is [`sys`]
//! (`llamac-sys`). docs/rust.md in the repository has the whole story.
//!
//! ```no_run
//! use llamac::{ContextParams, GeneratorParams, Model, SamplerChain};
//!
//! fn main() -> Result<(), llamac::Error> {
//!     let model = Model::load("models/kjv-6m-f16.gguf")?;
//!     let mut ctx = model.new_context(&ContextParams::new().n_ctx(256))?;
//!     let mut sampler = SamplerChain::greedy()?;
//!     let prompt = model.tokenize("In the beginning", true, true)?;
//!     let mut gen = ctx.generator(&mut sampler, &GeneratorParams::new().n_predict(16))?;
//!     gen.prompt(&prompt)?;
//!     for step in gen {
//!         print!("{}", step?.text);
//!     }
//!     Ok(())
//! }
//! ```
//!
//! Ownership and threads, checked by the compiler:
//! - [`Model`] is `Send + Sync`: share it by reference or in an `Arc`.
//! - [`Context<'m>`](Context) borrows its model, so it cannot outlive it;
//!   [`OwnedContext`] holds an `Arc<Model>` instead, for storing the two
//!   together. Contexts are `Send`, not `Sync` (one thread at a time).
//! - A [`Generator`] borrows its context and sampler mutably.
//! - Every handle is freed on drop; library failures are [`Error`]s with
//!   the status and the library's message, never panics.
//!
//! A context cannot outlive its model:
//! ```compile_fail,E0597
//! let ctx;
//! {
//!     let model = llamac::Model::load("m.gguf").unwrap();
//!     ctx = model.new_context(&llamac::ContextParams::new()).unwrap();
//! }
//! drop(ctx);
//! ```
//! A context is not `Sync`:
//! ```compile_fail,E0277
//! fn need_sync<T: Sync>(_: &T) {}
//! let model = llamac::Model::load("m.gguf").unwrap();
//! let ctx = model.new_context(&llamac::ContextParams::new()).unwrap();
//! need_sync(&ctx);
//! ```
#![deny(unsafe_op_in_unsafe_fn)]

pub use llamac_sys as sys;

mod context;
mod error;
mod generator;
mod model;
mod sampler;
mod worker;

pub use context::{Batch, Context, ContextOf, ContextParams, Kernels, ModelRef, OwnedContext};
pub use error::{Error, Result, Status};
pub use generator::{BudgetStep, Generator, GeneratorParams, Step, StepKind, StopReason};
pub use model::{
    chat_builtin_names, chat_detect_template, ChatMessage, LogLevel, Model, ModelParams, TOKENIZE_ADD_SPECIAL,
    TOKENIZE_BOS_ONCE, TOKENIZE_PARSE_SPECIAL,
};
pub use sampler::{json_schema_to_grammar, Sampler, SamplerChain, JSON_SCHEMA_COMPACT_SPACES, JSON_SCHEMA_DOTALL};
pub use worker::{Event, Worker, WorkerParams, WorkerState};

/// A token id.
pub type Token = i32;
/// A position in a sequence.
pub type Pos = i32;
/// A sequence id of a context.
pub type SeqId = i32;

/// Version of the linked library ("0.3.0").
pub fn version() -> String {
    unsafe { error::cstr_lossy(sys::llamac_version()) }
}

/// Version of the header `llamac-sys` was generated from.
pub const HEADER_VERSION: &str = sys::LLAMAC_VERSION_STRING;
