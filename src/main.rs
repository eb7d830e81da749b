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
// parsed once per process: the size of the Slurm variant does not matter
#[allow(clippy::large_enum_variant)]
enum Command {
    /// Run a script: galchem run FILE [-- key=value ...]; the pairs arrive as the map ARGS.
    Run {
        /// The .rhai script.
        file: PathBuf,
        /// key=value arguments (numbers and true/false are converted).
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Run the whole paper (scripts/paper/all.rhai): galchem paper [-- quick=true out=DIR ...].
    ///
    /// Uses the repository's scripts when galchem runs from its source tree, else the copies
    /// compiled into the binary.
    Paper {
        /// key=value arguments of all.rhai (quick, out, seed, ...).
        #[arg(last = true)]
        args: Vec<String>,
    },
    /// Evaluate an expression (or statements) and print the value.
    Eval {
        /// Rhai code, e.g. '40 + 2'.
        expr: String,
    },
    /// Merge the partial files of a sharded job into its result: galchem merge PARTIALS... -o OUT.
    ///
    /// The result is, to the byte, what the single-process run with the same seed writes.
    Merge {
        /// The partial files (all shards of one job, any order).
        #[arg(required = true)]
        partials: Vec<PathBuf>,
        /// The result to write (for a catalog inference: the report JSON; the per-star files
        /// of the shards are concatenated into the file the run named).
        #[arg(short, long, value_name = "OUT")]
        out: PathBuf,
    },
    /// Write (and with --submit, submit) a Slurm array job running a script's shards, and a
    /// merge job that runs after all tasks succeeded: galchem slurm FILE [OPTIONS] -- ARGS.
    Slurm(SlurmArgs),
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

/// The scripts of `galchem paper`, compiled in (name, text).
const PAPER_SCRIPTS: &[(&str, &str)] = &[
    ("all.rhai", include_str!("../scripts/paper/all.rhai")),
    (
        "emulator.rhai",
        include_str!("../scripts/paper/emulator.rhai"),
    ),
    ("npe.rhai", include_str!("../scripts/paper/npe.rhai")),
    (
        "calibration.rhai",
        include_str!("../scripts/paper/calibration.rhai"),
    ),
    ("common.rhai", include_str!("../scripts/paper/common.rhai")),
    ("fig3.rhai", include_str!("../scripts/paper/fig3.rhai")),
    ("fig4.rhai", include_str!("../scripts/paper/fig4.rhai")),
    ("fig5_6.rhai", include_str!("../scripts/paper/fig5_6.rhai")),
    ("fig7_8.rhai", include_str!("../scripts/paper/fig7_8.rhai")),
    (
        "appendix_d.rhai",
        include_str!("../scripts/paper/appendix_d.rhai"),
    ),
];

/// all.rhai of the source tree galchem was built from when it is there, else the compiled-in
/// copies written to a folder of the temporary directory.
fn paper_scripts() -> Result<PathBuf, Failure> {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scripts/paper/all.rhai");
    if repo.is_file() {
        return Ok(repo);
    }
    let dir = std::env::temp_dir().join(format!("galchem-paper-{}", env!("CARGO_PKG_VERSION")));
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("error: cannot create {}: {e}", dir.display()))?;
    for (name, text) in PAPER_SCRIPTS {
        std::fs::write(dir.join(name), text)
            .map_err(|e| format!("error: cannot write {}: {e}", dir.join(name).display()))?;
    }
    Ok(dir.join("all.rhai"))
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
        Some(Command::Paper { args }) => {
            let all = paper_scripts()?;
            run_script(&cli, &all, args, &cwd)
        }
        Some(Command::Eval { expr }) => {
            let mut s = session(&cli, cwd, false)?;
            s.set_args(Default::default());
            let v = s.run_source("<eval>", expr)?;
            if let Some(text) = s.display(&v) {
                println!("{}", text.trim_matches('"'));
            }
            Ok(())
        }
        Some(Command::Merge { partials, out }) => merge(partials, out),
        Some(Command::Slurm(a)) => slurm(&cli, a, &cwd),
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

/// `galchem slurm`'s options.
#[derive(clap::Args, Debug)]
struct SlurmArgs {
    /// The .rhai script; each task runs it with its shard (SLURM_ARRAY_TASK_ID of
    /// SLURM_ARRAY_TASK_COUNT).
    file: PathBuf,
    /// Number of array tasks (= shards).
    #[arg(long, default_value_t = 4, value_name = "N")]
    array_size: usize,
    /// Slurm partition.
    #[arg(long)]
    partition: Option<String>,
    /// Time limit of each task (Slurm notation: MM, HH:MM:SS, D-HH:MM).
    #[arg(long)]
    time: Option<String>,
    /// CPUs per task (galchem's worker threads follow it).
    #[arg(long, value_name = "N")]
    cpus_per_task: Option<usize>,
    /// Memory per task, e.g. 2G.
    #[arg(long)]
    mem: Option<String>,
    /// SIGTERM this many seconds before a task's time limit, so that it checkpoints (0: no
    /// early signal). Submitting again resumes stopped tasks.
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    signal: u64,
    /// An extra #SBATCH line, e.g. --sbatch=--account=abc (repeatable).
    #[arg(long = "sbatch", value_name = "LINE", allow_hyphen_values = true)]
    extra: Vec<String>,
    /// The merged result; default: the script's out=PATH argument.
    #[arg(long, value_name = "OUT")]
    merge: Option<PathBuf>,
    /// Directory of the sbatch scripts and the tasks' logs.
    #[arg(long, default_value = "slurm", value_name = "DIR")]
    dir: PathBuf,
    /// Slurm job name (default: galchem-SCRIPT).
    #[arg(long)]
    job_name: Option<String>,
    /// Submit with sbatch (the merge job with --dependency=afterok on the array).
    #[arg(long)]
    submit: bool,
    /// The script's key=value arguments.
    #[arg(last = true)]
    args: Vec<String>,
}

/// `galchem merge PARTIALS -o OUT`.
fn merge(partials: &[PathBuf], out: &std::path::Path) -> Result<(), Failure> {
    let merged = galchem::jobs::merge_partials(partials, out, &|p| Ok(p.to_path_buf()))
        .map_err(|e| format!("error: {e}"))?;
    println!("{}", merged.summary());
    println!("result: {}", out.display());
    Ok(())
}

fn absolute(p: &std::path::Path, cwd: &std::path::Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    }
}

/// `galchem slurm FILE -- ARGS`: writes DIR/array.sbatch and DIR/merge.sbatch, and submits
/// them with --submit.
fn slurm(cli: &Cli, a: &SlurmArgs, cwd: &std::path::Path) -> Result<(), Failure> {
    use galchem::shard::slurm::{array_script, merge_script, submit, SlurmJob, SlurmOptions};
    if a.array_size == 0 {
        return Err(String::from("error: --array-size must be at least 1").into());
    }
    if !a.file.is_file() {
        return Err(format!("error: {}: no such script", a.file.display()).into());
    }
    if let Some(bad) = a.args.iter().find(|s| s.starts_with("shard=")) {
        return Err(format!(
            "error: {bad}: the array tasks take their shards from Slurm; drop shard="
        )
        .into());
    }
    let exe = std::env::current_exe()
        .map_err(|e| format!("error: cannot find the galchem executable: {e}"))?;
    let mut global_args = vec!["--quiet".to_string()];
    if let Some(d) = &cli.data {
        global_args.extend([
            "--data".to_string(),
            absolute(d, cwd).to_string_lossy().into_owned(),
        ]);
    }
    for d in &cli.allow_write {
        global_args.extend([
            "--allow-write".to_string(),
            absolute(d, cwd).to_string_lossy().into_owned(),
        ]);
    }
    let out_arg = a
        .args
        .iter()
        .find_map(|s| s.strip_prefix("out="))
        .map(PathBuf::from);
    let job = SlurmJob {
        galchem: exe,
        global_args,
        script: absolute(&a.file, cwd),
        args: a.args.clone(),
        workdir: cwd.to_path_buf(),
        merge_out: a.merge.clone().or(out_arg).map(|p| absolute(&p, cwd)),
    };
    let stem = a
        .file
        .file_stem()
        .map_or("script".into(), |s| s.to_string_lossy().into_owned());
    let dir = absolute(&a.dir, cwd);
    let opts = SlurmOptions {
        array_size: a.array_size,
        job_name: a.job_name.clone().unwrap_or(format!("galchem-{stem}")),
        partition: a.partition.clone(),
        time: a.time.clone(),
        cpus_per_task: a.cpus_per_task,
        mem: a.mem.clone(),
        signal_seconds: (a.signal > 0).then_some(a.signal),
        extra: a.extra.clone(),
        log_dir: dir.join("logs"),
    };
    let write = |name: &str, text: &str| -> Result<PathBuf, String> {
        let p = dir.join(name);
        std::fs::create_dir_all(dir.join("logs"))
            .and_then(|()| galchem::fsutil::atomic_write_bytes(&p, text.as_bytes()))
            .map_err(|e| format!("error: cannot write {}: {e}", p.display()))?;
        println!("wrote {}", p.display());
        Ok(p)
    };
    let array = write("array.sbatch", &array_script(&job, &opts))?;
    let merge = merge_script(&job, &opts)
        .map(|s| write("merge.sbatch", &s))
        .transpose()?;
    if merge.is_none() {
        println!("no merge job: give the script out=PATH or --merge OUT");
    }
    if a.submit {
        let id = submit(&array, None).map_err(|e| format!("error: {e}"))?;
        println!("submitted array job {id} ({} tasks)", opts.array_size);
        if let Some(m) = merge {
            let mid = submit(&m, Some(&id)).map_err(|e| format!("error: {e}"))?;
            println!("submitted merge job {mid} (after {id})");
        }
    }
    Ok(())
}
