# syntax=docker/dockerfile:1

# ---------------------------------------------------------------------------------------------
# Build stage: compiles `fnt` in release mode.
# ---------------------------------------------------------------------------------------------
FROM rust:1.95-bookworm AS builder
WORKDIR /app

# Dependencies get their own layer, rebuilt only when Cargo.toml or Cargo.lock change, so a
# source edit recompiles one crate instead of ~400. Cargo reads every target the manifest
# declares before it builds any, so the declared ones get empty stand-ins here (the tests are
# never built; they only have to exist). Auto-discovered targets (examples/, tests/*.rs) are
# simply absent and so ignored. Cargo also reads every workspace member's manifest (the fakes
# and the fixture kit under crates/, which the image never builds): their manifests come in
# with stand-ins for their library and binaries, and stay so for the real build.
COPY Cargo.toml Cargo.lock ./
COPY crates/fnt-testkit/Cargo.toml crates/fnt-testkit/
COPY crates/fnt-fake-gemini/Cargo.toml crates/fnt-fake-gemini/
COPY crates/fnt-fake-google/Cargo.toml crates/fnt-fake-google/
RUN mkdir -p src tests/api tests/api_pg benches crates/fnt-testkit/src/bin \
      crates/fnt-fake-gemini/src crates/fnt-fake-google/src \
 && echo 'fn main() {}' > src/main.rs \
 && : > src/lib.rs \
 && for target in tests/api/main.rs tests/api_pg/main.rs benches/upload.rs \
      benches/end_to_end.rs benches/fanout.rs benches/instances.rs benches/memory.rs \
      benches/extract.rs benches/results_view.rs \
      crates/fnt-testkit/src/bin/fnt-sample-pdf.rs crates/fnt-fake-gemini/src/main.rs \
      crates/fnt-fake-google/src/main.rs; do echo 'fn main() {}' > "$target"; done \
 && for lib in crates/fnt-testkit/src/lib.rs crates/fnt-fake-gemini/src/lib.rs \
      crates/fnt-fake-google/src/lib.rs; do : > "$lib"; done \
 && cargo build --release --locked --bin fnt \
 && rm -rf src

# The real sources. migrations/ is compiled into the binary (diesel's embed_migrations!), so
# it belongs to this stage only. COPY keeps the files' own modification times, which may be
# older than the stand-ins' build: touching the crate roots makes cargo rebuild `fnt` itself.
COPY src ./src
COPY migrations ./migrations
RUN touch src/main.rs src/lib.rs \
 && cargo build --release --locked --bin fnt \
 && install -D -m 0755 target/release/fnt /out/fnt

# ---------------------------------------------------------------------------------------------
# Runtime stage: the binary and an unprivileged user, nothing else. No ca-certificates: every
# outbound TLS connection (Gemini, Google OAuth and Sheets) is rustls with the webpki roots
# compiled in, and PostgreSQL is reached over the private network. SQLite is bundled.
# ---------------------------------------------------------------------------------------------
FROM debian:bookworm-slim AS runtime

# A fixed uid/gid, so files written to a mounted /data keep the same owner across images.
RUN groupadd --system --gid 10001 fnt \
 && useradd --system --uid 10001 --gid fnt --home-dir /data --no-create-home \
      --shell /usr/sbin/nologin fnt \
 && mkdir -p /data \
 && chown fnt:fnt /data

COPY --from=builder /out/fnt /usr/local/bin/fnt

# Listen on every interface (inside a container loopback is unreachable from outside, and a
# non-loopback address also turns on accounts). Metrics get their own port, which is never
# routed publicly; logs are JSON lines for the platform's log pipeline. /data holds the SQLite
# database when no FNT_DATABASE_URL is given, and uploads while they are checked.
ENV FNT_BIND=0.0.0.0:8080 \
    FNT_METRICS_BIND=0.0.0.0:9091 \
    FNT_LOG_FORMAT=json \
    FNT_DATA_DIR=/data

WORKDIR /data
USER 10001:10001
EXPOSE 8080 9091

# SIGTERM drains: no new jobs are claimed, chunks in flight get FNT_SHUTDOWN_GRACE_SECS to
# finish, the rest is handed back to other instances, then the HTTP server stops.
STOPSIGNAL SIGTERM

# `fnt healthcheck` GETs /healthz on the port of FNT_BIND and exits 0 or 1: no curl needed.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 CMD ["fnt", "healthcheck"]

ENTRYPOINT ["fnt"]
CMD ["serve"]
