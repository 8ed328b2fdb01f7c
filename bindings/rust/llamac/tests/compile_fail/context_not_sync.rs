// E0277: a Context cannot be shared between threads (it is not Sync).
fn need_sync<T: Sync>(_: &T) {}
pub fn f(model: &llamac::Model) {
    let ctx = model.new_context(&llamac::ContextParams::new()).unwrap();
    need_sync(&ctx);
}
