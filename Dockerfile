# Multi-stage build of the gateway: Maven builds the runnable jar, a JRE image runs it.
#   docker build -t embeddings-gateway .
#   docker run -p 4000:4000 embeddings-gateway
FROM maven:3-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
# dependencies in their own layer: a source change does not download them again
RUN mvn -B -q dependency:go-offline -DskipTests || true
COPY src ./src
RUN mvn -B -q -DskipTests package

FROM eclipse-temurin:17-jre
WORKDIR /app
COPY --from=build /src/target/embeddings-gateway.jar /app/embeddings-gateway.jar
# the launcher: JVM settings sized for the gateway (fixed 256 MiB heap, ParallelGC, 512 KiB thread stacks,
# MALLOC_ARENA_MAX=2, bounded metaspace/code cache/direct memory); add or override flags with
#   docker run -e JAVA_OPTS="-Xms1g -Xmx1g" ...
COPY bin/gateway /app/bin/gateway
ENV GATEWAY_JAR=/app/embeddings-gateway.jar
# defaults baked in; docker-compose.yml mounts the host's folders over them so routes can be edited live
COPY config /app/config
COPY routes /app/routes
COPY kamelets /app/kamelets
EXPOSE 4000
ENTRYPOINT ["/app/bin/gateway"]
CMD ["--config", "config/config.yaml", "--port", "4000"]
