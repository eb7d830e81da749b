//! The `galchem` command: REPL, script runner and expression evaluator.

use clap::{Parser, Subcommand};
use galchem::data::DataDir;
use galchem::script::{parse_args, Limits, Session, SessionConfig};
use std::io::{IsTerminal, Read};
use std::path::PathBuf;
use std::process::ExitCode;

/// galchem: infer galactic parameters from stellar chemical abundances.
///
/// Without a command, galchem opens the interactive REPL on a terminal, or runs its standard
/// input as a script when that is not a terminal.
#[derive(Parser, Debug)]
#[command(name = "galchem", version, about, long_about)]
struct Cli {
    /// Data directory (yield tables, reference runs, catalogs). Default: $GALCHEM_DATA, else
    /// <repository>/../shared/data.
    #[arg(long, global = true, value_name = "DIR")]
    data: Option<PathBuf>,
    /// Worker threads for parallel native calls (default: all cores).
    #[arg(long, global = true, env = "GALCHEM_THREADS", value_name = "N")]
    threads: Option<usize>,
    /// No progress bars.
    #[arg(long, short, global = true)]
    quiet: bool,
    /// Operation limit of a script run (stops runaway loops).
    #[arg(long, global = true, value_name = "N", default_value_t = Limits::default().max_operations)]
    max_operations: u64,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run a script: galchem run FILE [-- key=value ...]; the pairs arrive as the map ARGS.
    Run {
        /// The .rhai script.
        file: PathBuf,
        /// key=value arguments (numbers and true/false are converted).
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Evaluate an expression (or statements) and print the value.
    Eval {
        /// Rhai code, e.g. '40 + 2'.
        expr: String,
    },
    /// Print generated documentation (the book's function reference).
    #[command(hide = true)]
    Doc {
        /// What to print: `reference`.
        what: String,
    },
}

fn main() -> ExitCode {
    // Table previews: show up to 14 columns and use the terminal's width (unless set).
    // Off a terminal (a pipe, a log file) there is no width to detect: use 160 columns.
    use std::io::IsTerminal;
    let width = if std::io::stdout().is_terminal() {
        None
    } else {
        Some("160")
    };
    for (key, value) in [
        ("POLARS_FMT_MAX_COLS", Some("14")),
        ("POLARS_FMT_STR_LEN", Some("40")),
        ("POLARS_TABLE_WIDTH", width),
    ] {
        if let (None, Some(v)) = (std::env::var_os(key), value) {
            std::env::set_var(key, v);
        }
    }
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("{msg}");
            ExitCode::FAILURE
        }
    }
}

fn session(cli: &Cli, base_dir: PathBuf) -> Result<Session, String> {
    let data = match &cli.data {
        Some(dir) => Ok(DataDir::resolve(Some(dir)).map_err(|e| format!("error: {e}"))?),
        None => DataDir::resolve(None).map_err(|e| e.to_string()),
    };
    let limits = Limits {
        max_operations: cli.max_operations,
        ..Limits::default()
    };
    Ok(Session::new(SessionConfig {
        data,
        base_dir,
        limits,
    }))
}

fn run(cli: Cli) -> Result<(), String> {
    galchem::progress::set_quiet(cli.quiet);
    if let Some(n) = cli.threads {
        if n == 0 {
            return Err("error: --threads must be at least 1".into());
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| format!("error: cannot start {n} threads: {e}"))?;
    }
    // Ctrl-C asks running scripts and native loops to stop; the REPL then shows its prompt.
    let _ = ctrlc::set_handler(galchem::interrupt::request);
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    match &cli.command {
        Some(Command::Run { file, args }) => {
            let base = file
                .parent()
                .map(PathBuf::from)
                .unwrap_or_else(|| cwd.clone());
            let mut s = session(&cli, base)?;
            s.set_args(parse_args(args).map_err(|e| format!("error: {e}"))?);
            s.run_file(file).map(|_| ()).map_err(|e| e.message)
        }
        Some(Command::Eval { expr }) => {
            let mut s = session(&cli, cwd)?;
            s.set_args(Default::default());
            let v = s.run_source("<eval>", expr).map_err(|e| e.message)?;
            if let Some(text) = s.display(&v) {
                println!("{}", text.trim_matches('"'));
            }
            Ok(())
        }
        Some(Command::Doc { what }) => {
            let s = session(&cli, cwd)?;
            match what.as_str() {
                "reference" => {
                    print!("{}", s.docs().reference_markdown());
                    Ok(())
                }
                other => Err(format!(
                    "error: unknown documentation '{other}' (try: reference)"
                )),
            }
        }
        None => {
            let mut s = session(&cli, cwd)?;
            s.set_args(Default::default());
            if std::io::stdin().is_terminal() {
                galchem::repl::run(&mut s)
            } else {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .map_err(|e| format!("error: cannot read standard input: {e}"))?;
                s.run_source("<stdin>", &text)
                    .map(|_| ())
                    .map_err(|e| e.message)
            }
        }
    }
}
