//! What is tested is what is served: a zone template can lay the records out, but cannot add,
//! drop or change one, nor write a directive that would. Each way a pull request could smuggle
//! text through `zones/templates/zone.j2` is refused by `render` (exit 1, nothing written: no
//! output, staging directory or lock file) and by `check` (exit 1, a `rendered-zone-mismatch`
//! finding at the template line), and the merge bot does not merge it. The built-in template
//! and the example repository render exactly as before.
#![allow(clippy::disallowed_methods)] // Tests write repositories and read what was rendered.

mod support;

use std::fs;
use std::path::Path;

use support::forge::Fixture;
use support::{copy_tree, example_repository, fixtures, list_files, zonegate};
use zonegate::merge::Verdict;
use zonegate::render::DEFAULT_TEMPLATE;

/// The built-in template with `extra` lines after the records.
fn with_lines(extra: &str) -> String {
    format!("{DEFAULT_TEMPLATE}{extra}\n")
}

/// A copy of the base fixture whose template is `template`.
fn repository_with(template: &str) -> tempfile::TempDir {
    let temp = tempfile::tempdir().unwrap();
    copy_tree(&fixtures().join("base"), temp.path());
    fs::create_dir_all(temp.path().join("zones/templates")).unwrap();
    fs::write(temp.path().join("zones/templates/zone.j2"), template).unwrap();
    temp
}

/// Runs `render` and `check` on the base fixture with `template`: both must refuse (exit 1),
/// `render` writing nothing at all. Returns both transcripts for the snapshot.
fn refused(template: &str) -> String {
    let repo = repository_with(template);
    let before = list_files(repo.path());
    let render = zonegate(repo.path(), &["render"]);
    assert_eq!(render.code, 1, "{}", render.transcript());
    assert_eq!(
        list_files(repo.path()),
        before,
        "a refused render writes nothing"
    );
    let leftovers: Vec<String> = fs::read_dir(repo.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "zones")
        .collect();
    assert!(
        leftovers.is_empty(),
        "no output, staging directory or lock file: {leftovers:?}"
    );
    let check = zonegate(repo.path(), &["check"]);
    assert_eq!(check.code, 1, "{}", check.transcript());
    assert!(
        check
            .stdout
            .lines()
            .any(|line| line.starts_with("zones/templates/zone.j2:")
                && line.contains(": error[rendered-zone-mismatch]: ")),
        "check locates the finding at the template line:\n{}",
        check.stdout
    );
    format!(
        "$ zonegate render\n{}\n$ zonegate check\n{}",
        render.transcript(),
        check.transcript()
    )
}

#[test]
fn an_include_directive_is_refused() {
    insta::assert_snapshot!(refused(&with_lines("$INCLUDE /etc/hostname")));
}

#[test]
fn a_generate_directive_is_refused() {
    insta::assert_snapshot!(refused(&with_lines(
        "$GENERATE 1-5000 evil$ 60 IN A 10.66.0.1"
    )));
}

#[test]
fn a_second_origin_is_refused() {
    insta::assert_snapshot!(refused(&with_lines(
        "$ORIGIN other.\nwww 60 IN A 10.66.0.1"
    )));
}

#[test]
fn a_plain_record_line_is_refused() {
    insta::assert_snapshot!(refused(&with_lines("smuggled 60 IN A 10.66.0.2")));
}

#[test]
fn a_record_dropped_from_the_body_is_refused() {
    // Changing the marker makes the renderer evaluate the template with the real body; the
    // `replace` then drops the web record of the base fixture.
    let template = DEFAULT_TEMPLATE.replace(
        "{{ body }}",
        "{{ body | replace('zonegate-body', 'body') | replace('www\\t300\\tIN\\tCNAME\\tweb1.ams.example.com.\\n', '') }}",
    );
    insta::assert_snapshot!(refused(&template));
}

#[test]
fn the_body_inside_a_comment_is_refused() {
    insta::assert_snapshot!(refused(
        &DEFAULT_TEMPLATE.replace("{{ body }}", "; {{ body }}")
    ));
}

#[test]
fn an_unclosed_parenthesis_swallowing_the_body_is_refused() {
    insta::assert_snapshot!(refused(&DEFAULT_TEMPLATE.replace("\t\t)\n", "")));
}

#[test]
fn the_body_twice_is_refused() {
    insta::assert_snapshot!(refused(
        &DEFAULT_TEMPLATE.replace("{{ body }}", "{{ body }}\n{{ body }}")
    ));
}

#[test]
fn the_finding_is_a_pull_request_annotation_at_the_template_line() {
    let repo = repository_with(&with_lines("$INCLUDE /etc/hostname"));
    let check = zonegate(repo.path(), &["check", "--format", "github"]);
    assert_eq!(check.code, 1, "{}", check.transcript());
    insta::assert_snapshot!(check.stdout);
}

#[test]
fn deploy_refuses_before_touching_a_target() {
    let repo = repository_with(&with_lines("$INCLUDE /etc/hostname"));
    let settings = repo.path().join("zones/zonegate.yaml");
    let mut text = fs::read_to_string(&settings).unwrap();
    text.push_str(
        "deploy:\n  targets:\n    - name: files\n      kind: dir\n      zone_directory: installed\n",
    );
    fs::write(&settings, text).unwrap();
    fs::create_dir(repo.path().join("installed")).unwrap();
    let deploy = zonegate(repo.path(), &["deploy"]);
    assert_eq!(deploy.code, 1, "{}", deploy.transcript());
    assert!(
        deploy
            .stderr
            .contains("deploy refused: the rendered text of 3 zone(s) does not hold exactly their records; nothing was deployed"),
        "{}",
        deploy.stderr
    );
    assert_eq!(
        fs::read_dir(repo.path().join("installed")).unwrap().count(),
        0,
        "nothing was installed"
    );
}

#[test]
fn the_bot_does_not_merge_a_template_that_smuggles_records() {
    let fixture = Fixture::new();
    let main = fixture.main();
    let template = with_lines("$INCLUDE /etc/hostname");
    let number = fixture.pull(
        "nicer-header",
        &[("zones/templates/zone.j2", Some(&template))],
    );
    fixture.approve(number, "bob");
    let (outcomes, log) = fixture.pass();
    assert_eq!(outcomes[0].verdict, Some(Verdict::Reject), "{log}");
    assert!(
        outcomes[0]
            .reasons
            .iter()
            .any(|reason| reason.contains("error[rendered-zone-mismatch]")
                && reason.contains("`$INCLUDE` directive")),
        "{:?}",
        outcomes[0].reasons
    );
    assert_eq!(fixture.main(), main, "main did not move");
    let record = fixture.forge().record(number).unwrap();
    assert_eq!(record.state, "open");
    assert_eq!(record.statuses[0].state, "failure");
    assert!(
        record.comments[0].body.contains("rendered-zone-mismatch"),
        "{}",
        record.comments[0].body
    );
}

/// Every zone file `render` wrote into `repo/out`, by name.
fn rendered(repo: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = fs::read_dir(repo.join("out"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "zone")
        })
        .map(|path| {
            (
                path.file_name().unwrap().to_string_lossy().into_owned(),
                fs::read_to_string(&path).unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn the_built_in_template_and_a_copy_of_it_render_the_example_byte_for_byte_alike() {
    // The cli snapshots hold the example's zones as they were before the text was read back;
    // here the same zones come out of a repository template that is the built-in one.
    let built_in = example_repository();
    assert_eq!(zonegate(built_in.path(), &["render"]).code, 0);
    let copied = example_repository();
    fs::create_dir_all(copied.path().join("zones/templates")).unwrap();
    fs::write(
        copied.path().join("zones/templates/zone.j2"),
        DEFAULT_TEMPLATE,
    )
    .unwrap();
    let run = zonegate(copied.path(), &["render"]);
    assert_eq!(run.code, 0, "{}", run.transcript());
    let (built_in, copied) = (rendered(built_in.path()), rendered(copied.path()));
    assert_eq!(built_in.len(), 4);
    assert_eq!(built_in, copied);
}
