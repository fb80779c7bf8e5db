# The image the Helm chart deploys: the binary `make build` builds (the same CMake options and
# build type; the tests and benchmarks are left out), run as a non-root user in a slim stage
# with only the shared libraries it links. tests/e2e/image_test.cpp checks both stages.
FROM debian:bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config libssl-dev libcpprest-dev libboost-system-dev \
      libyaml-cpp-dev prometheus-cpp-dev nlohmann-json3-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY src/ src/
RUN cmake -S . -B build -DSSO_WERROR=ON -DSSO_BUILD_TESTS=OFF -DSSO_BUILD_BENCH=OFF \
    && cmake --build build -j "$(nproc)" --target secureservice-operator \
    && strip --strip-debug build/src/secureservice-operator

FROM debian:bookworm-slim
LABEL org.opencontainers.image.title="secureservice-operator" \
      org.opencontainers.image.source="https://github.com/secureservice-operator/secureservice-operator"
RUN apt-get update && apt-get install -y --no-install-recommends \
      ca-certificates libssl3 libcpprest2.10 libyaml-cpp0.7 libprometheus-cpp-core1.0 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/src/secureservice-operator /usr/local/bin/secureservice-operator
# A numeric non-root user, so that Kubernetes can check runAsNonRoot without a passwd entry.
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/secureservice-operator"]
CMD ["run"]
