// E0499: the context is borrowed mutably by the generator meanwhile.
pub fn f(model: &llamac::Model) {
    let mut ctx = model.new_context(&llamac::ContextParams::new()).unwrap();
    let mut sampler = llamac::SamplerChain::greedy().unwrap();
    let mut gen = ctx.generator(&mut sampler, &llamac::GeneratorParams::new()).unwrap();
    ctx.kv_clear();
    let _ = gen.next();
}
