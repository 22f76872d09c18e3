# syntax=docker/dockerfile:1
# The Posts API as a small, static, non-root image. The binary is built by
# `make build`, the same target CI checks.

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    make build BIN=/out/posts

# distroless/static: CA certificates and time zones, no shell, no libc.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/posts /posts
USER nonroot:nonroot
EXPOSE 3000
ENV PORT=3000
ENTRYPOINT ["/posts"]
CMD ["serve"]
