// Integration tests of the safe API on the shipped model (and on the
// reference data in ../shared when it is there).
mod common;

use std::process::Command;
use std::sync::Arc;

use llamac::{
    ChatMessage, Context, ContextParams, Event, GeneratorParams, Model, ModelParams, OwnedContext, Sampler,
    SamplerChain, Status, StopReason, Worker, WorkerParams,
};

fn load() -> Model {
    Model::load_with(common::kjv(), ModelParams::new().repack(false)).expect("load the shipped model")
}

fn greedy_text(ctx: &mut Context<'_>, prompt: &str, n: i32) -> String {
    let tokens = ctx.model().tokenize(prompt, true, true).unwrap();
    let mut sampler = SamplerChain::greedy().unwrap();
    let mut gen = ctx.generator(&mut sampler, &GeneratorParams::new().n_predict(n)).unwrap();
    gen.prompt(&tokens).unwrap();
    let mut text = String::new();
    let mut steps = 0;
    for step in gen {
        let step = step.unwrap();
        text.push_str(&step.text);
        steps += 1;
        if step.stop.is_some() {
            assert!(matches!(step.stop, Some(StopReason::MaxTokens) | Some(StopReason::Eog)));
        }
    }
    assert!(steps >= 1 && steps <= n as usize);
    text
}

const PROMPTS: [&str; 3] = ["In the beginning", "And the LORD spake unto Moses, saying,", "Blessed are"];

// The generator's greedy text equals `llamac run --temp 0 -n 16`'s stdout
// (which ends with one newline after the text).
#[test]
fn greedy_generation_matches_the_cli() {
    let Some(cli) = common::cli() else { return };
    let model = load();
    let mut ctx = model.new_context(&ContextParams::new().n_ctx(256)).unwrap();
    for prompt in PROMPTS {
        let out = Command::new(&cli)
            .args(["run", "-m"])
            .arg(common::kjv())
            .args(["--temp", "0", "-n", "16", "-p", prompt])
            .output()
            .expect("run the llamac tool");
        assert!(out.status.success(), "llamac run failed: {}", String::from_utf8_lossy(&out.stderr));
        let expected = String::from_utf8(out.stdout).unwrap();
        ctx.kv_clear();
        let text = greedy_text(&mut ctx, prompt, 16);
        assert!(!text.is_empty());
        assert_eq!(format!("{text}\n"), expected, "prompt {prompt:?}");
    }
}

// The generate example prints what `llamac run --temp 0` prints, byte for
// byte: on the shipped model, and on the reference tiny-F32 model, whose
// greedy text for this prompt holds a stray 0xCD byte (not UTF-8).
#[test]
fn generate_example_matches_the_cli() {
    let Some(cli) = common::cli() else { return };
    // scripts/test_rust.sh builds the examples before the tests
    let exe = std::env::current_exe().unwrap();
    let ex = exe.parent().unwrap().parent().unwrap().join("examples/generate");
    if !ex.is_file() {
        panic!("{} not built (run `cargo build --offline --examples` first)", ex.display());
    }
    let mut cases = vec![(common::kjv(), "The LORD is my shepherd")];
    if let Some(tiny) = common::shared("models/tiny-F32.gguf") {
        cases.push((tiny, "The quick brown fox"));
    }
    for (model, prompt) in cases {
        let ours = Command::new(&ex).arg(&model).arg(prompt).arg("16").output().unwrap();
        assert!(ours.status.success(), "{}", String::from_utf8_lossy(&ours.stderr));
        let theirs =
            Command::new(&cli).args(["run", "-m"]).arg(&model).args(["--temp", "0", "-n", "16", "-p", prompt]).output().unwrap();
        assert!(ours.stdout.len() > 1);
        assert_eq!(ours.stdout, theirs.stdout, "{}: {prompt:?}", model.display());
    }
}

// Golden greedy tokens of the reference model (computed by llama.cpp).
#[test]
fn greedy_tokens_equal_the_golden_ones() {
    let (Some(model_path), Some(golden)) =
        (common::shared("models/tiny-F32.gguf"), common::shared("golden/tiny-F32.golden"))
    else {
        return;
    };
    let g = std::fs::read(golden).unwrap();
    assert_eq!(&g[0..4], b"LGLD");
    let u32_at = |o: usize| u32::from_le_bytes(g[o..o + 4].try_into().unwrap());
    let (n_prompt, n_gen) = (u32_at(12) as usize, u32_at(16) as usize);
    let ints = |o: usize, n: usize| -> Vec<i32> {
        (0..n).map(|i| i32::from_le_bytes(g[o + 4 * i..o + 4 * i + 4].try_into().unwrap())).collect()
    };
    let prompt = ints(20, n_prompt);
    let gen_ref = ints(20 + 4 * n_prompt, n_gen);
    let model = Model::load(model_path).unwrap();
    let text = "The quick brown fox jumps over the lazy dog. Once upon a time, in a small village";
    assert_eq!(model.tokenize(text, true, true).unwrap(), prompt);
    let mut ctx = model.new_context(&ContextParams::new().n_ctx(256)).unwrap();
    let mut sampler = SamplerChain::greedy().unwrap();
    let params = GeneratorParams::new().n_predict(n_gen as i32).stop_at_eog(false);
    let mut gen = ctx.generator(&mut sampler, &params).unwrap();
    gen.prompt(&prompt).unwrap();
    let tokens: Vec<i32> = gen.map(|s| s.unwrap().token.unwrap()).collect();
    assert_eq!(tokens, gen_ref);
}

#[test]
fn tokenizer_round_trip() {
    let model = load();
    let text = std::fs::read_to_string(common::repo().join("models/kjv-valid.txt")).unwrap();
    let mut n_lines = 0;
    for line in text.lines().filter(|l| !l.trim().is_empty()).take(200) {
        let toks = model.tokenize(line, true, false).unwrap();
        assert_eq!(toks[0], model.token_bos().unwrap());
        assert!(toks.iter().all(|&t| t >= 0 && t < model.n_tokens()));
        assert_eq!(model.detokenize(&toks, true, false).unwrap(), line);
        // the pieces concatenated give the text too (SPM: one leading space)
        let pieces: Vec<u8> = toks[1..].iter().flat_map(|&t| model.token_to_piece(t, false).unwrap()).collect();
        assert_eq!(String::from_utf8_lossy(&pieces).trim_start_matches(' '), line.trim_start_matches(' '));
        n_lines += 1;
    }
    assert!(n_lines >= 50, "{n_lines} lines");
    assert_eq!(model.tokenize("", false, false).unwrap(), Vec::<i32>::new());
}

#[test]
fn errors_carry_status_and_message() {
    let e = Model::load("/nonexistent/dir/model.gguf").unwrap_err();
    assert_eq!(e.status(), Status::Io);
    assert!(e.message().contains("/nonexistent/dir/model.gguf"), "{e}");
    assert!(e.to_string().starts_with("LLAMAC_ERR_IO: "), "{e}");

    let model = load();
    let e = model.detokenize(&[1, 999_999], false, false).unwrap_err();
    assert_eq!(e.status(), Status::NotFound);
    assert!(e.message().contains("999999"), "{e}");

    let e = Sampler::grammar(&model, "root ::= ( \"a\"", None).unwrap_err();
    assert_eq!(e.status(), Status::Format);
    assert!(e.message().contains("line 1"), "{e}");

    let e = model.apply_chat_template(Some("no-such-format"), &[ChatMessage::new("user", "hi")], true).unwrap_err();
    assert_eq!(e.status(), Status::Unsupported);
    assert!(e.message().contains("no-such-format"), "{e}");

    let mut ctx = model.new_context(&ContextParams::new().n_ctx(64)).unwrap();
    let mut s = SamplerChain::greedy().unwrap();
    let e = ctx.generator(&mut s, &GeneratorParams::new().seq_id(7)).unwrap_err();
    assert_eq!(e.status(), Status::InvalidArg);
    assert!(!e.message().is_empty());
    // a prompt longer than the context is refused before decoding
    let long = vec![model.token_bos().unwrap(); 100];
    let mut gen = ctx.generator(&mut s, &GeneratorParams::new()).unwrap();
    let e = gen.prompt(&long).unwrap_err();
    assert_eq!(e.status(), Status::ContextFull);
    assert!(e.message().contains("100"), "{e}");
    // a NUL inside a Rust string is refused on the Rust side
    let e = model.apply_chat_template(Some("chat\0ml"), &[], true).unwrap_err();
    assert_eq!(e.status(), Status::InvalidArg);
}

// The logits of a hand-made batch give the generator's first greedy token.
#[test]
fn decode_batch_and_logits() {
    let model = load();
    let mut ctx = model.new_context(&ContextParams::new().n_ctx(128)).unwrap();
    let tokens = model.tokenize("In the beginning", true, true).unwrap();
    let mut batch = llamac::Batch::new(tokens.len() as i32, 1).unwrap();
    for (i, &t) in tokens.iter().enumerate() {
        batch.add(t, i as i32, &[0], i + 1 == tokens.len()).unwrap();
    }
    assert_eq!(batch.len(), tokens.len());
    ctx.decode(&batch).unwrap();
    assert_eq!(ctx.n_outputs(), 1);
    assert_eq!(ctx.kv_seq_pos_max(0), Some(tokens.len() as i32 - 1));
    let logits = ctx.logits(-1).unwrap();
    assert_eq!(logits.len(), model.n_vocab() as usize);
    let argmax = logits.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0 as i32;
    let mut greedy = Sampler::greedy().unwrap();
    assert_eq!(greedy.sample(logits).unwrap(), argmax);
    assert!(ctx.logits(5).is_err());

    ctx.kv_clear();
    assert_eq!(ctx.kv_seq_pos_max(0), None);
    let mut s = SamplerChain::greedy().unwrap();
    let mut gen = ctx.generator(&mut s, &GeneratorParams::new().n_predict(1)).unwrap();
    gen.prompt(&tokens).unwrap();
    assert_eq!(gen.next().unwrap().unwrap().token, Some(argmax));
}

#[test]
fn chat_template_builtin() {
    let model = load();
    let names = llamac::chat_builtin_names();
    assert!(names.contains(&"chatml") && names.contains(&"llama3"), "{names:?}");
    let msgs = [ChatMessage::new("system", "Be brief."), ChatMessage::new("user", "Hi")];
    let text = model.apply_chat_template(Some("chatml"), &msgs, true).unwrap();
    assert_eq!(
        text,
        "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    );
    assert_eq!(llamac::chat_detect_template("{{ '<|im_start|>' }}"), Some("chatml"));
    assert_eq!(llamac::chat_detect_template("plain"), None);
}

// The grammar sampler keeps the output inside the grammar.
#[test]
fn grammar_sampler_constrains_output() {
    let model = load();
    let mut ctx = model.new_context(&ContextParams::new().n_ctx(128)).unwrap();
    let grammar = r#"root ::= ("yea" | "nay") "."  "#;
    let mut s = SamplerChain::new()
        .unwrap()
        .add(Sampler::grammar(&model, grammar, None).unwrap())
        .unwrap()
        .add(Sampler::top_k(20).unwrap())
        .unwrap()
        .add(Sampler::dist(7).unwrap())
        .unwrap()
        .build();
    let toks = model.tokenize("And he answered and said,", true, true).unwrap();
    for _ in 0..3 {
        let mut gen = ctx.generator(&mut s, &GeneratorParams::new().n_predict(12)).unwrap();
        ctx_prompt(&mut gen, &toks);
        let (text, stop) = gen.text().unwrap();
        assert!(text == "yea." || text == "nay.", "{text:?} ({stop:?})");
        assert_eq!(stop, StopReason::Eog);
        drop(gen);
        s.reset();
        ctx.kv_clear();
    }
}

fn ctx_prompt(gen: &mut llamac::Generator<'_>, toks: &[i32]) {
    gen.prompt(toks).unwrap();
}

// Stop strings end the text before them.
#[test]
fn stop_string_is_not_printed() {
    let model = load();
    let mut ctx = model.new_context(&ContextParams::new().n_ctx(128)).unwrap();
    let full = greedy_text(&mut ctx, "In the beginning", 16);
    let cut = full.find("LORD").expect("the greedy text names the LORD");
    ctx.kv_clear();
    let mut s = SamplerChain::greedy().unwrap();
    let mut gen = ctx.generator(&mut s, &GeneratorParams::new().n_predict(16).stop_string("LORD")).unwrap();
    gen.prompt(&model.tokenize("In the beginning", true, true).unwrap()).unwrap();
    let (text, stop) = gen.text().unwrap();
    assert_eq!(stop, StopReason::StopString);
    assert_eq!(text, &full[..cut]);
}

// A model shared by threads, each with its own context, and an owning
// context stored next to its model and moved to another thread.
#[test]
fn threads_share_a_model() {
    let model = Arc::new(load());
    let expected = {
        let mut ctx = model.new_context(&ContextParams::new().n_ctx(128)).unwrap();
        greedy_text(&mut ctx, "In the beginning", 12)
    };
    std::thread::scope(|sc| {
        for _ in 0..2 {
            let m: &Model = &model;
            let expected = &expected;
            sc.spawn(move || {
                let mut ctx = m.new_context(&ContextParams::new().n_ctx(128).n_threads(1)).unwrap();
                assert_eq!(&greedy_text(&mut ctx, "In the beginning", 12), expected);
            });
        }
    });
    struct Npc {
        ctx: OwnedContext,
    }
    let mut npc = Npc { ctx: OwnedContext::new(Arc::clone(&model), &ContextParams::new().n_ctx(128)).unwrap() };
    drop(model); // the context keeps the model alive
    let text = std::thread::spawn(move || {
        let toks = npc.ctx.model().tokenize("In the beginning", true, true).unwrap();
        let mut s = SamplerChain::greedy().unwrap();
        let mut gen = npc.ctx.generator(&mut s, &GeneratorParams::new().n_predict(12)).unwrap();
        gen.prompt(&toks).unwrap();
        gen.text().unwrap().0
    })
    .join()
    .unwrap();
    assert_eq!(text, expected);
}

// The worker on a borrowed model answers with the generator's greedy text.
#[test]
fn worker_answers_like_the_generator() {
    let model = load();
    let expected = {
        let mut ctx = model.new_context(&ContextParams::new().n_ctx(256)).unwrap();
        greedy_text(&mut ctx, "In the beginning", 10)
    };
    let mut w = Worker::with_model(&model, &WorkerParams::new().n_slots(2).n_predict(10)).unwrap();
    let id = w.submit(1, "In the beginning").unwrap();
    assert!(w.submit(5, "x").is_err());
    let mut text = String::new();
    let t0 = std::time::Instant::now();
    loop {
        match w.poll().unwrap() {
            Some(Event::Text { slot, request, text: t, .. }) => {
                assert_eq!((slot, request), (1, id));
                text.push_str(&t);
            }
            Some(Event::Done { stop, .. }) => {
                assert_eq!(stop, Some(StopReason::MaxTokens));
                break;
            }
            Some(Event::Error { error, .. }) => panic!("{error}"),
            Some(Event::Loaded) => {}
            None => std::thread::sleep(std::time::Duration::from_millis(2)),
        }
        assert!(t0.elapsed().as_secs() < 60, "worker gave no answer");
    }
    assert_eq!(text, expected);
}

#[test]
fn log_closure_sees_messages_and_may_panic() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let model = Model::load_with(
        common::kjv(),
        ModelParams::new().log(|_level, msg| {
            assert!(!msg.is_empty());
            N.fetch_add(1, Ordering::SeqCst);
            panic!("a panicking log closure must not unwind into C");
        }),
    )
    .unwrap();
    let mut ctx = model.new_context(&ContextParams::new().n_ctx(64)).unwrap();
    assert!(!greedy_text(&mut ctx, "And", 3).is_empty());
    eprintln!("log messages: {}", N.load(Ordering::SeqCst));
}

#[test]
fn static_send_sync() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<Model>();
    sync::<Model>();
    send::<Context<'static>>();
    send::<OwnedContext>();
    send::<Sampler>();
    send::<llamac::Batch>();
    send::<Worker<'static>>();
    sync::<Worker<'static>>();
    send::<llamac::Error>();
    sync::<llamac::Error>();
}

#[test]
fn version_matches_header() {
    assert_eq!(llamac::version(), llamac::HEADER_VERSION);
}

// A sequence saved after its prompt and restored into a fresh context
// continues with the same greedy text as the original.
#[test]
fn state_file_round_trip() {
    let model = load();
    let prompt = model.tokenize("In the beginning", true, true).unwrap();
    let path = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("rust_state.llst");
    let expected = {
        let mut ctx = model.new_context(&ContextParams::new().n_ctx(128)).unwrap();
        let mut s = SamplerChain::greedy().unwrap();
        {
            let mut gen = ctx.generator(&mut s, &GeneratorParams::new().n_predict(1)).unwrap();
            gen.prompt(&prompt).unwrap();
        }
        ctx.save_state_file(Some(0), &path, &prompt, Some(&s)).unwrap();
        ctx.kv_clear();
        greedy_text(&mut ctx, "In the beginning", 10)
    };
    let mut ctx = model.new_context(&ContextParams::new().n_ctx(128)).unwrap();
    let mut s = SamplerChain::greedy().unwrap();
    let tokens = ctx.load_state_file(Some(0), &path, Some(&mut s)).unwrap();
    assert_eq!(tokens, prompt);
    assert_eq!(ctx.kv_seq_pos_max(0), Some(prompt.len() as i32 - 1));
    let mut gen = ctx.generator(&mut s, &GeneratorParams::new().n_predict(10)).unwrap();
    gen.resume(&tokens).unwrap();
    assert_eq!(gen.text().unwrap().0, expected);
    drop(gen);
    // a broken file is refused and names the problem
    std::fs::write(&path, b"not a state").unwrap();
    let e = ctx.load_state_file(Some(0), &path, None).unwrap_err();
    assert!(matches!(e.status(), Status::Format), "{e}");
    assert!(!e.message().is_empty());
    let _ = std::fs::remove_file(&path);
}

// JSON Schema -> grammar -> sampler: the output is a JSON boolean.
#[test]
fn json_schema_grammar_constrains_output() {
    let g = llamac::json_schema_to_grammar(r#"{"type": "boolean"}"#, 0).unwrap();
    assert!(g.contains("root ::="), "{g}");
    assert!(g.contains("\"true\"") && g.contains("\"false\""), "{g}");
    let e = llamac::json_schema_to_grammar("{not json", 0).unwrap_err();
    assert!(!e.message().is_empty());
    let model = load();
    let mut ctx = model.new_context(&ContextParams::new().n_ctx(128)).unwrap();
    let mut s = SamplerChain::new()
        .unwrap()
        .add(Sampler::grammar(&model, &g, None).unwrap())
        .unwrap()
        .add(Sampler::dist(3).unwrap())
        .unwrap()
        .build();
    let mut gen = ctx.generator(&mut s, &GeneratorParams::new().n_predict(16)).unwrap();
    gen.prompt(&model.tokenize("It is", true, true).unwrap()).unwrap();
    let (text, _) = gen.text().unwrap();
    assert!(text.trim() == "true" || text.trim() == "false", "{text:?}");
}

#[test]
fn tokenize_bos_once() {
    // a text that starts with the BOS text gets no second BOS with the flag
    let model = load();
    let bos = model.token_bos().unwrap();
    let bos_text = String::from_utf8(model.detokenize_bytes(&[bos], false, true).unwrap()).unwrap();
    let text = format!("{bos_text}In the beginning");
    let all = llamac::TOKENIZE_ADD_SPECIAL | llamac::TOKENIZE_PARSE_SPECIAL;
    let plain = model.tokenize("In the beginning", true, true).unwrap();
    let twice = model.tokenize_flags(&text, all).unwrap();
    let once = model.tokenize_flags(&text, all | llamac::TOKENIZE_BOS_ONCE).unwrap();
    assert_eq!(plain[0], bos);
    assert_eq!(once, plain);
    assert_eq!(twice[..2], [bos, bos]);
    assert_eq!(twice[1..], plain[..]);
    let err = model.tokenize_flags("x", 1 << 7).unwrap_err();
    assert_eq!(err.status(), llamac::Status::InvalidArg);
}

// Budgeted steps in 4 ms frames, stepping again while `next_us` fits:
// several tokens per frame on the small model, the plain generator's
// tokens.
#[test]
fn budgeted_frames_match_the_generator() {
    let model = load();
    let prompt = model.tokenize(PROMPTS[1], true, false).unwrap();
    let want: Vec<i32> = {
        let mut ctx = model.new_context(&ContextParams::new().n_ctx(256)).unwrap();
        let mut sampler = SamplerChain::greedy().unwrap();
        let mut gen = ctx.generator(&mut sampler, &GeneratorParams::new().n_predict(16)).unwrap();
        gen.prompt(&prompt).unwrap();
        gen.map(|s| s.unwrap().token.unwrap()).collect()
    };
    let mut ctx = model.new_context(&ContextParams::new().n_ctx(256)).unwrap();
    let mut sampler = SamplerChain::greedy().unwrap();
    let mut gen = ctx.generator(&mut sampler, &GeneratorParams::new().n_predict(16)).unwrap();
    assert_eq!(gen.next_us(4000).unwrap(), 0); // nothing submitted
    gen.submit(&prompt).unwrap();
    let (mut got, mut frames, mut calls, mut done) = (Vec::new(), 0, 0, false);
    while !done {
        frames += 1;
        assert!(frames < 10_000);
        let mut left: i64 = 4000;
        loop {
            let s = gen.step(left).unwrap();
            calls += 1;
            got.extend(s.token);
            done = s.kind == llamac::StepKind::Done;
            left -= s.used_us;
            let next = gen.next_us(left).unwrap();
            assert!(next >= 0);
            if done || s.kind == llamac::StepKind::Busy || next == 0 || next > left {
                break;
            }
        }
    }
    assert_eq!(got, want);
    assert!(calls > frames, "{calls} calls in {frames} frames");
}
