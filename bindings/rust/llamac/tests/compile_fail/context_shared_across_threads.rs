// E0277: sending &Context to another thread needs Context: Sync.
pub fn f(model: &llamac::Model) {
    let ctx = model.new_context(&llamac::ContextParams::new()).unwrap();
    std::thread::scope(|s| {
        s.spawn(|| ctx.n_ctx());
    });
}
