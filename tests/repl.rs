//! The REPL driven through a pseudo-terminal: state across lines, help, completion, errors
//! that do not end the session.

use expectrl::{Eof, Session};
use std::process::Command;
use std::time::Duration;

fn start(history: &std::path::Path) -> Session {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_galchem"));
    cmd.env("GALCHEM_HISTORY", history)
        .env("TERM", "xterm-256color");
    let mut s = Session::spawn(cmd).expect("spawn galchem in a pty");
    s.set_expect_timeout(Some(Duration::from_secs(60)));
    s
}

#[test]
fn repl_session_keeps_state_and_survives_errors() {
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.txt");
    let mut p = start(&history);
    p.expect("galchem> ").unwrap();
    p.send_line("let x = 21;").unwrap();
    p.expect("galchem> ").unwrap();
    p.send_line("x * 2").unwrap();
    p.expect("42").unwrap();
    p.expect("galchem> ").unwrap();
    p.send_line("help(\"read_csv\")").unwrap();
    p.expect("read_csv(path: string) -> Table").unwrap();
    p.expect("galchem> ").unwrap();
    p.send_line("no_such_function(1)").unwrap();
    p.expect("no_such_function").unwrap();
    p.expect("galchem> ").unwrap();
    p.send_line("x + 100").unwrap();
    p.expect("121").unwrap();
    p.expect("galchem> ").unwrap();
    // multi-line input: the function body stays open until the brace closes
    p.send_line("fn add3(a) {").unwrap();
    p.send_line("  a + 3 }").unwrap();
    p.expect("galchem> ").unwrap();
    p.send_line("add3(x)").unwrap();
    p.expect("24").unwrap();
    p.expect("galchem> ").unwrap();
    p.send_line("exit").unwrap();
    p.expect(Eof).unwrap();
    let h = std::fs::read_to_string(&history).unwrap();
    assert!(h.contains("let x = 21;"), "history not saved: {h}");
}

#[test]
fn repl_completes_functions_and_shows_help() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = start(&dir.path().join("h.txt"));
    p.expect("galchem> ").unwrap();
    p.send("read_pa\t").unwrap();
    p.expect("read_parquet(").unwrap();
    p.send("\x15").unwrap(); // Ctrl-U clears the line
    p.send_line("help()").unwrap();
    p.expect("catalog").unwrap();
    p.expect("galchem> ").unwrap();
    p.send_line("let mytable = 1;").unwrap();
    p.expect("galchem> ").unwrap();
    p.send("myt\t").unwrap();
    p.expect("mytable").unwrap();
    p.send("\x15").unwrap();
    p.send_line("quit").unwrap();
    p.expect(Eof).unwrap();
}

#[test]
fn ctrl_c_interrupts_a_running_script_and_returns_to_the_prompt() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_galchem"));
    cmd.args(["--max-operations", "0"])
        .env("GALCHEM_HISTORY", dir.path().join("h.txt"))
        .env("TERM", "xterm-256color");
    let mut p = Session::spawn(cmd).unwrap();
    p.set_expect_timeout(Some(Duration::from_secs(60)));
    p.expect("galchem> ").unwrap();
    p.send_line("let n = 0; loop { n += 1; }").unwrap();
    std::thread::sleep(Duration::from_millis(700));
    p.send("\x03").unwrap();
    p.expect("interrupted").unwrap();
    p.expect("galchem> ").unwrap();
    p.send_line("n > 0").unwrap();
    p.expect("true").unwrap();
    p.send_line("quit").unwrap();
    p.expect(Eof).unwrap();
}

#[test]
fn the_repl_can_allow_writes_that_a_script_may_not_make() {
    let work = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_galchem"));
    cmd.current_dir(work.path())
        .env("GALCHEM_HISTORY", work.path().join("h.txt"))
        .env("TERM", "xterm-256color");
    let mut p = Session::spawn(cmd).unwrap();
    p.set_expect_timeout(Some(Duration::from_secs(60)));
    p.expect("galchem> ").unwrap();
    let target = elsewhere.path().join("t.csv");
    p.send_line(format!(
        r#"write_csv(table(#{{ a: [1] }}), "{}")"#,
        target.display()
    ))
    .unwrap();
    p.expect("--allow-write").unwrap();
    p.expect("galchem> ").unwrap();
    p.send_line(format!(r#"allow_write("{}")"#, elsewhere.path().display()))
        .unwrap();
    p.expect("galchem> ").unwrap();
    p.send_line(format!(
        r#"write_csv(table(#{{ a: [1] }}), "{}"); "written""#,
        target.display()
    ))
    .unwrap();
    p.expect("written").unwrap();
    p.send_line("quit").unwrap();
    p.expect(Eof).unwrap();
    assert!(target.is_file());
}

#[test]
fn ctrl_c_during_training_returns_a_usable_posterior_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_galchem"));
    cmd.current_dir(dir.path())
        .env("GALCHEM_HISTORY", dir.path().join("h.txt"))
        .env("GALCHEM_CACHE", dir.path())
        .env("TERM", "xterm-256color");
    let mut p = Session::spawn(cmd).unwrap();
    p.set_expect_timeout(Some(Duration::from_secs(120)));
    p.expect("galchem> ").unwrap();
    p.send_line(
        r#"let post = train_npe(chempy("tng"), #{ n_sims: 3000, seed: 2, patience: 1000000, max_epochs: 1000000, on_epoch: |s| { if s.epoch == 3 { print(`epoch ${s.epoch} done`); } false } });"#,
    )
    .unwrap();
    // (the typed line is echoed: wait for what only the running closure prints)
    p.expect("epoch 3 done").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    p.send("\x03").unwrap();
    p.expect("interrupted (Ctrl-C) after").unwrap();
    p.expect("galchem> ").unwrap();
    p.send_line("post.training().termination").unwrap();
    p.expect("\"interrupted\"").unwrap();
    p.expect("galchem> ").unwrap();
    p.send_line("post.sample([0.1, -0.3, 0.2, 0.15, -0.2, 0.3, 0.25, 0.1], 7, 1).len()")
        .unwrap();
    p.expect("7").unwrap();
    p.expect("galchem> ").unwrap();
    p.send_line("quit").unwrap();
    p.expect(Eof).unwrap();
}
