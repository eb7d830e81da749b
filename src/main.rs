//! The `galchem` command: REPL, script runner and expression evaluator.

use clap::{Parser, Subcommand};
use galchem::data::DataDir;
use galchem::script::{default_writes, parse_args, Limits, Session, SessionConfig};
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
    /// Data directory (yield tables, solar abundances, catalogs). Default: $GALCHEM_DATA, else
    /// the copy compiled into galchem (extracted once into the cache directory).
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
    /// Also let scripts write under DIR (repeatable). By default a script may write only
    /// under the working directory and galchem's cache directory.
    #[arg(long = "allow-write", global = true, value_name = "DIR")]
    allow_write: Vec<PathBuf>,
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

/// Exit status of a run stopped by Ctrl-C (128 + SIGINT).
const EXIT_INTERRUPTED: u8 = 130;
/// Exit status of a run stopped by SIGTERM (128 + SIGTERM), e.g. at a Slurm time limit.
const EXIT_TERMINATED: u8 = 143;

/// Why `run` failed: the message and the exit status.
struct Failure {
    message: String,
    status: u8,
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure { message, status: 1 }
    }
}

impl From<galchem::script::ScriptError> for Failure {
    fn from(e: galchem::script::ScriptError) -> Self {
        let status = match e.kind {
            Some(galchem::ErrorKind::Terminated) => EXIT_TERMINATED,
            Some(galchem::ErrorKind::Interrupted) => EXIT_INTERRUPTED,
            _ => 1,
        };
        Failure {
            message: e.message,
            status,
        }
    }
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
        Ok(())
            if galchem::interrupt::pending() == Some(galchem::interrupt::StopReason::Terminate) =>
        {
            eprintln!("terminated (SIGTERM)");
            ExitCode::from(EXIT_TERMINATED)
        }
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("{}", f.message);
            ExitCode::from(f.status)
        }
    }
}

fn session(cli: &Cli, base_dir: PathBuf, interactive: bool) -> Result<Session, String> {
    let data = match &cli.data {
        Some(dir) => Ok(DataDir::resolve(Some(dir)).map_err(|e| format!("error: {e}"))?),
        None => DataDir::resolve(None).map_err(|e| e.to_string()),
    };
    let limits = Limits {
        max_operations: cli.max_operations,
        ..Limits::default()
    };
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    for dir in &cli.allow_write {
        if !dir.is_dir() {
            return Err(format!(
                "error: --allow-write {}: not a directory",
                dir.display()
            ));
        }
    }
    Ok(Session::new(SessionConfig {
        data,
        base_dir,
        limits,
        writes: default_writes(cwd, &cli.allow_write),
        interactive,
    }))
}

/// `galchem run FILE -- ARGS`: imports relative to the script, writes relative to the
/// working directory.
fn run_script(
    cli: &Cli,
    file: &std::path::Path,
    args: &[String],
    cwd: &std::path::Path,
) -> Result<(), Failure> {
    let base = file
        .parent()
        .map(PathBuf::from)
        .unwrap_or_else(|| cwd.to_path_buf());
    let mut s = session(cli, base, false)?;
    s.set_args(parse_args(args).map_err(|e| format!("error: {e}"))?);
    let _ = s.run_file(file)?;
    Ok(())
}

fn run(cli: Cli) -> Result<(), Failure> {
    galchem::progress::set_quiet(cli.quiet);
    if let Some(n) = cli.threads {
        if n == 0 {
            return Err(String::from("error: --threads must be at least 1").into());
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| format!("error: cannot start {n} threads: {e}"))?;
    }
    // Ctrl-C and SIGTERM ask running scripts and native loops to stop; the REPL then shows
    // its prompt, a script run ends with what it computed (training writes its checkpoint).
    galchem::interrupt::install_handlers()?;
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    match &cli.command {
        Some(Command::Run { file, args }) => run_script(&cli, file, args, &cwd),
        Some(Command::Eval { expr }) => {
            let mut s = session(&cli, cwd, false)?;
            s.set_args(Default::default());
            let v = s.run_source("<eval>", expr)?;
            if let Some(text) = s.display(&v) {
                println!("{}", text.trim_matches('"'));
            }
            Ok(())
        }
        Some(Command::Doc { what }) => {
            let s = session(&cli, cwd, false)?;
            match what.as_str() {
                "reference" => {
                    print!("{}", s.docs().reference_markdown());
                    Ok(())
                }
                other => {
                    Err(format!("error: unknown documentation '{other}' (try: reference)").into())
                }
            }
        }
        None => {
            let interactive = std::io::stdin().is_terminal();
            let mut s = session(&cli, cwd, interactive)?;
            s.set_args(Default::default());
            if interactive {
                Ok(galchem::repl::run(&mut s)?)
            } else {
                let mut text = String::new();
                std::io::stdin()
                    .read_to_string(&mut text)
                    .map_err(|e| format!("error: cannot read standard input: {e}"))?;
                let _ = s.run_source("<stdin>", &text)?;
                Ok(())
            }
        }
    }
}
