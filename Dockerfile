# syntax=docker/dockerfile:1
#
# jitgw container image: docker build -t jitgw .
# Build stage: Maven + JDK 17 builds the shaded jar (gateway-server/target/jitgw.jar).
# Runtime stage: JRE 17 only, a non-root user, the data directory on a volume.
# docs/operations.md#deployment describes how docker-compose.yml and deploy/kubernetes use it.

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml ./
COPY gateway-core/pom.xml gateway-core/
COPY gateway-policy/pom.xml gateway-policy/
COPY gateway-audit/pom.xml gateway-audit/
COPY gateway-server/pom.xml gateway-server/
COPY gateway-core/src gateway-core/src
COPY gateway-policy/src gateway-policy/src
COPY gateway-audit/src gateway-audit/src
COPY gateway-server/src gateway-server/src
# Dependencies come from Maven Central into a BuildKit cache kept between builds. Tests are compiled
# (the modules share test jars) but not run: run `mvn -B verify` before building an image. The
# Keycloak distribution the integration tests unpack is skipped too (-Djitgw.keycloak.skip).
RUN --mount=type=cache,target=/root/.m2 \
    mvn -B -q package -DskipTests -Djitgw.keycloak.skip=true -Dspotless.check.skip=true \
    && cp gateway-server/target/jitgw.jar /jitgw.jar

FROM eclipse-temurin:17-jre
# A fixed numeric uid/gid, so Kubernetes' runAsUser/fsGroup and volume ownership can name it.
RUN groupadd --system --gid 10001 jitgw \
    && useradd --system --uid 10001 --gid jitgw --home-dir /opt/jitgw --no-create-home \
       --shell /usr/sbin/nologin jitgw \
    && mkdir -p /opt/jitgw /data \
    && chown jitgw:jitgw /data
COPY --from=build /jitgw.jar /opt/jitgw/jitgw.jar

# Contract section 1 variables. The admin listener binds every interface inside the container
# (the container's network is the boundary); publish it on a private address only.
ENV JITGW_DATA_DIR=/data \
    JITGW_LISTEN=0.0.0.0:8080 \
    JITGW_ADMIN_LISTEN=0.0.0.0:9090
VOLUME ["/data"]
EXPOSE 8080 9090
USER 10001:10001
WORKDIR /opt/jitgw

# The runtime image has no curl or wget; bash's /dev/tcp sends the request instead. /readyz is 200
# only while the audit log accepts writes and the gateway is not draining.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/9090 && printf 'GET /readyz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]

# java is PID 1 and gets SIGTERM itself: serve drains in-flight exchanges (shutdown.drain_timeout)
# and writes the final audit checkpoint. JVM options go in JAVA_TOOL_OPTIONS.
ENTRYPOINT ["java", "-jar", "/opt/jitgw/jitgw.jar", "serve"]
