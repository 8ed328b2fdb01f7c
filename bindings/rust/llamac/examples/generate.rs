//! Greedy generation, like `llamac run --temp 0 -n N -p PROMPT`:
//!
//!     cargo run --offline --example generate -- MODEL PROMPT N
//!
//! prints exactly the continuation text (no prompt) and a newline on
//! stdout, as `llamac run` does, so the two outputs can be compared byte
//! for byte (it writes each step's exact bytes: a stray byte a model
//! emits is not replaced by U+FFFD). Errors go to stderr.
use std::io::Write;
use std::process::ExitCode;

use llamac::{ContextParams, GeneratorParams, Model, SamplerChain};

fn run(path: &str, prompt: &str, n: i32) -> Result<(), llamac::Error> {
    let model = Model::load(path)?;
    // the context size llamac run uses: the training context up to 4096
    let n_train = model.n_ctx_train();
    let n_ctx = if n_train > 0 && n_train < 4096 { n_train as u32 } else { 4096 };
    let mut ctx = model.new_context(&ContextParams::new().n_ctx(n_ctx))?;
    let mut sampler = SamplerChain::greedy()?;
    let tokens = model.tokenize(prompt, true, true)?;
    let mut gen = ctx.generator(&mut sampler, &GeneratorParams::new().n_predict(n))?;
    gen.prompt(&tokens)?;
    let mut out = std::io::stdout().lock();
    for step in gen {
        let _ = out.write_all(&step?.bytes);
    }
    let _ = out.write_all(b"\n");
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        eprintln!("usage: generate MODEL PROMPT N");
        return ExitCode::from(2);
    }
    let Ok(n) = args[3].parse::<i32>() else {
        eprintln!("generate: N must be an integer, not {:?}", args[3]);
        return ExitCode::from(2);
    };
    match run(&args[1], &args[2], n) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("generate: {e}");
            ExitCode::FAILURE
        }
    }
}
