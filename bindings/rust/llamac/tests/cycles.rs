// Its own test binary (process), so that no other test moves the resident
// memory it measures.
mod common;

use llamac::{ContextParams, GeneratorParams, Model, ModelParams, Sampler, SamplerChain};

// Many create/free cycles of every handle: nothing leaks (resident memory
// stays put) and nothing crashes.
#[test]
fn drop_under_many_cycles() {
    fn rss_kb() -> u64 {
        let s = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
        s.split_whitespace().nth(1).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) * 4
    }
    let cycle = || {
        let model = Model::load_with(common::kjv(), ModelParams::new().repack(false).use_mmap(false)).unwrap();
        let mut ctx = model.new_context(&ContextParams::new().n_ctx(64).n_threads(1)).unwrap();
        let mut s = SamplerChain::sampled(0.8, 40, 0.95, 0.05, 1).unwrap();
        let toks = model.tokenize("And God said", true, true).unwrap();
        let mut gen = ctx.generator(&mut s, &GeneratorParams::new().n_predict(2).stop_string("x")).unwrap();
        gen.prompt(&toks).unwrap();
        let n = gen.count();
        assert!(n >= 1);
        let _b = llamac::Batch::new(8, 2).unwrap();
        let _c = Sampler::grammar(&model, "root ::= [a-z]+", None).unwrap().try_clone().unwrap();
    };
    for _ in 0..5 {
        cycle();
    }
    let before = rss_kb();
    for _ in 0..60 {
        cycle();
    }
    let after = rss_kb();
    // the model alone is ~12 MB read into memory each cycle
    assert!(after < before + 8 * 1024, "resident memory grew from {before} kB to {after} kB");
}

