# graphpost from Debian 12 packages: build in one stage, run in a slim one as a
# non-root user. Used by docker-compose.yml.
FROM debian:bookworm AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake pkg-config \
      libpq-dev libh2o-evloop-dev libssl-dev libwslay-dev libjansson-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build -j"$(nproc)"

FROM debian:bookworm-slim
# Runtime libraries only: libh2o-evloop0.13 pulls in libssl3 and libwslay1.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpq5 libh2o-evloop0.13 libjansson4 ca-certificates curl \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --no-create-home --uid 10001 graphpost
COPY --from=build /src/build/graphpost /usr/local/bin/graphpost
USER graphpost
ENV GRAPHPOST_HOST=0.0.0.0 GRAPHPOST_PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=5s --timeout=3s CMD curl -fsS http://127.0.0.1:8080/health || exit 1
ENTRYPOINT ["/usr/local/bin/graphpost"]
