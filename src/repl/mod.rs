//! The interactive REPL (rustyline): completion of functions, methods, variables and file
//! paths inside strings; hints; multi-line input while brackets are open; persistent history;
//! `help()`. An error never ends the session.

mod helper;
mod input;

use crate::script::Session;
use helper::{Completions, GalchemHelper};
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Config, Editor};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

/// Where the REPL keeps its history: `<user data dir>/galchem/history.txt`
/// (`$GALCHEM_HISTORY` overrides it).
pub fn history_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("GALCHEM_HISTORY") {
        return Some(PathBuf::from(p));
    }
    dirs::data_dir().map(|d| d.join("galchem").join("history.txt"))
}

/// Evaluates one input and prints its value or its error; false when the session must end
/// (SIGTERM).
fn evaluate(session: &mut Session, line: &str) -> bool {
    match session.eval_input(line) {
        Ok(v) => {
            if let Some(s) = session.display(&v) {
                println!("{s}");
            }
        }
        Err(e) => eprintln!("{}", e.message),
    }
    if crate::interrupt::pending() == Some(crate::interrupt::StopReason::Terminate) {
        eprintln!("terminated (SIGTERM): leaving the REPL");
        return false;
    }
    true
}

/// Runs the REPL until Ctrl-D, `exit` or `quit`.
pub fn run(session: &mut Session) -> Result<(), String> {
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        .max_history_size(10_000)
        .map_err(|e| e.to_string())?
        .build();
    let completions = Arc::new(RwLock::new(Completions::default()));
    let mut rl: Editor<GalchemHelper, DefaultHistory> =
        Editor::with_config(config).map_err(|e| e.to_string())?;
    rl.set_helper(Some(GalchemHelper::new(completions.clone(), session)));
    let history = history_path();
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    println!(
        "galchem {} — help() lists the functions, help(\"name\") explains one; Ctrl-D quits.",
        env!("CARGO_PKG_VERSION")
    );
    loop {
        if let Ok(mut c) = completions.write() {
            c.refresh(session);
        }
        match rl.readline("galchem> ") {
            Ok(line) => {
                let trimmed = line.trim();
                if trimmed.is_empty() {
                    continue;
                }
                let _ = rl.add_history_entry(line.as_str());
                if matches!(trimmed, "exit" | "quit" | "exit()" | "quit()") {
                    break;
                }
                if !evaluate(session, &line) {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => {
                println!("(Ctrl-C: input discarded; Ctrl-D or exit quits)");
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("error reading input: {e}");
                break;
            }
        }
    }
    if let Some(h) = &history {
        if let Some(dir) = h.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = rl.save_history(h);
    }
    Ok(())
}
