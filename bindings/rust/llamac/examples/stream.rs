//! Sampled streaming generation with `llamac run`'s default chain (top-k 40,
//! top-p 0.95, min-p 0.05, temperature 0.8, seeded draw):
//!
//!     cargo run --offline --release --example stream -- MODEL PROMPT [N [SEED [THREADS]]]
//!
//! prints each piece of text as it comes, then the generation speed on
//! stderr ("generation: T tokens in S s, R tokens/s"), measured like
//! `llamac run`'s: from the first sampled token to the stop, prompt excluded.
use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use llamac::{ContextParams, GeneratorParams, Model, SamplerChain};

fn run(args: &[String]) -> Result<(), llamac::Error> {
    let n: i32 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(64);
    let seed: u64 = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(42);
    let threads: i32 = args.get(5).and_then(|s| s.parse().ok()).unwrap_or(0);
    let model = Model::load(&args[1])?;
    let n_train = model.n_ctx_train();
    let n_ctx = if n_train > 0 && n_train < 4096 { n_train as u32 } else { 4096 };
    let mut cp = ContextParams::new().n_ctx(n_ctx);
    if threads > 0 {
        cp = cp.n_threads(threads);
    }
    let mut ctx = model.new_context(&cp)?;
    let mut sampler = SamplerChain::sampled(0.8, 40, 0.95, 0.05, seed)?;
    let tokens = model.tokenize(&args[2], true, true)?;
    let mut gen = ctx.generator(&mut sampler, &GeneratorParams::new().n_predict(n))?;
    gen.prompt(&tokens)?;
    let mut out = std::io::stdout().lock();
    let t0 = Instant::now();
    let mut stop = None;
    for step in &mut gen {
        let step = step?;
        let _ = out.write_all(&step.bytes);
        let _ = out.flush();
        stop = step.stop;
    }
    let secs = t0.elapsed().as_secs_f64();
    let n_gen = gen.n_generated();
    let _ = out.write_all(b"\n");
    eprintln!(
        "generation: {n_gen} tokens in {secs:.3} s, {:.2} tokens/s (stopped: {stop:?})",
        n_gen as f64 / secs
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: stream MODEL PROMPT [N [SEED [THREADS]]]");
        return ExitCode::from(2);
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("stream: {e}");
            ExitCode::FAILURE
        }
    }
}
