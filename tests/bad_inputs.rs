//! The bad-input corpus: every directory in `tests/fixtures/bad/` is overlaid on the small valid
//! repository in `tests/fixtures/base/` and rendered. The exact output (exit code, stdout,
//! stderr) is a snapshot, and nothing may be written: a rejected run leaves no output behind.
//!
//! A case may hold `_args` (the command line, default `render`) and `_delete` (paths, one per
//! line, to remove from the base first). Each case is its own test, named after its directory
//! (`-` spelt `_`), so one failure does not hide the others; a directory without a test fails
//! [`every_fixture_directory_has_a_test`].
#![allow(clippy::disallowed_methods)] // Tests build and read fixtures directly.

mod support;

use std::fs;

use support::{copy_tree, fixtures, list_files, zonegate};

/// A `#[test]` per case, and [`CASES`], the directories they run.
macro_rules! bad_inputs {
    ($($case:ident,)*) => {
        $(
            #[test]
            fn $case() {
                is_reported_with_its_location_and_writes_nothing(
                    &stringify!($case).replace('_', "-"),
                );
            }
        )*

        /// The fixture directory of every test above.
        const CASES: &[&str] = &[$(stringify!($case)),*];
    };
}

bad_inputs! {
    answer_too_large_for_udp,
    check_format_github,
    check_format_json_malformed,
    cmdb_hostname_not_a_host,
    cname_and_other_data,
    cname_at_apex,
    cname_chain_too_long,
    cname_loop,
    csv_bad_ipv4,
    csv_duplicate_address,
    csv_duplicate_column,
    csv_duplicate_hostname,
    csv_empty_file,
    csv_ipv6_in_ipv4_column,
    csv_missing_status_column,
    csv_not_utf8,
    csv_unknown_datacenter,
    csv_unterminated_quote,
    csv_wrong_field_count,
    dangling_target,
    data_below_delegation,
    duplicate_record,
    host_collides_with_record,
    input_rule_not_configurable,
    invalid_hostname,
    json_truncated,
    label_too_long,
    missing_glue,
    missing_reverse,
    multiple_cnames,
    mx_target_is_alias,
    name_too_long,
    no_reverse_zone,
    out_of_zone_name,
    ptr_without_forward,
    records_entry_not_a_file,
    relative_target,
    rendered_zone_mismatch,
    rrset_too_large,
    service_file_name_invalid,
    service_missing_in_datacenter,
    severity_override,
    srv_target_is_alias,
    template_endless_loop,
    template_include_escape,
    template_syntax_error,
    ttl_mismatch,
    ttl_out_of_range,
    unknown_role,
    unknown_rule_id,
    unknown_status,
    yaml_alias_bomb,
    yaml_bad_duration,
    yaml_duplicate_key,
    yaml_empty_settings,
    yaml_field_not_for_type,
    yaml_misaligned_reverse_prefix,
    yaml_missing_port,
    yaml_not_utf8,
    yaml_relative_domain,
    yaml_syntax_error,
    yaml_unknown_key_typo,
    yaml_wrong_type,
    zone_name_with_dotdot,
    zone_name_with_slash,
}

/// Runs the case in `tests/fixtures/bad/<name>` and compares its transcript with the snapshot.
fn is_reported_with_its_location_and_writes_nothing(name: &str) {
    let case = fixtures().join("bad").join(name);
    assert!(case.is_dir(), "no fixture directory {}", case.display());
    let temp = tempfile::tempdir().unwrap();
    let repo = temp.path().join("repo");
    copy_tree(&fixtures().join("base"), &repo);
    if let Ok(deletions) = fs::read_to_string(case.join("_delete")) {
        for path in deletions.lines().filter(|line| !line.trim().is_empty()) {
            fs::remove_file(repo.join(path.trim())).unwrap();
        }
    }
    copy_tree(&case, &repo);
    let args = fs::read_to_string(case.join("_args")).unwrap_or_else(|_| "render".to_owned());
    let _ = fs::remove_file(repo.join("_args"));
    let _ = fs::remove_file(repo.join("_delete"));
    let before = list_files(&repo);

    let run = zonegate(&repo, &args.split_whitespace().collect::<Vec<_>>());
    let transcript = run
        .transcript()
        .replace(&repo.display().to_string(), "<repo>");
    insta::assert_snapshot!(format!("bad_input__{name}"), transcript);

    assert_ne!(run.code, 101, "{name}: panicked");
    if run.code != 0 {
        assert_eq!(
            list_files(&repo),
            before,
            "{name}: a rejected run wrote files"
        );
        assert!(
            !repo.join("out").exists(),
            "{name}: out/ exists after a rejected run"
        );
    }
}

#[test]
fn every_fixture_directory_has_a_test() {
    let mut directories: Vec<String> = fs::read_dir(fixtures().join("bad"))
        .unwrap()
        .map(|entry| {
            entry
                .unwrap()
                .file_name()
                .to_string_lossy()
                .replace('-', "_")
        })
        .collect();
    directories.sort();
    let mut cases = CASES.to_vec();
    cases.sort_unstable();
    let untested: Vec<&String> = directories
        .iter()
        .filter(|directory| !cases.contains(&directory.as_str()))
        .collect();
    assert!(
        untested.is_empty(),
        "fixture directories without a test (add them to `bad_inputs!`): {untested:?}"
    );
    assert_eq!(
        cases.len(),
        directories.len(),
        "a case named twice or without a directory"
    );
}

#[test]
fn the_base_repository_is_clean() {
    let temp = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("base"), temp.path());
    let run = zonegate(temp.path(), &["check"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (0, ""),
        "{}",
        run.transcript()
    );
    assert!(
        run.stderr.starts_with("no findings in ") && run.stderr.lines().count() == 1,
        "{}",
        run.transcript()
    );
}
