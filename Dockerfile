# Sandpod's image: the service only. In a cluster it runs each sandbox as its own Pod (the python
# image of the chart's sandbox.image), so this image needs neither python nor bubblewrap.
#
# Tags are pinned to exact releases. Pin digests as well when you publish
# (`docker buildx imagetools inspect <image:tag>` prints them): FROM image:tag@sha256:...

# --- build: the JDK and Maven live only here ---
FROM maven:3.9.16-eclipse-temurin-25-noble AS build
WORKDIR /src
# Dependencies first: their layer is reused until pom.xml changes.
COPY pom.xml ./
RUN mvn -B -q dependency:go-offline
COPY src ./src
# The tests run in CI, not in the image build (they need bubblewrap and cgroups).
RUN mvn -B -q -DskipTests package

# --- runtime: a JRE, the jar and its libs ---
FROM eclipse-temurin:25.0.3_9-jre-noble

ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="sandpod" \
      org.opencontainers.image.description="Runs untrusted Python in a single-use, locked-down Kubernetes Pod per run" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/eclipse-temurin:25.0.3_9-jre-noble"

# A fixed numeric user, so that Kubernetes' runAsNonRoot can check it (the chart runs as 10001 too).
# Its home is /tmp: the root filesystem is read-only in the cluster and /tmp is the one writable path.
RUN groupadd --system --gid 10001 sandpod \
    && useradd --system --uid 10001 --gid 10001 --home-dir /tmp --no-create-home --shell /usr/sbin/nologin sandpod

WORKDIR /app
COPY --from=build /src/target/libs/ /app/libs/
COPY --from=build /src/target/sandpod.jar /app/sandpod.jar

USER 10001:10001
# In a cluster the backend is Kubernetes; this image has no bubblewrap for the local one.
ENV SANDPOD_BACKEND=kubernetes
EXPOSE 8080

# Heap from the container's memory limit, leaving room for metaspace, threads and direct buffers.
# An OutOfMemoryError exits, so that Kubernetes restarts the replica instead of it limping on.
# -XX:-UsePerfData: no hsperfdata files, nothing to write on a read-only root.
# -Djdk.pollerMode=1: platform threads poll the sockets, so that runs keep ending under a storm of requests (bin/serve).
ENTRYPOINT ["java", \
            "-Djdk.pollerMode=1", \
            "-XX:MaxRAMPercentage=75", \
            "-XX:InitialRAMPercentage=50", \
            "-XX:+ExitOnOutOfMemoryError", \
            "-XX:-UsePerfData", \
            "-Djava.io.tmpdir=/tmp", \
            "-jar", "/app/sandpod.jar"]
