// Compiles: the control case. An OwnedContext stored next to its model in
// a struct and sent to another thread; a Model shared by threads.
use std::sync::Arc;
pub struct Npc {
    pub model: Arc<llamac::Model>,
    pub ctx: llamac::OwnedContext,
}
pub fn f() -> Npc {
    let model = Arc::new(llamac::Model::load("m.gguf").unwrap());
    let ctx = llamac::OwnedContext::new(Arc::clone(&model), &llamac::ContextParams::new()).unwrap();
    let npc = Npc { model, ctx };
    std::thread::spawn(move || npc).join().unwrap()
}
pub fn g(model: &llamac::Model) {
    std::thread::scope(|s| {
        s.spawn(|| model.new_context(&llamac::ContextParams::new()).map(|c| c.n_ctx()));
    });
}
