//! What the process has used: its peak resident memory.

/// Peak resident set size of this process in bytes (`VmHWM` of `/proc/self/status`), or
/// `None` where the kernel does not report it (not Linux).
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_peak_grows_with_what_was_touched() {
        let before = super::peak_rss_bytes().expect("Linux reports VmHWM");
        let v = vec![1u8; 64 << 20];
        let after = super::peak_rss_bytes().unwrap();
        assert!(
            after >= before && after >= v.len() as u64,
            "{before} -> {after}"
        );
    }
}
