// E0597: `ctx` does not live long enough — a Generator borrows its Context.
pub fn f(model: &llamac::Model) {
    let gen;
    let mut sampler = llamac::SamplerChain::greedy().unwrap();
    {
        let mut ctx = model.new_context(&llamac::ContextParams::new()).unwrap();
        gen = ctx.generator(&mut sampler, &llamac::GeneratorParams::new()).unwrap();
    }
    drop(gen);
}
