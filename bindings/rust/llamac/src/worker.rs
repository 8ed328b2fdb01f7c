//! Worker mode for games (llamac.h section 14): generation on a thread the
//! library owns; the game thread submits text, cancels and polls events,
//! and none of these calls waits for a decode.

use std::ffi::c_char;
use std::marker::PhantomData;
use std::mem::{size_of, MaybeUninit};
use std::path::Path;
use std::ptr::{self, NonNull};

use llamac_sys as sys;

use crate::error::{bytes_lossy, check, Error, Result, Status};
use crate::generator::StopReason;
use crate::model::{c_path, Model};
use crate::Token;

/// Options of a worker; unset fields keep the library's defaults
/// (`llamac_worker_params_init`: 1 slot, 256 cells per slot, 1 thread,
/// 128 tokens per response, greedy, 4 ms slices back to back).
#[derive(Debug, Clone, Default)]
pub struct WorkerParams {
    repack: Option<bool>,
    n_slots: Option<i32>,
    n_ctx: Option<u32>,
    n_threads: Option<i32>,
    n_predict: Option<i32>,
    stop_at_eog: Option<bool>,
    temp: Option<f32>,
    seed: Option<u64>,
    budget_us: Option<i64>,
    period_us: Option<i64>,
}

macro_rules! setter {
    ($(#[$doc:meta])* $name:ident: $t:ty) => {
        $(#[$doc])*
        pub fn $name(mut self, v: $t) -> Self {
            self.$name = Some(v);
            self
        }
    };
}

impl WorkerParams {
    pub fn new() -> WorkerParams {
        WorkerParams::default()
    }
    setter!(/// Repack weights when the worker loads the model itself.
            repack: bool);
    setter!(/// NPCs: sequences of the shared context, 1..64.
            n_slots: i32);
    setter!(/// Context cells shared by the slots (0: 256 per slot).
            n_ctx: u32);
    setter!(/// The context's threads, the worker's own included.
            n_threads: i32);
    setter!(/// Most tokens per response (-1: no limit).
            n_predict: i32);
    setter!(stop_at_eog: bool);
    setter!(/// <= 0: greedy; else temperature and a seeded draw.
            temp: f32);
    setter!(/// Slot i draws with seed + i.
            seed: u64);
    setter!(/// Work per slice, microseconds.
            budget_us: i64);
    setter!(/// > 0: at most one slice per period (a CPU budget).
            period_us: i64);

    fn raw(&self) -> sys::llamac_worker_params {
        let mut p = MaybeUninit::<sys::llamac_worker_params>::zeroed();
        let mut p = unsafe {
            sys::llamac_worker_params_init(p.as_mut_ptr(), size_of::<sys::llamac_worker_params>());
            p.assume_init()
        };
        macro_rules! set {
            ($($f:ident),*) => { $(if let Some(v) = self.$f { p.$f = v; })* };
        }
        set!(repack, n_slots, n_ctx, n_threads, n_predict, stop_at_eog, temp, seed, budget_us, period_us);
        p
    }
}

/// Where a worker is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerState {
    Loading,
    Ready,
    Failed,
}

/// One event of a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The model is loaded.
    Loaded,
    /// A token of a response and its text (may be empty).
    Text { slot: i32, request: u64, token: Option<Token>, text: String },
    /// A response ended.
    Done { slot: i32, request: u64, stop: Option<StopReason> },
    /// A request failed (or the load, with slot -1).
    Error { slot: i32, request: u64, error: Error },
}

/// A worker thread generating for up to 64 slots (NPCs). `Send + Sync`:
/// [`submit`](Self::submit), [`cancel`](Self::cancel) and
/// [`state`](Self::state) may be called from any thread; [`poll`](Self::poll)
/// takes `&mut self`. Dropping it stops the work in progress, joins the
/// thread and frees everything. `'m` is the lifetime of a borrowed model
/// (`'static` when the worker loads the model itself).
pub struct Worker<'m> {
    ptr: NonNull<sys::llamac_worker>,
    _model: PhantomData<&'m Model>,
}

// SAFETY: submit, cancel and get_state are thread-safe (llamac.h section
// 14); poll and free need one thread at a time, which &mut self and
// ownership give.
unsafe impl Send for Worker<'_> {}
unsafe impl Sync for Worker<'_> {}

impl std::fmt::Debug for Worker<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Worker").field("state", &self.state()).finish()
    }
}

impl Drop for Worker<'_> {
    fn drop(&mut self) {
        unsafe { sys::llamac_worker_free(self.ptr.as_ptr()) }
    }
}

fn start(p: &sys::llamac_worker_params) -> Result<NonNull<sys::llamac_worker>> {
    let mut out = ptr::null_mut();
    check(unsafe { sys::llamac_worker_new(p, &mut out) })?;
    NonNull::new(out).ok_or_else(|| Error::new(Status::Internal, "llamac_worker_new gave NULL"))
}

impl Worker<'static> {
    /// Starts a worker that loads the model at `path` on its own thread
    /// (a load failure arrives as an [`Event::Error`] with slot -1).
    pub fn load(path: impl AsRef<Path>, params: &WorkerParams) -> Result<Worker<'static>> {
        let cpath = c_path(path.as_ref())?;
        let mut p = params.raw();
        p.model_path = cpath.as_ptr(); // copied by the library
        Ok(Worker { ptr: start(&p)?, _model: PhantomData })
    }
}

impl<'m> Worker<'m> {
    /// Starts a worker on an already loaded model, which it borrows.
    pub fn with_model(model: &'m Model, params: &WorkerParams) -> Result<Worker<'m>> {
        let mut p = params.raw();
        p.model = model.as_ptr();
        Ok(Worker { ptr: start(&p)?, _model: PhantomData })
    }

    pub fn state(&self) -> WorkerState {
        match unsafe { sys::llamac_worker_get_state(self.ptr.as_ptr()) } {
            sys::LLAMAC_WORKER_LOADING => WorkerState::Loading,
            sys::LLAMAC_WORKER_READY => WorkerState::Ready,
            _ => WorkerState::Failed,
        }
    }

    /// Queues `text` for `slot`'s next response; returns the request id its
    /// events carry.
    pub fn submit(&self, slot: i32, text: &str) -> Result<u64> {
        let mut id = 0u64;
        check(unsafe {
            sys::llamac_worker_submit(self.ptr.as_ptr(), slot, text.as_ptr() as *const c_char, text.len(), &mut id)
        })?;
        Ok(id)
    }

    /// Ends `slot`'s response and drops its queued requests (each gets a
    /// `Done` event with `StopReason::Cancelled`).
    pub fn cancel(&self, slot: i32) -> Result<()> {
        check(unsafe { sys::llamac_worker_cancel(self.ptr.as_ptr(), slot) })
    }

    /// The oldest event, or `None` when the queue is empty. Never waits.
    pub fn poll(&mut self) -> Result<Option<Event>> {
        let mut e = MaybeUninit::<sys::llamac_worker_event>::zeroed();
        check(unsafe { sys::llamac_worker_poll(self.ptr.as_ptr(), e.as_mut_ptr()) })?;
        let e = unsafe { e.assume_init() };
        // SAFETY: the text is valid until the next poll; copied here.
        let text = unsafe { bytes_lossy(e.text, e.text_len) };
        Ok(match e.kind {
            sys::LLAMAC_EVENT_NONE => None,
            sys::LLAMAC_EVENT_LOADED => Some(Event::Loaded),
            sys::LLAMAC_EVENT_TEXT => Some(Event::Text {
                slot: e.slot,
                request: e.request,
                token: (e.token != sys::LLAMAC_TOKEN_NULL).then_some(e.token),
                text,
            }),
            sys::LLAMAC_EVENT_DONE => {
                Some(Event::Done { slot: e.slot, request: e.request, stop: StopReason::from_raw(e.stop) })
            }
            _ => Some(Event::Error {
                slot: e.slot,
                request: e.request,
                error: Error::new(Status::from_raw(e.status).unwrap_or(Status::Internal), text),
            }),
        })
    }
}
