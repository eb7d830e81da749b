//! Slurm array jobs for sharded galchem scripts: an sbatch script whose array tasks each run
//! one shard (the task reads its shard from `SLURM_ARRAY_TASK_ID` and
//! `SLURM_ARRAY_TASK_COUNT`, see [`super::ShardSpec::from_env`]), and a merge job that runs
//! after all tasks succeeded (`--dependency=afterok`).
//!
//! Time limits: with `signal_seconds`, Slurm sends SIGTERM to the task
//! (`#SBATCH --signal=B:TERM@N`, N seconds before the limit). The batch shell `exec`s galchem,
//! so the signal reaches galchem itself, which checkpoints its shard and exits with status 143.
//! Submitting the same scripts again resumes the stopped tasks; finished tasks return at once.

use super::{shard_path, ShardSpec};
use std::path::{Path, PathBuf};
use std::process::Command;

/// What to submit: a galchem script run as an array, and what to merge afterwards.
#[derive(Debug, Clone, PartialEq)]
pub struct SlurmJob {
    /// The galchem executable the tasks run (absolute).
    pub galchem: PathBuf,
    /// Options before the command (e.g. `--data DIR`, `--quiet`).
    pub global_args: Vec<String>,
    /// The `.rhai` script (absolute).
    pub script: PathBuf,
    /// The script's `key=value` arguments.
    pub args: Vec<String>,
    /// The working directory of every task and of the merge (absolute).
    pub workdir: PathBuf,
    /// The single-process result the shards' partials merge into, if any.
    pub merge_out: Option<PathBuf>,
}

/// Slurm resources and settings of the array tasks.
#[derive(Debug, Clone, PartialEq)]
pub struct SlurmOptions {
    /// Number of array tasks = shards (at least 1).
    pub array_size: usize,
    /// `--job-name`.
    pub job_name: String,
    /// `--partition`.
    pub partition: Option<String>,
    /// `--time` of each task, in Slurm's notation (`MM`, `HH:MM:SS`, `D-HH`).
    pub time: Option<String>,
    /// `--cpus-per-task`; galchem's worker threads follow it.
    pub cpus_per_task: Option<usize>,
    /// `--mem` of each task (`2G`, `500M`).
    pub mem: Option<String>,
    /// Seconds before the time limit at which the task gets SIGTERM.
    pub signal_seconds: Option<u64>,
    /// More `#SBATCH` lines, with or without the `#SBATCH ` prefix (`--account=abc`).
    pub extra: Vec<String>,
    /// Directory of the tasks' logs.
    pub log_dir: PathBuf,
}

/// Quotes `s` for a POSIX shell.
fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,@+%".contains(&b))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', r"'\''"))
}

fn sbatch_line(line: &str) -> String {
    let l = line.trim();
    if l.starts_with("#SBATCH") {
        l.to_string()
    } else {
        format!("#SBATCH {l}")
    }
}

/// Header lines shared by both scripts.
fn header(opts: &SlurmOptions, name: &str, log: &str, job: &SlurmJob) -> Vec<String> {
    let mut h = vec![
        "#!/bin/bash".to_string(),
        format!("#SBATCH --job-name={}", shell_quote(name)),
        format!(
            "#SBATCH --chdir={}",
            shell_quote(&job.workdir.to_string_lossy())
        ),
        format!(
            "#SBATCH --output={}",
            shell_quote(&opts.log_dir.join(log).to_string_lossy())
        ),
        "#SBATCH --open-mode=append".to_string(),
    ];
    if let Some(p) = &opts.partition {
        h.push(format!("#SBATCH --partition={}", shell_quote(p)));
    }
    h
}

fn galchem_command(job: &SlurmJob, command: &[String]) -> String {
    let mut words = vec![shell_quote(&job.galchem.to_string_lossy())];
    words.extend(job.global_args.iter().map(|a| shell_quote(a)));
    words.extend(command.iter().map(|a| shell_quote(a)));
    format!("exec {}", words.join(" "))
}

/// The sbatch script of the array: task `i` of `n` runs shard `i/n` of the script.
pub fn array_script(job: &SlurmJob, opts: &SlurmOptions) -> String {
    let n = opts.array_size.max(1);
    let mut s = header(opts, &opts.job_name, "%x-%A_%a.out", job);
    s.push(format!("#SBATCH --array=0-{}", n - 1));
    if let Some(t) = &opts.time {
        s.push(format!("#SBATCH --time={}", shell_quote(t)));
    }
    if let Some(c) = opts.cpus_per_task {
        s.push(format!("#SBATCH --cpus-per-task={c}"));
    }
    if let Some(m) = &opts.mem {
        s.push(format!("#SBATCH --mem={}", shell_quote(m)));
    }
    if let Some(secs) = opts.signal_seconds {
        s.push(format!("#SBATCH --signal=B:TERM@{secs}"));
    }
    s.extend(opts.extra.iter().map(|l| sbatch_line(l)));
    s.push(String::new());
    s.push("set -eu".to_string());
    s.push(
        "# one shard per task; galchem reads SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT"
            .to_string(),
    );
    s.push("export GALCHEM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"".to_string());
    let mut cmd = vec![
        "run".to_string(),
        job.script.to_string_lossy().into_owned(),
        "--".to_string(),
    ];
    cmd.extend(job.args.iter().cloned());
    s.push(galchem_command(job, &cmd));
    s.join("\n") + "\n"
}

/// The partial files the array's tasks write for `out`.
pub fn partials_of(out: &Path, n: usize) -> Vec<PathBuf> {
    (0..n.max(1))
        .map(|index| {
            shard_path(
                out,
                ShardSpec {
                    index,
                    count: n.max(1),
                },
            )
        })
        .collect()
}

/// The sbatch script of the merge job, or `None` when the job has nothing to merge.
pub fn merge_script(job: &SlurmJob, opts: &SlurmOptions) -> Option<String> {
    let out = job.merge_out.as_ref()?;
    let mut s = header(opts, &format!("{}-merge", opts.job_name), "%x-%j.out", job);
    s.extend(opts.extra.iter().map(|l| sbatch_line(l)));
    s.push(String::new());
    s.push("set -eu".to_string());
    let mut cmd = vec!["merge".to_string()];
    cmd.extend(
        partials_of(out, opts.array_size)
            .iter()
            .map(|p| p.to_string_lossy().into_owned()),
    );
    cmd.push("-o".to_string());
    cmd.push(out.to_string_lossy().into_owned());
    s.push(galchem_command(job, &cmd));
    Some(s.join("\n") + "\n")
}

/// The id in `sbatch --parsable`'s output (`123` or `123;cluster`).
pub fn parse_job_id(stdout: &str) -> Option<String> {
    let id = stdout.trim().split(';').next()?.trim();
    (!id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())).then(|| id.to_string())
}

/// Submits `script` with `sbatch --parsable` (after `after`, if given) and returns the job id.
pub fn submit(script: &Path, after: Option<&str>) -> Result<String, String> {
    let mut cmd = Command::new("sbatch");
    cmd.arg("--parsable");
    if let Some(id) = after {
        cmd.arg(format!("--dependency=afterok:{id}"));
    }
    let out = cmd
        .arg(script)
        .output()
        .map_err(|e| format!("cannot run sbatch (is Slurm installed and on PATH?): {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "sbatch {} failed ({}): {}",
            script.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    parse_job_id(&stdout).ok_or_else(|| {
        format!(
            "sbatch {} printed no job id: '{}'",
            script.display(),
            stdout.trim()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job() -> (SlurmJob, SlurmOptions) {
        let job = SlurmJob {
            galchem: PathBuf::from("/opt/galchem"),
            global_args: vec!["--quiet".into()],
            script: PathBuf::from("/w/scripts/infer.rhai"),
            args: vec![
                "posterior=p.json".into(),
                "out=r.json".into(),
                "meta=it's".into(),
            ],
            workdir: PathBuf::from("/w"),
            merge_out: Some(PathBuf::from("/w/r.json")),
        };
        let opts = SlurmOptions {
            array_size: 4,
            job_name: "galchem-infer".into(),
            partition: Some("debug".into()),
            time: Some("00:30:00".into()),
            cpus_per_task: Some(2),
            mem: Some("2G".into()),
            signal_seconds: Some(120),
            extra: vec!["--account=abc".into(), "#SBATCH --qos=low".into()],
            log_dir: PathBuf::from("/w/slurm/logs"),
        };
        (job, opts)
    }

    #[test]
    fn the_array_script_runs_one_shard_per_task() {
        let (job, opts) = job();
        let s = array_script(&job, &opts);
        for line in [
            "#SBATCH --array=0-3",
            "#SBATCH --partition=debug",
            "#SBATCH --time=00:30:00",
            "#SBATCH --cpus-per-task=2",
            "#SBATCH --mem=2G",
            "#SBATCH --signal=B:TERM@120",
            "#SBATCH --account=abc",
            "#SBATCH --qos=low",
            "#SBATCH --chdir=/w",
            "exec /opt/galchem --quiet run /w/scripts/infer.rhai -- posterior=p.json out=r.json 'meta=it'\\''s'",
        ] {
            assert!(s.lines().any(|l| l == line), "no line {line:?} in\n{s}");
        }
        assert!(s.starts_with("#!/bin/bash\n"));
    }

    #[test]
    fn the_merge_script_names_every_shard() {
        let (job, opts) = job();
        let s = merge_script(&job, &opts).unwrap();
        let last = s.lines().last().unwrap();
        assert_eq!(
            last,
            "exec /opt/galchem --quiet merge /w/r.shard-0-of-4.json /w/r.shard-1-of-4.json /w/r.shard-2-of-4.json /w/r.shard-3-of-4.json -o /w/r.json"
        );
        assert!(!s.contains("--array"));
        let none = SlurmJob {
            merge_out: None,
            ..job
        };
        assert!(merge_script(&none, &opts).is_none());
    }

    #[test]
    fn job_ids_are_read_from_parsable_output() {
        assert_eq!(parse_job_id("1234\n").as_deref(), Some("1234"));
        assert_eq!(parse_job_id("77;cluster\n").as_deref(), Some("77"));
        assert_eq!(parse_job_id("Submitted batch job 5"), None);
        assert_eq!(parse_job_id(""), None);
    }
}
