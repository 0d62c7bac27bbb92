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
# defaults baked in; docker-compose.yml mounts the host's folders over them so routes can be edited live
COPY config /app/config
COPY routes /app/routes
COPY kamelets /app/kamelets
EXPOSE 4000
ENTRYPOINT ["java", "-jar", "/app/embeddings-gateway.jar"]
CMD ["--config", "config/config.yaml", "--port", "4000"]
