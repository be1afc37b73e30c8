//! Everything the staff pages do is also in the command line: accounts, group edits, rules,
//! images, staff roles, members, invitations and archiving, with clear refusals.

mod common;

use common::*;

fn ok(hearth: &Hearth, args: &[&str]) -> String {
    let (ok, out) = hearth.cli(args);
    assert!(ok, "hearth {}: {out}", args.join(" "));
    out
}

fn refused(hearth: &Hearth, args: &[&str], message: &str) {
    let (ok, out) = hearth.cli(args);
    assert!(!ok, "hearth {} should fail: {out}", args.join(" "));
    assert!(out.contains(message), "hearth {}: {out}", args.join(" "));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn groups_are_run_from_the_command_line() {
    let hearth = Hearth::start().await;
    hearth.create_account("alice", "correct horse battery", true);
    hearth.create_account("mo", "another long password", false);
    refused(
        &hearth,
        &["account", "create", "Bad Name"],
        "not a usable username",
    );
    let accounts = ok(&hearth, &["account", "list"]);
    assert!(
        accounts.contains("alice") && accounts.contains("mo"),
        "{accounts}"
    );

    hearth.create_group("hikers", &["--join-mode", "approval", "--language", "de"]);
    refused(&hearth, &["group", "create", "hikers"], "already exists");
    refused(
        &hearth,
        &["group", "create", "Hi Kers"],
        "not a usable group name",
    );
    ok(
        &hearth,
        &[
            "group",
            "edit",
            "hikers",
            "--title",
            "Wanderer",
            "--summary",
            "**Berge**",
            "--question",
            "Wo wanderst du?",
            "--unlisted",
        ],
    );
    refused(
        &hearth,
        &["group", "edit", "hikers", "--language", "not a tag"],
        "not a language tag",
    );
    let actor = hearth.get_json(&hearth.group("hikers")).await;
    assert_eq!(actor["name"], "Wanderer");
    assert_eq!(actor["manuallyApprovesFollowers"], true);
    assert_eq!(actor["discoverable"], false);
    assert!(actor["summary"]
        .as_str()
        .unwrap()
        .contains("<strong>Berge</strong>"));

    let rules = hearth.dir_path().join("rules.txt");
    std::fs::write(
        &rules,
        "# our rules\nBe kind | No insults.\nStay on paths\n",
    )
    .unwrap();
    let shown = ok(
        &hearth,
        &[
            "group",
            "rules",
            "hikers",
            "--file",
            rules.to_str().unwrap(),
        ],
    );
    assert!(
        shown.contains("1. Be kind — No insults.") && shown.contains("2. Stay on paths"),
        "{shown}"
    );
    std::fs::write(&rules, " | text without a name\n").unwrap();
    refused(
        &hearth,
        &[
            "group",
            "rules",
            "hikers",
            "--file",
            rules.to_str().unwrap(),
        ],
        "needs a short name",
    );
    assert!(
        ok(&hearth, &["group", "rules", "hikers"]).contains("Be kind"),
        "a refused file changes nothing"
    );

    let icon = hearth.dir_path().join("icon.png");
    std::fs::write(&icon, PIXEL_PNG).unwrap();
    assert!(ok(
        &hearth,
        &["group", "icon", "hikers", icon.to_str().unwrap()]
    )
    .contains("/media/"));
    let fake = hearth.dir_path().join("fake.png");
    std::fs::write(&fake, "<html>not an image</html>").unwrap();
    refused(
        &hearth,
        &["group", "banner", "hikers", fake.to_str().unwrap()],
        "not a PNG, JPEG, GIF or WebP",
    );

    ok(
        &hearth,
        &[
            "group",
            "staff",
            "add",
            "hikers",
            "mo",
            "--role",
            "moderator",
        ],
    );
    refused(
        &hearth,
        &["group", "staff", "add", "hikers", "nobody"],
        "no account named",
    );
    refused(
        &hearth,
        &["group", "staff", "add", "hikers", "mo", "--role", "king"],
        "unknown role",
    );
    let staff = ok(&hearth, &["group", "staff", "list", "hikers"]);
    assert!(
        staff.contains("mo") && staff.contains("moderator"),
        "{staff}"
    );
    assert!(ok(&hearth, &["account", "list"]).contains("moderator of hikers"));

    // A join request shows its answers; approving it makes a member.
    let masto = peer("mastodon").await;
    let bob = masto.add_person("bob").await.unwrap();
    let mut request = follow(&masto, &bob, &hearth.group("hikers"));
    request["content"] = serde_json::json!("Im Harz, jedes Wochenende");
    deliver_expect(&masto, &bob, &hearth.group_inbox("hikers"), &request, 202).await;
    let pending = ok(&hearth, &["group", "pending", "hikers"]);
    assert!(pending.contains("Im Harz, jedes Wochenende"), "{pending}");
    assert!(ok(&hearth, &["group", "members", "hikers"]).contains("No members"));
    ok(&hearth, &["group", "approve", "hikers", bob.as_str()]);
    let members = ok(&hearth, &["group", "members", "hikers", "--search", "bob"]);
    assert!(
        members.contains("@bob@") && members.contains("1 of 1 member"),
        "{members}"
    );

    ok(
        &hearth,
        &[
            "group",
            "invite",
            "hikers",
            "https://friendica.example/profile/eve",
        ],
    );
    refused(
        &hearth,
        &["group", "invite", "hikers", "eve"],
        "not an account URL",
    );
    ok(
        &hearth,
        &[
            "group",
            "uninvite",
            "hikers",
            "https://friendica.example/profile/eve",
        ],
    );

    ok(&hearth, &["group", "archive", "hikers"]);
    let archived_row = |hearth: &Hearth| {
        ok(hearth, &["group", "show", "hikers"])
            .lines()
            .find(|l| l.contains("archived"))
            .unwrap()
            .to_owned()
    };
    assert!(
        archived_row(&hearth).contains("UTC"),
        "{}",
        archived_row(&hearth)
    );
    ok(&hearth, &["group", "archive", "hikers", "--restore"]);
    assert!(archived_row(&hearth).contains("no"));
    ok(&hearth, &["group", "staff", "remove", "hikers", "mo"]);
    refused(
        &hearth,
        &["group", "staff", "remove", "hikers", "mo"],
        "has no role",
    );

    let help = ok(&hearth, &["group", "--help"]);
    for command in [
        "edit", "rules", "archive", "icon", "members", "staff", "invite",
    ] {
        assert!(
            help.contains(command),
            "group --help lists {command}: {help}"
        );
    }
}
