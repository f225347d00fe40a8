FROM rust:1-bookworm AS builder
# The PostgreSQL backend links the system libpq; SQLite is bundled.
RUN apt-get update \
    && apt-get install -y libpq-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
# The migrations are embedded in the binary at compile time.
COPY migrations ./migrations
# The docs page's files (and the vendored front-end packages) are built into the binary too.
COPY assets ./assets
RUN cargo build --release --locked

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home app \
    && mkdir -p /app/data \
    && chown app:app /app/data
COPY config /app/config
WORKDIR /app
EXPOSE 8080
ENV APP_ENV=production
CMD ["inbound-transfer", "serve"]

# A binary built on the host, where no Rust toolchain image can be had:
#   podman build --target prebuilt --build-arg BINARY=path/to/inbound-transfer .
# (ops/compose-drill.sh builds it so; the binary must be built for Debian bookworm).
FROM runtime AS prebuilt
ARG BINARY=target/release/inbound-transfer
COPY ${BINARY} /usr/local/bin/inbound-transfer
USER app

# The default: built from source in the builder stage.
FROM runtime
COPY --from=builder /src/target/release/inbound-transfer /usr/local/bin/inbound-transfer
USER app
