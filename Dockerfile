# Multi-stage build: compile in the Rust image, run as a non-root user on a slim Debian.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
COPY config ./config
RUN cargo build --release --locked --bin apigw-agent

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/apigw-agent --create-home apigw
COPY --from=build /src/target/release/apigw-agent /usr/local/bin/apigw-agent
COPY config/agent.yaml /etc/apigw-agent/agent.yaml
COPY config/access-log-format.json /etc/apigw-agent/access-log-format.json
USER 10001
WORKDIR /var/lib/apigw-agent
# /metrics, /status, /healthz
ENV STATUS_PORT=8989
EXPOSE 8989
ENTRYPOINT ["/usr/local/bin/apigw-agent"]
CMD ["run", "--config", "/etc/apigw-agent/agent.yaml"]
