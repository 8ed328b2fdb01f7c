//! A game-loop sketch with the worker (llamac.h section 14): two NPCs
//! answer on the library's thread while the "game" runs 60 frames a second
//! and only polls events, never waiting for a decode.
//!
//!     cargo run --offline --example npc -- MODEL [N_PREDICT]
use std::process::ExitCode;
use std::time::{Duration, Instant};

use llamac::{Event, Worker, WorkerParams};

fn run(path: &str, n_predict: i32) -> Result<(), llamac::Error> {
    let params = WorkerParams::new().n_slots(2).n_predict(n_predict).budget_us(4000);
    let mut worker = Worker::load(path, &params)?;
    let lines = ["And the king said", "Then the prophet answered"];
    let mut said = [String::new(), String::new()];
    for (slot, line) in lines.iter().enumerate() {
        worker.submit(slot as i32, line)?; // allowed while the model loads
    }
    let start = Instant::now();
    let mut open = lines.len();
    let mut frames = 0u32;
    while open > 0 {
        // one frame: the game's own work would go here
        while let Some(ev) = worker.poll()? {
            match ev {
                Event::Loaded => eprintln!("[frame {frames}] model loaded"),
                Event::Text { slot, text, .. } => said[slot as usize].push_str(&text),
                Event::Done { slot, stop, .. } => {
                    println!("NPC {slot}: {}{}  ({stop:?})", lines[slot as usize], said[slot as usize]);
                    open -= 1;
                }
                Event::Error { slot, error, .. } => {
                    eprintln!("NPC {slot}: {error}");
                    if slot < 0 {
                        return Err(error);
                    }
                    open -= 1;
                }
            }
        }
        frames += 1;
        std::thread::sleep(Duration::from_millis(16));
    }
    eprintln!("{frames} frames in {:.2} s", start.elapsed().as_secs_f64());
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 2 {
        eprintln!("usage: npc MODEL [N_PREDICT]");
        return ExitCode::from(2);
    }
    let n = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(24);
    match run(&args[1], n) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("npc: {e}");
            ExitCode::FAILURE
        }
    }
}
