//! Each way the keychain can be out of reach gets exit code 4 and a message naming what to start or install,
//! never a silent fallback and never a hang: no bus at all, a bus with no Secret Service on it, a Secret
//! Service whose keyring is locked, and one that never answers.

use crate::{handoff as run_handoff, run, simulator, text, CANARY_TOKEN};

/// A session bus with no service activation: nothing can start a Secret Service behind the test's back (with
/// activation, D-Bus would start gnome-keyring, which then waits on an unlock prompt).
const BARE_SESSION_BUS: &str = r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"#;

#[tokio::test(flavor = "multi_thread")]
async fn an_unreachable_keychain_is_named_and_nothing_is_saved() {
    let sim = simulator().await;
    let scratch = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bus_config = scratch.path().join("session.conf");
    std::fs::write(&bus_config, BARE_SESSION_BUS).unwrap_or_else(|e| panic!("{e}"));
    let bus_config = bus_config.to_str().unwrap_or_default().to_owned();
    let keyring_home = scratch.path().join("keyring-home");
    let keyring_home = keyring_home.to_str().unwrap_or_default().to_owned();
    let stopped_home = scratch.path().join("stopped-keyring-home");
    let stopped_home = stopped_home.to_str().unwrap_or_default().to_owned();
    let handoff = env!("CARGO_BIN_EXE_handoff");

    // (case, program, arguments before handoff's own, environment, what the message must name)
    type Case<'a> = (
        &'a str,
        &'a str,
        Vec<&'a str>,
        Vec<(&'a str, &'a str)>,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            "no session bus",
            handoff,
            vec![],
            vec![("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")],
            "dbus-run-session",
        ),
        (
            "a bus without a Secret Service",
            "dbus-run-session",
            vec!["--config-file", &bus_config, "--", handoff],
            vec![],
            "no secret service is running",
        ),
        (
            "a locked keyring",
            "dbus-run-session",
            vec![
                "--config-file", &bus_config, "--", "sh", "-c",
                "gnome-keyring-daemon --start --components=secrets >/dev/null 2>&1; exec \"$0\" \"$@\"", handoff,
            ],
            vec![("XDG_DATA_HOME", &keyring_home)],
            "the keychain is locked",
        ),
        (
            // gnome-keyring is stopped (SIGSTOP) once it is on the bus: every call to it waits forever, as when
            // it shows an unlock prompt nobody answers. The call is given up after the limit, not waited on.
            "a keychain that never answers",
            "dbus-run-session",
            vec![
                "--config-file", &bus_config, "--", "sh", "-c",
                "echo -n pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; \
                 for i in $(seq 50); do pid=$(dbus-send --session --print-reply --dest=org.freedesktop.DBus / \
                   org.freedesktop.DBus.GetConnectionUnixProcessID string:org.freedesktop.secrets 2>/dev/null \
                   | awk '/uint32/ {print $2}'); [ -n \"$pid\" ] && break; sleep 0.1; done; \
                 kill -STOP $pid; \"$0\" \"$@\"; status=$?; kill -KILL $pid; exit $status", handoff,
            ],
            vec![("XDG_DATA_HOME", &stopped_home), ("HANDOFF_KEYCHAIN_TIMEOUT_MS", "1500")],
            "the keychain did not answer within 1.5 s",
        ),
    ];
    for (case, program, mut args, env, advice) in cases {
        let data_dir = scratch.path().join(case.replace(' ', "-"));
        let data_dir = data_dir.to_str().unwrap_or_default().to_owned();
        args.extend([
            "--data-dir",
            &data_dir,
            "connect",
            "--zendesk-url",
            &sim.base_url,
            "--subdomain",
            "d3v-sim",
            "--email",
            "admin@example.com",
            "--token-stdin",
        ]);
        let output = run(program, &args, CANARY_TOKEN, &env);
        assert_eq!(output.status.code(), Some(4), "{case}: {}", text(&output));
        assert!(
            text(&output).to_lowercase().contains(advice),
            "{case}: the message should say {advice:?}: {}",
            text(&output)
        );
        assert!(
            !text(&output).contains(CANARY_TOKEN),
            "{case}: the token leaked: {}",
            text(&output)
        );
        let status = run_handoff(&["--data-dir", &data_dir, "status"], "", &[]);
        assert_eq!(
            status.status.code(),
            Some(5),
            "{case}: nothing may be saved: {}",
            text(&status)
        );
    }
}
