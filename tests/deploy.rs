//! The deployment files agree with each other and with the service: the Dockerfile, fly.toml
//! and the Grafana provisioning. A wrong port, signal or timeout in them only shows once
//! deployed, so it is checked here, on every `cargo test`, without Docker or flyctl.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative: &str) -> String {
    let path = root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

// ---------------------------------------------------------------------------------------------
// The Dockerfile, parsed just enough: instructions with continuation lines joined, comments
// dropped, and the stage each one belongs to.
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
struct Stage {
    image: String,
    name: Option<String>,
}

#[derive(Debug)]
struct Instruction {
    /// Upper case: `FROM`, `COPY`, `RUN`…
    keyword: String,
    args: String,
    /// Index into `Dockerfile::stages`; `None` before the first `FROM` (global `ARG`s).
    stage: Option<usize>,
    line: usize,
}

#[derive(Debug)]
struct Dockerfile {
    stages: Vec<Stage>,
    instructions: Vec<Instruction>,
}

impl Dockerfile {
    fn load() -> Self {
        Self::parse(&read("Dockerfile"))
    }

    fn parse(text: &str) -> Self {
        let mut stages: Vec<Stage> = Vec::new();
        let mut instructions = Vec::new();
        let mut pending = String::new();
        let mut start = 0;
        for (index, raw) in text.lines().enumerate() {
            let line = raw.trim();
            // Comment and blank lines end nothing, even inside a continuation.
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if pending.is_empty() {
                start = index + 1;
            }
            if let Some(head) = line.strip_suffix('\\') {
                pending.push_str(head);
                pending.push(' ');
                continue;
            }
            pending.push_str(line);
            let whole = std::mem::take(&mut pending);
            let (keyword, args) = whole
                .split_once(char::is_whitespace)
                .unwrap_or((whole.as_str(), ""));
            let keyword = keyword.to_ascii_uppercase();
            let args = args.trim().to_owned();
            if keyword == "FROM" {
                let words: Vec<&str> = args
                    .split_whitespace()
                    .filter(|w| !w.starts_with("--"))
                    .collect();
                let image = words.first().map(|w| w.to_string()).unwrap_or_default();
                let name = match words.as_slice() {
                    [_, as_, name, ..] if as_.eq_ignore_ascii_case("as") => Some(name.to_string()),
                    _ => None,
                };
                stages.push(Stage { image, name });
            }
            instructions.push(Instruction {
                keyword,
                args,
                stage: stages.len().checked_sub(1),
                line: start,
            });
        }
        assert!(
            pending.is_empty(),
            "the Dockerfile ends inside a continuation line"
        );
        Self {
            stages,
            instructions,
        }
    }

    fn final_stage(&self) -> usize {
        assert!(!self.stages.is_empty(), "the Dockerfile has no FROM");
        self.stages.len() - 1
    }

    /// The instructions with this keyword in this stage, in order.
    fn in_stage<'a>(
        &'a self,
        stage: usize,
        keyword: &'a str,
    ) -> impl Iterator<Item = &'a Instruction> {
        self.instructions
            .iter()
            .filter(move |i| i.stage == Some(stage) && i.keyword == keyword)
    }

    /// The last value the final stage sets for `name` with `ENV`.
    fn env(&self, name: &str) -> Option<String> {
        self.in_stage(self.final_stage(), "ENV")
            .flat_map(|i| env_pairs(&i.args))
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value)
            .last()
    }
}

/// The words of an exec-form (`["fnt", "serve"]`) or shell-form (`fnt serve`) command.
fn command_words(args: &str) -> Vec<String> {
    let args = args.trim();
    if args.starts_with('[') {
        serde_json::from_str(args).unwrap_or_else(|e| panic!("bad exec form {args}: {e}"))
    } else {
        args.split_whitespace().map(str::to_owned).collect()
    }
}

/// `ENV A=1 B="two"` or the legacy `ENV A 1`.
fn env_pairs(args: &str) -> Vec<(String, String)> {
    let unquote = |v: &str| v.trim_matches('"').to_owned();
    match args.split_once(char::is_whitespace) {
        Some((key, value)) if !key.contains('=') => vec![(key.to_owned(), unquote(value.trim()))],
        _ => args
            .split_whitespace()
            .filter_map(|pair| pair.split_once('='))
            .map(|(key, value)| (key.to_owned(), unquote(value)))
            .collect(),
    }
}

/// The sources of a `COPY`/`ADD` from the build context; `None` for `COPY --from=…`.
fn copy_sources(args: &str) -> Option<Vec<String>> {
    let (flags, rest): (Vec<&str>, Vec<&str>) =
        args.split_whitespace().partition(|w| w.starts_with("--"));
    if flags.iter().any(|f| f.starts_with("--from")) {
        return None;
    }
    let mut words = if rest.first().is_some_and(|w| w.starts_with('[')) {
        command_words(&rest.join(" "))
    } else {
        rest.iter().map(|w| w.to_string()).collect()
    };
    words.pop(); // the destination
    Some(words)
}

fn is_copy_of(instruction: &Instruction, path: &str) -> bool {
    instruction.keyword == "COPY"
        && copy_sources(&instruction.args)
            .is_some_and(|sources| sources.iter().any(|s| s.trim_end_matches('/') == path))
}

fn exposed_ports(docker: &Dockerfile) -> Vec<u16> {
    docker
        .in_stage(docker.final_stage(), "EXPOSE")
        .flat_map(|i| i.args.split_whitespace())
        .map(|p| {
            let port = p.trim_end_matches("/tcp");
            port.parse()
                .unwrap_or_else(|e| panic!("EXPOSE {p}: not a TCP port: {e}"))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// fly.toml
// ---------------------------------------------------------------------------------------------

fn fly() -> toml::Table {
    toml::from_str(&read("fly.toml")).unwrap_or_else(|e| panic!("fly.toml does not parse: {e}"))
}

/// The value at a dotted path such as `http_service.concurrency.type`.
fn at<'a>(table: &'a toml::Table, path: &str) -> &'a toml::Value {
    let mut keys = path.split('.');
    let first = keys.next().unwrap_or_default();
    let mut value = table
        .get(first)
        .unwrap_or_else(|| panic!("fly.toml has no `{path}`"));
    for key in keys {
        value = value
            .get(key)
            .unwrap_or_else(|| panic!("fly.toml has no `{path}`"));
    }
    value
}

fn int_at(table: &toml::Table, path: &str) -> i64 {
    at(table, path)
        .as_integer()
        .unwrap_or_else(|| panic!("fly.toml: `{path}` must be an integer"))
}

fn str_at<'a>(table: &'a toml::Table, path: &str) -> &'a str {
    at(table, path)
        .as_str()
        .unwrap_or_else(|| panic!("fly.toml: `{path}` must be a string"))
}

fn env_at<'a>(table: &'a toml::Table, name: &str) -> &'a str {
    str_at(table, &format!("env.{name}"))
}

fn socket(name: &str, value: &str) -> SocketAddr {
    value
        .parse()
        .unwrap_or_else(|e| panic!("{name}={value} is not an address:port: {e}"))
}

/// Seconds in a Fly duration: an integer (seconds) or a Go duration such as "40s", "1m30s".
fn fly_seconds(value: &toml::Value) -> u64 {
    if let Some(seconds) = value.as_integer() {
        return u64::try_from(seconds).expect("a negative duration");
    }
    let text = value
        .as_str()
        .expect("a duration is an integer or a string");
    let mut total = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let amount: u64 = number
            .parse()
            .unwrap_or_else(|_| panic!("bad duration {text:?}"));
        total += amount
            * match c {
                'h' => 3600,
                'm' => 60,
                's' => 1,
                _ => panic!("bad duration {text:?}: unit {c:?} (use h, m or s)"),
            };
        number.clear();
    }
    assert!(
        number.is_empty(),
        "bad duration {text:?}: a number without a unit"
    );
    total
}

// ---------------------------------------------------------------------------------------------
// Dockerfile
// ---------------------------------------------------------------------------------------------

#[test]
fn the_dockerfile_has_a_named_build_stage_and_a_runtime_stage() {
    let docker = Dockerfile::load();
    assert!(
        docker.stages.len() >= 2,
        "the Dockerfile needs a build stage and a runtime stage (FROM … AS …), found {:?}",
        docker.stages
    );
    for stage in &docker.stages[..docker.stages.len() - 1] {
        assert!(
            stage.name.is_some(),
            "build stage FROM {} has no name (FROM {} AS builder)",
            stage.image,
            stage.image
        );
    }
}

#[test]
fn dependencies_are_built_in_their_own_layer_before_the_sources_are_copied() {
    let docker = Dockerfile::load();
    let copy_src = docker
        .instructions
        .iter()
        .position(|i| is_copy_of(i, "src"))
        .expect("the Dockerfile never copies src/");
    let stage = docker.instructions[copy_src].stage;
    let before = &docker.instructions[..copy_src];
    let after = &docker.instructions[copy_src + 1..];
    let same_stage = |i: &&Instruction| i.stage == stage;
    let builds = |i: &&Instruction| i.keyword == "RUN" && i.args.contains("cargo build");

    for manifest in ["Cargo.toml", "Cargo.lock"] {
        assert!(
            before
                .iter()
                .filter(same_stage)
                .any(|i| is_copy_of(i, manifest)),
            "{manifest} must be copied before src/ so the dependency layer depends on it alone"
        );
    }
    let deps = before.iter().filter(same_stage).find(builds).unwrap_or_else(|| {
        panic!("no `RUN cargo build` before `COPY src` (line {}): dependencies would rebuild on every source change",
            docker.instructions[copy_src].line)
    });
    assert!(
        deps.args.contains("--locked"),
        "the dependency build (line {}) must use --locked to build what Cargo.lock says",
        deps.line
    );
    let real = after
        .iter()
        .filter(same_stage)
        .find(builds)
        .expect("no `RUN cargo build` after `COPY src`");
    for flag in ["--release", "--locked"] {
        assert!(
            real.args.contains(flag),
            "the build at line {} lacks {flag}",
            real.line
        );
    }
}

/// Cargo refuses a manifest whose declared targets are missing, so the dependency layer must
/// stand in for every `[[test]]` and `[[bench]]` that Cargo.toml declares.
#[test]
fn the_dependency_layer_stubs_every_declared_target() {
    let docker = Dockerfile::load();
    let copy_src = docker
        .instructions
        .iter()
        .position(|i| is_copy_of(i, "src"))
        .expect("the Dockerfile never copies src/");
    let deps = docker.instructions[..copy_src]
        .iter()
        .find(|i| i.keyword == "RUN" && i.args.contains("cargo build"))
        .expect("a dependency build");
    let manifest: toml::Table = read("Cargo.toml").parse().expect("Cargo.toml parses");
    for (kind, dir) in [("test", "tests"), ("bench", "benches")] {
        for target in manifest
            .get(kind)
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
        {
            let name = target["name"].as_str().expect("a target name");
            let default = format!("{dir}/{name}.rs");
            let path = target
                .get("path")
                .and_then(toml::Value::as_str)
                .unwrap_or(&default);
            assert!(
                deps.args
                    .split_whitespace()
                    .any(|word| word.trim_matches([';', '"', '\'']) == path),
                "the dependency layer (line {}) does not stand in for {kind} `{name}` at {path}",
                deps.line
            );
        }
    }
}

/// Cargo loads every workspace member before it builds any package, so the dependency layer
/// must copy each member's manifest and stand in for the targets it declares (the image never
/// builds the members: they are the service's dev-dependencies).
#[test]
fn the_dependency_layer_has_every_workspace_member() {
    let docker = Dockerfile::load();
    let copy_src = docker
        .instructions
        .iter()
        .position(|i| is_copy_of(i, "src"))
        .expect("the Dockerfile never copies src/");
    let before = &docker.instructions[..copy_src];
    let deps = before
        .iter()
        .find(|i| i.keyword == "RUN" && i.args.contains("cargo build"))
        .expect("a dependency build");
    let stands_in_for = |path: &str| {
        deps.args
            .split_whitespace()
            .any(|word| word.trim_matches([';', '"', '\'']) == path)
    };
    let manifest: toml::Table = read("Cargo.toml").parse().expect("Cargo.toml parses");
    let members: Vec<&str> = manifest
        .get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(toml::Value::as_array)
        .expect("Cargo.toml lists its workspace members")
        .iter()
        .map(|m| m.as_str().expect("a member path"))
        .filter(|&m| m != ".")
        .collect();
    assert!(!members.is_empty(), "the workspace has no member crates");
    for member in members {
        let member_manifest = format!("{member}/Cargo.toml");
        assert!(
            before.iter().any(|i| is_copy_of(i, &member_manifest)),
            "{member_manifest} is not copied before src/: Cargo would not find the workspace member"
        );
        let table: toml::Table = read(&member_manifest)
            .parse()
            .unwrap_or_else(|e| panic!("{member_manifest}: {e}"));
        let mut targets = vec![
            table
                .get("lib")
                .and_then(|lib| lib.get("path"))
                .and_then(toml::Value::as_str)
                .unwrap_or("src/lib.rs")
                .to_owned(),
        ];
        for bin in table
            .get("bin")
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
        {
            let path = bin
                .get("path")
                .and_then(toml::Value::as_str)
                .unwrap_or_else(|| panic!("{member_manifest}: a [[bin]] without a path"));
            targets.push(path.to_owned());
        }
        for target in targets {
            let path = format!("{member}/{target}");
            assert!(
                root().join(&path).exists(),
                "{member_manifest} declares {path}, which does not exist"
            );
            assert!(
                stands_in_for(&path),
                "the dependency layer (line {}) does not stand in for {path}",
                deps.line
            );
        }
    }
}

#[test]
fn the_runtime_stage_is_small_and_unprivileged() {
    let docker = Dockerfile::load();
    let last = docker.final_stage();
    let image = &docker.stages[last].image;
    assert!(
        ["-slim", "distroless", "alpine", "scratch"]
            .iter()
            .any(|small| image.contains(small)),
        "the runtime stage FROM {image} is not a small base image (bookworm-slim, distroless…)"
    );
    let user = docker
        .in_stage(last, "USER")
        .last()
        .expect("the runtime stage has no USER: fnt would run as root");
    let name = user.args.split(':').next().unwrap_or_default().trim();
    assert!(
        !name.is_empty() && name != "root" && name != "0",
        "USER {} runs fnt as root",
        user.args
    );
}

#[test]
fn the_healthcheck_runs_fnt_healthcheck() {
    let docker = Dockerfile::load();
    let check = docker
        .in_stage(docker.final_stage(), "HEALTHCHECK")
        .last()
        .expect("the runtime stage has no HEALTHCHECK");
    let (_, command) = check
        .args
        .split_once("CMD")
        .unwrap_or_else(|| panic!("HEALTHCHECK {} has no CMD", check.args));
    let words = command_words(command);
    let program = words
        .first()
        .map(|w| w.rsplit('/').next().unwrap_or_default());
    assert!(
        program == Some("fnt") && words[1..] == ["healthcheck"],
        "HEALTHCHECK must run `fnt healthcheck`, runs {words:?}"
    );
}

#[test]
fn the_image_listens_on_the_ports_it_exposes() {
    let docker = Dockerfile::load();
    let exposed = exposed_ports(&docker);
    for name in ["FNT_BIND", "FNT_METRICS_BIND"] {
        let value = docker
            .env(name)
            .unwrap_or_else(|| panic!("the runtime stage does not set {name}"));
        let port = socket(name, &value).port();
        assert!(
            exposed.contains(&port),
            "{name}={value} but the image exposes {exposed:?}"
        );
    }
}

#[test]
fn every_copied_path_exists_and_is_in_the_build_context() {
    let docker = Dockerfile::load();
    let ignored: Vec<String> = read(".dockerignore")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| l.trim_matches('/').to_owned())
        .collect();
    let mut copied = 0;
    for instruction in docker
        .instructions
        .iter()
        .filter(|i| matches!(i.keyword.as_str(), "COPY" | "ADD"))
    {
        let Some(sources) = copy_sources(&instruction.args) else {
            continue; // COPY --from=another stage
        };
        for source in sources {
            copied += 1;
            assert!(
                root().join(&source).exists(),
                "line {}: {} {} copies {source}, which is not in the repository",
                instruction.line,
                instruction.keyword,
                instruction.args
            );
            let path = source.trim_matches('/');
            assert!(
                !ignored.iter().any(|pattern| pattern == path),
                "line {}: {source} is copied but .dockerignore leaves it out of the build context",
                instruction.line
            );
        }
    }
    assert!(
        copied > 0,
        "the Dockerfile copies nothing from the build context"
    );
}

#[test]
fn the_image_exposes_the_ports_fly_uses() {
    let docker = Dockerfile::load();
    let fly = fly();
    let exposed = exposed_ports(&docker);
    for path in ["http_service.internal_port", "metrics.port"] {
        let port = int_at(&fly, path);
        assert!(
            exposed.iter().any(|&p| i64::from(p) == port),
            "fly.toml {path} = {port}, but the Dockerfile exposes only {exposed:?}"
        );
    }
}

#[test]
fn the_release_command_runs_fnt_migrate() {
    let docker = Dockerfile::load();
    let fly = fly();
    let release = str_at(&fly, "deploy.release_command");
    // Fly runs the release command as the image's CMD, after its ENTRYPOINT.
    let entrypoint = docker
        .in_stage(docker.final_stage(), "ENTRYPOINT")
        .last()
        .map(|i| command_words(&i.args))
        .unwrap_or_default();
    let mut words = entrypoint;
    words.extend(release.split_whitespace().map(str::to_owned));
    let program = words
        .first()
        .map(|w| w.rsplit('/').next().unwrap_or_default());
    assert!(
        program == Some("fnt") && words[1..] == ["migrate"],
        "release_command = {release:?} with the image's ENTRYPOINT runs {words:?}, not `fnt migrate`"
    );
}

// ---------------------------------------------------------------------------------------------
// fly.toml
// ---------------------------------------------------------------------------------------------

#[test]
fn fly_stops_machines_the_way_fnt_drains() {
    let fly = fly();
    assert_eq!(
        str_at(&fly, "kill_signal"),
        "SIGTERM",
        "fnt drains on SIGTERM (or SIGINT); fly.toml kill_signal must send it"
    );
    let docker = Dockerfile::load();
    let stop = docker
        .in_stage(docker.final_stage(), "STOPSIGNAL")
        .last()
        .map(|i| i.args.as_str());
    assert!(
        stop.is_none_or(|s| s == "SIGTERM"),
        "the Dockerfile's STOPSIGNAL {stop:?} is not the SIGTERM fnt drains on"
    );

    let grace: u64 = env_at(&fly, "FNT_SHUTDOWN_GRACE_SECS")
        .parse()
        .expect("FNT_SHUTDOWN_GRACE_SECS must be a number of seconds");
    let kill_timeout = fly_seconds(at(&fly, "kill_timeout"));
    // The drain takes up to the grace period, then the HTTP server up to 5 s to stop.
    assert!(
        kill_timeout >= grace + 5,
        "kill_timeout ({kill_timeout} s) must cover FNT_SHUTDOWN_GRACE_SECS ({grace} s) + 5 s for the HTTP server, or the drain is killed midway"
    );
    assert!(
        kill_timeout <= 300,
        "Fly allows a kill_timeout of at most 300 s, not {kill_timeout} s"
    );
}

#[test]
fn fly_health_checks_probe_healthz_and_readyz() {
    let fly = fly();
    let checks = at(&fly, "http_service.checks")
        .as_array()
        .expect("[[http_service.checks]] must be an array of tables");
    for path in ["/healthz", "/readyz"] {
        let check = checks
            .iter()
            .find(|c| c.get("path").and_then(toml::Value::as_str) == Some(path))
            .unwrap_or_else(|| panic!("no [[http_service.checks]] with path = {path:?}"));
        if let Some(method) = check.get("method").and_then(toml::Value::as_str) {
            assert!(
                method.eq_ignore_ascii_case("get"),
                "{path} answers GET, not {method}"
            );
        }
        for key in ["interval", "timeout", "grace_period"] {
            let value = check
                .get(key)
                .unwrap_or_else(|| panic!("the {path} check has no {key}"));
            assert!(fly_seconds(value) > 0, "the {path} check's {key} is zero");
        }
        assert!(
            fly_seconds(&check["timeout"]) < fly_seconds(&check["interval"]),
            "the {path} check's timeout must be shorter than its interval"
        );
    }
}

#[test]
fn fly_routes_to_the_port_fnt_binds() {
    let fly = fly();
    let bind = socket("FNT_BIND", env_at(&fly, "FNT_BIND"));
    let internal_port = int_at(&fly, "http_service.internal_port");
    assert_eq!(
        i64::from(bind.port()),
        internal_port,
        "FNT_BIND listens on {bind} but Fly's proxy sends traffic to port {internal_port}"
    );
    assert!(
        !bind.ip().is_loopback(),
        "FNT_BIND={bind} is loopback: Fly's proxy cannot reach it"
    );
}

#[test]
fn fly_scrapes_metrics_where_fnt_serves_them() {
    let fly = fly();
    let metrics = socket("FNT_METRICS_BIND", env_at(&fly, "FNT_METRICS_BIND"));
    let port = int_at(&fly, "metrics.port");
    assert_eq!(
        i64::from(metrics.port()),
        port,
        "FNT_METRICS_BIND listens on {metrics} but Fly scrapes port {port}"
    );
    assert_eq!(str_at(&fly, "metrics.path"), "/metrics");
    assert_ne!(
        port,
        int_at(&fly, "http_service.internal_port"),
        "metrics on the public port would publish them to the internet"
    );
}

#[test]
fn fly_keeps_machines_running_for_background_jobs() {
    let fly = fly();
    let min = int_at(&fly, "http_service.min_machines_running");
    assert!(
        min >= 2,
        "min_machines_running = {min}: one machine is a single point of failure"
    );
    let auto_stop = at(&fly, "http_service.auto_stop_machines");
    assert!(
        auto_stop.as_str() == Some("off") || auto_stop.as_bool() == Some(false),
        "auto_stop_machines = {auto_stop}: Fly would stop machines that look idle while they run jobs"
    );
}

#[test]
fn fly_concurrency_limits_are_consistent() {
    let fly = fly();
    let kind = str_at(&fly, "http_service.concurrency.type");
    assert!(
        kind == "requests" || kind == "connections",
        "http_service.concurrency.type = {kind:?}"
    );
    let soft = int_at(&fly, "http_service.concurrency.soft_limit");
    let hard = int_at(&fly, "http_service.concurrency.hard_limit");
    assert!(
        0 < soft && soft <= hard,
        "concurrency soft_limit ({soft}) must be positive and at most hard_limit ({hard})"
    );
}

#[test]
fn fly_builds_the_dockerfile_in_this_repository() {
    let fly = fly();
    let dockerfile = str_at(&fly, "build.dockerfile");
    assert!(
        root().join(dockerfile).is_file(),
        "fly.toml builds {dockerfile}, which does not exist"
    );
}

// ---------------------------------------------------------------------------------------------
// grafana/
// ---------------------------------------------------------------------------------------------

fn yaml(relative: &str) -> serde_yaml::Value {
    serde_yaml::from_str(&read(relative))
        .unwrap_or_else(|e| panic!("{relative} does not parse: {e}"))
}

/// Every `datasource` object in the dashboard (panels, targets, variables), wherever it is.
fn datasources<'a>(value: &'a serde_json::Value, found: &mut Vec<&'a serde_json::Value>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                if key == "datasource" {
                    found.push(child);
                }
                datasources(child, found);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|item| datasources(item, found)),
        _ => {}
    }
}

#[test]
fn the_dashboard_uses_the_provisioned_data_source() {
    let provisioned = yaml("grafana/provisioning/datasources/prometheus.yml");
    let uid = provisioned["datasources"][0]["uid"]
        .as_str()
        .expect("the provisioned data source has no uid");
    let dashboard: serde_json::Value = serde_json::from_str(&read("grafana/dashboards/fnt.json"))
        .expect("grafana/dashboards/fnt.json is not JSON");
    let mut found = Vec::new();
    datasources(&dashboard, &mut found);
    let prometheus: Vec<_> = found
        .into_iter()
        .filter(|ds| ds["type"] == "prometheus")
        .collect();
    assert!(
        !prometheus.is_empty(),
        "the dashboard queries no Prometheus data source"
    );
    for ds in prometheus {
        assert_eq!(
            ds["uid"].as_str(),
            Some(uid),
            "a panel uses data source {ds}, not the provisioned uid {uid:?}"
        );
    }

    let providers = yaml("grafana/provisioning/dashboards/fnt.yml");
    let path = providers["providers"][0]["options"]["path"]
        .as_str()
        .expect("the dashboard provider has no options.path");
    assert_eq!(
        path, "/var/lib/grafana/dashboards",
        "grafana/README.md mounts the dashboards there"
    );
}

#[test]
fn prometheus_loads_rule_files_that_exist() {
    let config = yaml("grafana/prometheus/prometheus.yml");
    let rule_files = config["rule_files"]
        .as_sequence()
        .expect("prometheus.yml has no rule_files");
    assert!(!rule_files.is_empty(), "prometheus.yml loads no rule files");
    let dir = Path::new("grafana/prometheus");
    for file in rule_files {
        let file = file.as_str().expect("a rule file is a path");
        assert!(
            root().join(dir).join(file).is_file(),
            "prometheus.yml loads {file}, which is not in grafana/prometheus/"
        );
    }
}
