// E0505: the model cannot be moved out (dropped) while a Context borrows it.
pub fn f() {
    let model = llamac::Model::load("m.gguf").unwrap();
    let ctx = model.new_context(&llamac::ContextParams::new()).unwrap();
    drop(model);
    drop(ctx);
}
