# zonegate's container image: the static binary and nothing else (no shell, no libc, no
# certificates are needed: zonegate is statically linked and carries its TLS roots).
#
# The build context holds the release binaries as zonegate-linux-amd64 and zonegate-linux-arm64;
# TARGETARCH (set by `docker buildx build --platform` and `podman build`) picks one:
#
#   docker run --rm -v "$PWD:/repo" --user "$(id -u):$(id -g)" ghcr.io/zonegate/zonegate:0.1.0 check
#
# /repo is the working directory: mount the zones repository there. Run as your own user so
# that files written (render's out/) are yours, and so git (diff) accepts the repository as
# owned by the user reading it.
FROM scratch
ARG TARGETARCH
COPY zonegate-linux-${TARGETARCH} /usr/local/bin/zonegate
WORKDIR /repo
ENTRYPOINT ["/usr/local/bin/zonegate"]
CMD ["--help"]
