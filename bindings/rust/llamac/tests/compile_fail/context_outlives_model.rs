// E0597: `model` does not live long enough — a Context borrows its Model.
pub fn f() {
    let ctx;
    {
        let model = llamac::Model::load("m.gguf").unwrap();
        ctx = model.new_context(&llamac::ContextParams::new()).unwrap();
    }
    drop(ctx);
}
